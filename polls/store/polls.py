"""PollStore: every query of polls, options and ballots, parameterised, returning domain objects."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import asyncpg

from polls.domain import Ballot, Committed, NewPoll, Option, Poll, Results
from polls.errors import N_, AnswerLate, Conflict, EntryNotFound, InvalidInput, PollClosed, PollNotFound
from polls.kinds import KIND_ROWS, KIND_TABLES, RESULTS, TALLY, Answer, array_literal, kind_of
from polls.store.codes import with_free_code
from polls.store.pool import Database
from polls.store.routines import CAST_BALLOTS

# A new round, in one statement (every part sees the question as it was): the round archived, then cleared.
_RESET = (
    f"""WITH question AS (
       SELECT id FROM polls WHERE code = $1
   ), archived AS (
       INSERT INTO poll_rounds (poll_id, round, voters, counts, tally, ballots, status, kept)
       SELECT p.id, p.round, p.voters,
              (SELECT jsonb_agg(jsonb_build_object('id', o.id, 'label', o.label, 'votes', o.votes)
                                ORDER BY o.id) FROM options o WHERE o.poll_id = p.id),
              {TALLY},
              (SELECT coalesce(jsonb_agg(to_jsonb(b)), '[]') FROM ballots b WHERE b.poll_id = p.id),
              p.status,
              {KIND_ROWS}
       FROM polls p JOIN question q ON q.id = p.id
   ), cleared AS (
       DELETE FROM ballots WHERE poll_id = (SELECT id FROM question)
   ), zeroed AS (
       UPDATE options SET votes = 0 WHERE poll_id = (SELECT id FROM question)
   )"""
    + "".join(
        f""", cleared_{table} AS (
       DELETE FROM {table} WHERE poll_id = (SELECT id FROM question)
   )"""
        for table in KIND_TABLES
    )
    + """
   UPDATE polls SET round = round + 1, voters = 0, status = 'open', closes_at = NULL, version = version + 1
   WHERE id = (SELECT id FROM question) RETURNING 1"""
)


def results_of(code: str, row: asyncpg.Record | None) -> Results:
    """The one mapper of the results query's row (kinds.RESULTS) to Results: the kind reads its tally."""
    if row is None:
        raise PollNotFound()
    options, detail = kind_of(row["kind"]).read_tally(json.loads(row["tally"]))
    return Results(code, row["version"], row["voters"], row["status"], options, row["kind"], detail)


def poll_of(code: str, rows: list[asyncpg.Record], in_event: bool) -> Poll:
    """The one mapper of a question's rows (one per option, `option_id` and `label`; `settings`) to a Poll."""
    first = rows[0]
    options = tuple(Option(row["option_id"], row["label"]) for row in rows)
    settings = json.loads(first["settings"])
    return Poll(
        code,
        first["question"],
        first["kind"],
        first["max_choices"],
        first["status"],
        options,
        in_event,
        settings,
    )


@dataclass(frozen=True)
class Place:
    """Where a question of an event stands: its event, its position, and who sees its results."""

    event_id: int
    position: int
    visibility: str


async def insert_question(
    connection: asyncpg.Connection, new: NewPoll, admin_hash: str = "", place: Place | None = None
) -> str:
    """The one way a question is stored, in the caller's transaction, under a new join code: a standalone
    poll (open at once, with its own admin token's hash) or, with a place, an event's question (closed
    until the presenter opens it; its event's token rules it; a quiz's results hidden until the
    presenter reveals them). Returns its code."""

    async def insert(code: str) -> str:
        poll_id = await connection.fetchval(
            """INSERT INTO polls (code, admin_hash, question, kind, max_choices,
                                  event_id, position, visibility, status, settings, revealed)
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id""",
            code,
            admin_hash,
            new.question,
            new.kind,
            new.max_choices,
            place.event_id if place else None,
            place.position if place else None,
            place.visibility if place else "always",
            "closed" if place else "open",
            json.dumps(new.settings),
            not kind_of(new.kind).timed,  # a quiz's tally tells its answer: hidden until the reveal
        )
        await insert_options(connection, poll_id, new.labels)
        return code

    return await with_free_code(connection, insert)


async def insert_options(connection: asyncpg.Connection, poll_id: int, labels: tuple[str, ...]) -> None:
    await connection.executemany(
        "INSERT INTO options (poll_id, id, label) VALUES ($1, $2, $3)",
        [(poll_id, position, label) for position, label in enumerate(labels, start=1)],
    )


class PollStore:
    def __init__(self, database: Database) -> None:
        self.database = database

    async def create_poll(self, admin_hash: str, new: NewPoll) -> Poll:
        """Store a standalone poll under a new join code."""
        async with self.database.acquire() as connection, connection.transaction():
            code = await insert_question(connection, new, admin_hash)
        options = tuple(Option(i, label) for i, label in enumerate(new.labels, start=1))
        return Poll(code, new.question, new.kind, new.max_choices, "open", options, settings=new.settings)

    async def get_poll(self, code: str) -> Poll:
        rows = await self.database.run.fetch(
            """SELECT p.question, p.kind, p.max_choices, p.status, p.event_id IS NOT NULL AS in_event,
                      p.settings, o.id AS option_id, o.label
               FROM polls p JOIN options o ON o.poll_id = p.id
               WHERE p.code = $1 ORDER BY o.id""",
            code,
        )
        if not rows:
            raise PollNotFound()
        return poll_of(code, rows, rows[0]["in_event"])

    async def admin_hash(self, code: str) -> str:
        query = "SELECT admin_hash FROM polls WHERE code = $1"
        return str(await self.database.value(query, code, missing=PollNotFound))

    async def event_admin_hash(self, code: str) -> str:
        """The admin hash of the event that the poll is a question of."""
        query = "SELECT e.admin_hash FROM polls p JOIN events e ON e.id = p.event_id WHERE p.code = $1"
        return str(await self.database.value(query, code, missing=PollNotFound))

    async def voters_with_ballots(self, code: str, voters: set[str]) -> set[str]:
        """Which of these voters have a ballot in the poll (its current round)."""
        rows = await self.database.run.fetch(
            """SELECT b.voter FROM ballots b JOIN polls p ON p.id = b.poll_id
               WHERE p.code = $1 AND b.voter = ANY($2::text[])""",
            code,
            list(voters),
        )
        return {row["voter"] for row in rows}

    async def choices_of(self, code: str, voter: str) -> Answer:
        """The answer of the voter's current ballot (option ids..., or texts), empty before they voted."""
        found = await self.database.run.fetchrow(
            """SELECT b.option_ids, b.texts FROM ballots b JOIN polls p ON p.id = b.poll_id
               WHERE p.code = $1 AND b.voter = $2""",
            code,
            voter,
        )
        if found is None:
            return ()
        return tuple(found["texts"]) or tuple(found["option_ids"])

    async def cast_ballots(self, code: str, ballots: list[Ballot]) -> Committed:
        """Store or replace each voter's ballot (one per voter) in one transaction: one commit, one new
        version for all of them. Returns the results as of that commit, and the voters refused (a kind
        of final answers: each had another answer stored). A question whose time ran out takes none,
        even before the closer marked it closed (AnswerLate).

        One round trip: the batch's routine (store.routines) takes the question's row lock, runs its kind's
        upsert, holds what the filter matched before any sees it, reads the results, and commits as the
        call ends."""
        row = await self.database.pool.fetchrow(
            CAST_BALLOTS,
            code,
            [ballot.voter for ballot in ballots],
            [array_literal(ballot.answer) for ballot in ballots],
            sorted({key for ballot in ballots for key in ballot.held}),
        )
        if row is None:
            raise PollNotFound()
        if row["outcome"] != "stored":
            raise AnswerLate() if row["outcome"] == "late" else PollClosed()
        return Committed(results_of(code, row), frozenset(row["refused"]))

    async def moderate(self, code: str, entry: Any, action: str) -> None:
        """Inside a unit of work: show or hide one entry of a word cloud or an open text (a new version)."""
        row = await self.database.run.fetchrow(
            "UPDATE polls SET version = version + 1 WHERE code = $1 RETURNING id, kind, settings", code
        )
        if row is None:
            raise PollNotFound()
        moderation = kind_of(row["kind"]).moderation
        if moderation is None:
            raise InvalidInput(
                N_("This question's answers are no texts; there is nothing to moderate."),
                code="not_moderated",
            )
        state = moderation.state_after(action, json.loads(row["settings"]))
        if (
            await self.database.run.fetchval(
                moderation.action_sql, row["id"], moderation.key_of(entry), state
            )
            is None
        ):
            raise EntryNotFound()

    async def set_status(self, code: str, status: str) -> int:
        """Open or close voting, which ends a running countdown; returns the new version (bumped even if
        the status was already so)."""
        query = """UPDATE polls SET status = $2, closes_at = NULL, version = version + 1
                   WHERE code = $1 RETURNING version"""
        return int(await self.database.value(query, code, status, missing=PollNotFound))

    async def start(self, code: str) -> None:
        """Start a quiz question: voting opens now, on the database's clock, and closes after its time
        limit; its results are hidden until the presenter reveals them. Only a question without answers
        in its round starts (its scores count from this start)."""
        started = await self.database.run.fetchval(
            """UPDATE polls
               SET status = 'open', started_at = now(), revealed = false, version = version + 1,
                   closes_at = now() + make_interval(secs => (settings ->> 'time_limit')::integer)
               WHERE code = $1 AND voters = 0 RETURNING 1""",
            code,
        )
        if started is None:
            await self.database.value("SELECT 1 FROM polls WHERE code = $1", code, missing=PollNotFound)
            raise Conflict(
                N_("This quiz question has answers in this round; start a new round to ask it again."),
                code="quiz_answered",
            )

    async def set_revealed(self, code: str, revealed: bool) -> None:
        """Show or hide the results to the audience (an event's question: its screens and phones)."""
        query = "UPDATE polls SET revealed = $2 WHERE code = $1 RETURNING 1"
        await self.database.value(query, code, revealed, missing=PollNotFound)

    async def reset(self, code: str) -> None:
        """Start a new round: keep this round's results in poll_rounds (its snapshot for the export; its
        ballots, status and kind's rows for an undo within UNDO_SECONDS), clear them, open voting."""
        await self.database.value(_RESET, code, missing=PollNotFound)

    async def results(self, code: str) -> Results:
        """One consistent snapshot: the version, the voter count and every option's count."""
        return results_of(code, await self.database.run.fetchrow(RESULTS, code))
