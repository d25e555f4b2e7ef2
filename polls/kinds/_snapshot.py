"""What every kind's snapshot shares: the tally's lines (an option, statement or entry and how many chose
it), which every view and export can show, beside the kind's own figures."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class OptionResult:
    """One line of a tally: an option (or statement, entry...) and how many chose it."""

    id: int
    label: str
    votes: int


# A kind's snapshot, read back: its lines, and its own figures (JSON values, as the API shows them; none for
# choice).
Tally = tuple[tuple[OptionResult, ...], Mapping[str, Any]]


@dataclass(frozen=True)
class ExportLine:
    """A row of a question's export: an option (statement, entry...), the value it was given where a kind
    has values (a scale's step; None otherwise), and how many gave it."""

    option_id: int
    option: str
    value: int | None
    votes: int


def option_results(data: Mapping[str, Any]) -> tuple[OptionResult, ...]:
    """The "options" of a snapshot's JSON."""
    return tuple(OptionResult(int(o["id"]), str(o["label"]), int(o["votes"])) for o in data["options"])


# The question's options with their counters, as a snapshot's "options" (its polls row as `p`): every kind's
# tally SQL includes it.
OPTIONS_JSON = """(
    SELECT jsonb_agg(jsonb_build_object('id', o.id, 'label', o.label, 'votes', o.votes) ORDER BY o.id)
    FROM options o WHERE o.poll_id = p.id
)"""


def ballots_upserted(answer: str, texts: bool = False, replaces: bool = True) -> str:
    """The start of every kind's ballot upsert, in one statement with the rest: `incoming` (each voter of
    the batch and the answer, as `answer`, from $2 and $3), `previous` (those voters' stored answers, the
    same name) and `upserted` (the batch stored, one ballot per voter and question: a change replaces it,
    unless the kind's answers are final, `replaces` false: then the stored one stays). An answer is whole
    numbers (the ballot's option_ids) or, for a kind of `texts`, texts (its texts)."""
    column, cast = ("texts", "text[]") if texts else ("option_ids", "integer[]")
    on_conflict = (
        f"DO UPDATE SET {column} = EXCLUDED.{column}, updated_at = now()" if replaces else "DO NOTHING"
    )
    return f"""WITH incoming AS (
    SELECT voter, given::{cast} AS {answer} FROM unnest($2::text[], $3::text[]) AS t (voter, given)
), previous AS (
    SELECT b.voter, b.{column} AS {answer} FROM ballots b JOIN incoming USING (voter) WHERE b.poll_id = $1
), upserted AS (
    INSERT INTO ballots (poll_id, voter, {column}) SELECT $1, voter, {answer} FROM incoming
    ON CONFLICT (poll_id, voter) {on_conflict}
)"""


# A ballot's answer as stored: whole numbers (option ids, ratings, a ranking) or texts (a word cloud's
# entries, an open text's answer).
Answer = tuple[int, ...] | tuple[str, ...]


def array_literal(answer: Answer) -> str:
    """An answer as PostgreSQL's array text, which the upserts take for each voter (`given`): texts quoted,
    their quotes and backslashes escaped, so any text is one element."""
    if answer and isinstance(answer[0], str):
        quoted = ('"' + str(item).replace("\\", "\\\\").replace('"', '\\"') + '"' for item in answer)
        return "{" + ",".join(quoted) + "}"
    return "{" + ",".join(map(str, answer)) + "}"


def counters_moved(
    table: str, delta: str, keys: Mapping[str, str], count: str = "votes", returning: str = ""
) -> str:
    """A CTE's statement moving a kind's counters in `table` (a row per question and `keys`: the table's
    column -> the column of CTE `delta` that holds it) by `delta`'s `change`: a first count inserts its
    counter, a change moves an existing one. A negative change always meets the row an earlier ballot made,
    so the proposed row, clamped at 0, only has to pass the table's check. `returning`: what the statement
    returns of the counters moved (their columns, e.g. "entry, votes"), for a later CTE."""
    columns = ", ".join(keys)
    matches = " AND ".join(f"d.{source} = EXCLUDED.{column}" for column, source in keys.items())
    return f"""INSERT INTO {table} (poll_id, {columns}, {count})
    SELECT $1, {", ".join(keys.values())}, greatest(change, 0) FROM {delta}
    ON CONFLICT (poll_id, {columns}) DO UPDATE SET {count} = {table}.{count} + (
        SELECT d.change FROM {delta} d WHERE {matches}
    ){f" RETURNING {returning}" if returning else ""}"""


# A CTE's statement for a kind whose every ballot answers every line (a scale's statements, a word cloud's
# or an open text's one line): each line's count moves with the question's voters (a new voter counts, a
# changed ballot does not).
EVERY_LINE_ANSWERED = """UPDATE options
    SET votes = votes + (SELECT count(*) FROM incoming) - (SELECT count(*) FROM previous)
    WHERE poll_id = $1"""


def counts_per_option(table: str, column: str, low: str, high: str, key: str = "id") -> str:
    """A snapshot's part: per option (in the options' order, as {key: id, "counts": [...]}) its counter in
    `table` for each value of `column` from `low` to `high` (SQL expressions over `p`), 0 where none."""
    return f"""(
        SELECT jsonb_agg(jsonb_build_object('{key}', o.id, 'counts', (
            SELECT jsonb_agg(coalesce(c.votes, 0) ORDER BY n)
            FROM generate_series({low}, {high}) AS n
            LEFT JOIN {table} c ON c.poll_id = p.id AND c.option_id = o.id AND c.{column} = n
        )) ORDER BY o.id)
        FROM options o WHERE o.poll_id = p.id
    )"""


# The end of every kind's ballot upsert (its CTEs `incoming` and `previous`): the question's voters, moved
# by the batch (a new voter counts, a changed ballot does not).
COUNT_VOTERS = """UPDATE polls
SET voters = voters + (SELECT count(*) FROM incoming) - (SELECT count(*) FROM previous)
WHERE id = $1"""
