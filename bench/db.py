"""Reading a poll's ballots and counters straight from PostgreSQL with psql, to check what the API said."""

from __future__ import annotations

import re

from bench.procs import run

_CODE = re.compile(r"^[A-Z0-9]{4,12}$")


def _query(url: str, sql: str) -> list[list[str]]:
    out = run(
        ["psql", url, "-X", "-q", "-t", "-A", "-F", "|", "-v", "ON_ERROR_STOP=1", "-c", sql], timeout=60
    )
    return [line.split("|") for line in out.splitlines() if line]


def _code(code: str) -> str:
    if not _CODE.match(code):
        raise ValueError(f"not a poll code: {code!r}")
    return code


def ballots(url: str, code: str) -> dict[str, tuple[int, ...]]:
    """voter -> option ids, for one poll."""
    rows = _query(
        url,
        "SELECT b.voter, array_to_string(b.option_ids, ',') FROM ballots b "
        f"JOIN polls p ON p.id = b.poll_id WHERE p.code = '{_code(code)}'",
    )
    return {voter: tuple(int(x) for x in ids.split(",") if x) for voter, ids in rows}


def counters(url: str, code: str) -> dict[str, object]:
    """The options' counters against a recount from the ballots, and the poll's voters against its ballots."""
    rows = _query(
        url,
        "SELECT o.id, o.votes, (SELECT count(*) FROM ballots b WHERE b.poll_id = o.poll_id "
        "AND o.id = ANY (b.option_ids)) FROM options o JOIN polls p ON p.id = o.poll_id "
        f"WHERE p.code = '{_code(code)}' ORDER BY o.id",
    )
    poll = _query(
        url,
        "SELECT p.voters, p.version, (SELECT count(*) FROM ballots b WHERE b.poll_id = p.id) "
        f"FROM polls p WHERE p.code = '{_code(code)}'",
    )[0]
    options = [{"id": int(i), "counter": int(c), "recount": int(r)} for i, c, r in rows]
    return {
        "options": options,
        "counted_twice": sum(max(0, o["counter"] - o["recount"]) for o in options),
        "counted_too_few": sum(max(0, o["recount"] - o["counter"]) for o in options),
        "poll_voters": int(poll[0]),
        "version": int(poll[1]),
        "ballot_rows": int(poll[2]),
    }
