"""A quiz's scores recomputed from the stored ballots, by the rule written again in Python: the specification
that the database's scores (view quiz_answers) and every leaderboard are checked against."""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal

import asyncpg


def points(right: bool, elapsed_us: int, limit: int) -> int:
    """The rule, written again here as the specification the database's scores are checked against
    (in decimals, rounding halves up as PostgreSQL's numeric does)."""
    if not right:
        return 0
    elapsed = min(max(Decimal(elapsed_us) / 1_000_000, Decimal(0)), Decimal(limit))
    return int((1000 * (1 - elapsed / limit / 2)).quantize(Decimal(1), ROUND_HALF_UP))


async def recomputed_standings(database_url: str, event_code: str) -> list[tuple[str, int, int]]:
    """Every player's (voter, points, total time in ms) from the stored ballots and the questions' starts,
    by the rule above, in leaderboard order."""
    connection = await asyncpg.connect(database_url)
    try:
        rows = await connection.fetch(
            """SELECT b.voter, b.option_ids, b.cast_at, p.started_at, p.settings
               FROM ballots b JOIN polls p ON p.id = b.poll_id JOIN events e ON e.id = p.event_id
               WHERE e.code = $1 AND p.kind = 'quiz'""",
            event_code,
        )
    finally:
        await connection.close()
    totals: dict[str, tuple[int, int]] = {}
    for row in rows:
        settings = json.loads(row["settings"])
        elapsed_us = max((row["cast_at"] - row["started_at"]) // timedelta(microseconds=1), 0)
        right = sorted(row["option_ids"]) == sorted(settings["correct"])
        earned, taken = totals.get(row["voter"], (0, 0))
        totals[row["voter"]] = (
            earned + points(right, elapsed_us, settings["time_limit"]),
            taken + elapsed_us,
        )
    ranked = [(voter, earned, (taken + 500) // 1000) for voter, (earned, taken) in totals.items()]
    return sorted(ranked, key=lambda entry: (-entry[1], entry[2]))
