"""PollStore: every query of polls, options and ballots, parameterised, returning domain objects."""

from __future__ import annotations

import asyncpg

from polls.domain import Ballot, NewPoll, Option, OptionResult, Poll, Results
from polls.errors import PollClosed, PollNotFound
from polls.store.pool import Database


class CodeTaken(Exception):
    """The generated join code is in use already; the caller draws another."""


# Re-counts the options of one ballot change in the database itself: +1 for each newly chosen option,
# -1 for each one the voter's previous ballot had, in one statement, never read-modify-write in Python.
# The caller holds the poll row's lock, so no other ballot of this poll changes in between.
_UPSERT_BALLOT = """
WITH previous AS (
    SELECT option_ids FROM ballots WHERE poll_id = $1 AND voter = $2
), upserted AS (
    INSERT INTO ballots (poll_id, voter, option_ids) VALUES ($1, $2, $3)
    ON CONFLICT (poll_id, voter)
    DO UPDATE SET option_ids = EXCLUDED.option_ids, updated_at = now()
), delta AS (
    SELECT id, sum(change)::integer AS change FROM (
        SELECT unnest($3::integer[]) AS id, 1 AS change
        UNION ALL
        SELECT unnest(option_ids), -1 FROM previous
    ) AS changes GROUP BY id HAVING sum(change) <> 0
), counted AS (
    UPDATE options SET votes = options.votes + delta.change
    FROM delta WHERE options.poll_id = $1 AND options.id = delta.id
)
UPDATE polls SET voters = voters + CASE WHEN EXISTS (SELECT 1 FROM previous) THEN 0 ELSE 1 END
WHERE id = $1
"""


class PollStore:
    def __init__(self, database: Database) -> None:
        self.database = database

    async def create_poll(self, code: str, admin_hash: str, new: NewPoll) -> Poll:
        async with self.database.pool.acquire() as connection, connection.transaction():
            try:
                poll_id = await connection.fetchval(
                    """INSERT INTO polls (code, admin_hash, question, kind, max_choices)
                       VALUES ($1, $2, $3, $4, $5) RETURNING id""",
                    code,
                    admin_hash,
                    new.question,
                    new.kind,
                    new.max_choices,
                )
            except asyncpg.UniqueViolationError:
                raise CodeTaken(code) from None
            await connection.executemany(
                "INSERT INTO options (poll_id, id, label) VALUES ($1, $2, $3)",
                [(poll_id, position, label) for position, label in enumerate(new.labels, start=1)],
            )
        options = tuple(Option(i, label) for i, label in enumerate(new.labels, start=1))
        return Poll(code, new.question, new.kind, new.max_choices, "open", options)

    async def get_poll(self, code: str) -> Poll:
        rows = await self.database.pool.fetch(
            """SELECT p.question, p.kind, p.max_choices, p.status, o.id, o.label
               FROM polls p JOIN options o ON o.poll_id = p.id
               WHERE p.code = $1 ORDER BY o.id""",
            code,
        )
        if not rows:
            raise PollNotFound()
        first = rows[0]
        options = tuple(Option(row["id"], row["label"]) for row in rows)
        return Poll(code, first["question"], first["kind"], first["max_choices"], first["status"], options)

    async def admin_hash(self, code: str) -> str:
        found = await self.database.pool.fetchval("SELECT admin_hash FROM polls WHERE code = $1", code)
        if found is None:
            raise PollNotFound()
        return found

    async def choices_of(self, code: str, voter: str) -> tuple[int, ...]:
        """The option ids of the voter's current ballot, empty if they have not voted."""
        found = await self.database.pool.fetchval(
            """SELECT b.option_ids FROM ballots b JOIN polls p ON p.id = b.poll_id
               WHERE p.code = $1 AND b.voter = $2""",
            code,
            voter,
        )
        return tuple(found or ())

    async def cast_ballot(self, code: str, ballot: Ballot) -> int:
        """Store or replace the voter's ballot; returns the poll's new version once committed."""
        async with self.database.pool.acquire() as connection, connection.transaction():
            locked = await connection.fetchrow(
                """UPDATE polls SET version = version + 1
                   WHERE code = $1 AND status = 'open' RETURNING id, version""",
                code,
            )
            if locked is None:
                exists = await connection.fetchval("SELECT 1 FROM polls WHERE code = $1", code)
                raise PollClosed() if exists else PollNotFound()
            await connection.execute(_UPSERT_BALLOT, locked["id"], ballot.voter, list(ballot.option_ids))
        return locked["version"]

    async def set_status(self, code: str, status: str) -> int:
        """Open or close the poll; returns the new version (bumped even if the status was already so)."""
        version = await self.database.pool.fetchval(
            "UPDATE polls SET status = $2, version = version + 1 WHERE code = $1 RETURNING version",
            code,
            status,
        )
        if version is None:
            raise PollNotFound()
        return version

    async def results(self, code: str) -> Results:
        """One consistent snapshot: the version, the voter count and every option's count."""
        rows = await self.database.pool.fetch(
            """SELECT p.version, p.voters, p.status, o.id, o.label, o.votes
               FROM polls p JOIN options o ON o.poll_id = p.id
               WHERE p.code = $1 ORDER BY o.id""",
            code,
        )
        if not rows:
            raise PollNotFound()
        first = rows[0]
        options = tuple(OptionResult(row["id"], row["label"], row["votes"]) for row in rows)
        return Results(code, first["version"], first["voters"], first["status"], options)
