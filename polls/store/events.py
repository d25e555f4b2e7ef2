"""EventStore: the SQL of events and their questions. Every change bumps the event's version in the same
transaction, so a screen can order what it is shown."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import asyncpg

from polls.errors import N_, Conflict, EventNotFound, QuestionNotFound
from polls.event import UNDO_SECONDS, Event, EventView, NewEvent, NewQuestion, Question, Undo
from polls.kinds import KIND_TABLES, RESULTS, TALLY, kind_of
from polls.store.codes import with_free_code
from polls.store.polls import Place, insert_options, insert_question, poll_of, results_of
from polls.store.pool import Database
from polls.store.quiz import read_board

_QUESTIONS = """
SELECT p.id, p.code, p.question, p.kind, p.max_choices, p.status, p.position, p.visibility, p.revealed,
       p.closes_at, p.round, p.settings, o.id AS option_id, o.label
FROM polls p JOIN options o ON o.poll_id = p.id
WHERE p.event_id = $1 ORDER BY p.position, o.id
"""


# The latest change of the event that may still be undone: a question deleted, or a new round started (whose
# archived round still holds its ballots), within the undo window ($2 seconds).
_UNDO = """
SELECT action, code, question, at + make_interval(secs => $2) AS until FROM (
    SELECT 'delete' AS action, d.code, d.question, d.deleted_at AS at
    FROM deleted_questions d WHERE d.event_id = $1
    UNION ALL
    SELECT 'reset', p.code, p.question, r.ended_at
    FROM polls p JOIN poll_rounds r ON r.poll_id = p.id AND r.round = p.round - 1
    WHERE p.event_id = $1 AND r.ballots IS NOT NULL
) AS changes
WHERE at > now() - make_interval(secs => $2)
ORDER BY at DESC LIMIT 1
"""

# What a question holds beside its own row, each a table with a poll_id: kept whole by a delete, for its undo.
_QUESTION_TABLES = ("options", "ballots", "poll_rounds", *KIND_TABLES)

# Deleting a question keeps all of it, to be put back by an undo: the row, its options, its ballots, its
# earlier rounds and its kind's tables (one statement sees them all before the delete cascades).
_DELETE_QUESTION = (
    """
WITH kept AS (
    INSERT INTO deleted_questions (event_id, code, question, kept, was_live)
    SELECT $1, p.code, p.question,
           jsonb_build_object('poll', to_jsonb(p), """
    + ", ".join(
        f"'{table}', (SELECT coalesce(jsonb_agg(to_jsonb(t)), '[]') FROM {table} t WHERE t.poll_id = p.id)"
        for table in _QUESTION_TABLES
    )
    + """),
           e.live_poll_id IS NOT DISTINCT FROM p.id
    FROM polls p JOIN events e ON e.id = p.event_id
    WHERE p.id = $2 AND p.event_id = $1
    ON CONFLICT (event_id, code) DO UPDATE
    SET question = EXCLUDED.question, kept = EXCLUDED.kept, was_live = EXCLUDED.was_live, deleted_at = now()
)
DELETE FROM polls WHERE id = $2 AND event_id = $1
"""
)


def _questions(rows: list[asyncpg.Record]) -> tuple[Question, ...]:
    grouped: dict[int, list[asyncpg.Record]] = {}
    for row in rows:
        grouped.setdefault(row["id"], []).append(row)
    questions = []
    for group in grouped.values():
        first = group[0]
        questions.append(
            Question(
                poll_of(first["code"], group, in_event=True),
                first["position"],
                first["visibility"],
                first["revealed"],
                first["closes_at"],
                first["round"],
            )
        )
    return tuple(questions)


class EventStore:
    def __init__(self, database: Database) -> None:
        self.database = database

    async def create_event(self, admin_hash: str, new: NewEvent) -> str:
        """Store the event and its questions under new join codes; returns the event's code."""

        async def insert(code: str) -> tuple[str, int]:
            event_id = await connection.fetchval(
                "INSERT INTO events (code, admin_hash, title) VALUES ($1, $2, $3) RETURNING id",
                code,
                admin_hash,
                new.title,
            )
            return code, event_id

        async with self.database.acquire() as connection, connection.transaction():
            code, event_id = await with_free_code(connection, insert)
            for position, question in enumerate(new.questions, start=1):
                await insert_question(
                    connection, question.poll, place=Place(event_id, position, question.visibility)
                )
        return code

    async def admin_hash(self, code: str) -> str:
        query = "SELECT admin_hash FROM events WHERE code = $1"
        return str(await self.database.value(query, code, missing=EventNotFound))

    async def exists(self, code: str) -> None:
        """EventNotFound unless there is an event with this code (one indexed row, nothing more read)."""
        await self.database.value("SELECT 1 FROM events WHERE code = $1", code, missing=EventNotFound)

    async def lock(self, code: str) -> None:
        """Inside a unit of work: hold the event's row until it commits, so that what the use case reads of
        the event (its questions, their order) is still so when it writes."""
        await self.database.value(
            "SELECT 1 FROM events WHERE code = $1 FOR UPDATE", code, missing=EventNotFound
        )

    async def get_event(self, code: str) -> Event:
        async with self.database.acquire() as connection:
            return await self._event(connection, code)

    async def view(self, code: str) -> EventView:
        """The event and the results of its live question, read in one snapshot."""
        async with self.database.snapshot() as connection:
            event = await self._event(connection, code)
            results = None
            if event.live is not None:
                results = results_of(event.live, await connection.fetchrow(RESULTS, event.live))
            view = EventView(event, results)
            # The leaderboard, while the audience may see it: after a quiz question's reveal (closed, and
            # not a presenter-only one), and at the end.
            live = view.question
            if event.quiz and (
                event.ended or (live is not None and live.timed and view.audience_sees_results)
            ):
                return replace(view, board=await read_board(connection, code))
            return view

    async def _event(self, connection: asyncpg.Connection, code: str) -> Event:
        row = await connection.fetchrow(
            """SELECT e.id, e.title, e.version, e.ended_at IS NOT NULL AS ended, p.code AS live
               FROM events e LEFT JOIN polls p ON p.id = e.live_poll_id WHERE e.code = $1""",
            code,
        )
        if row is None:
            raise EventNotFound()
        questions = _questions(await connection.fetch(_QUESTIONS, row["id"]))
        undo = await connection.fetchrow(_UNDO, row["id"], UNDO_SECONDS)
        return Event(
            code,
            row["title"],
            row["version"],
            row["live"],
            questions,
            row["ended"],
            Undo(undo["action"], undo["code"], undo["question"], undo["until"]) if undo else None,
        )

    @staticmethod
    async def _bump(connection: asyncpg.Connection, code: str) -> int:
        """Bump the event's version (locking its row until commit); returns its id."""
        event_id = await connection.fetchval(
            "UPDATE events SET version = version + 1 WHERE code = $1 RETURNING id", code
        )
        if event_id is None:
            raise EventNotFound()
        return int(event_id)

    @staticmethod
    async def _question_id(connection: asyncpg.Connection, event_id: int, poll_code: str) -> int:
        poll_id = await connection.fetchval(
            "SELECT id FROM polls WHERE code = $1 AND event_id = $2 FOR UPDATE", poll_code, event_id
        )
        if poll_id is None:
            raise QuestionNotFound()
        return int(poll_id)

    async def change(self, code: str, poll_code: str | None, statement: str, *args: Any) -> None:
        """Run one change and bump the event's version, in one transaction. The statement gets $1 = the
        event's id, then $2 = the question's poll id if poll_code is given, then args."""
        async with self.database.acquire() as connection, connection.transaction():
            event_id = await self._bump(connection, code)
            if poll_code is None:
                await connection.execute(statement, event_id, *args)
            else:
                await connection.execute(
                    statement, event_id, await self._question_id(connection, event_id, poll_code), *args
                )

    async def add_question(self, code: str, question: NewQuestion) -> str:
        async with self.database.acquire() as connection, connection.transaction():
            event_id = await self._bump(connection, code)
            position = await connection.fetchval(
                "SELECT coalesce(max(position), 0) + 1 FROM polls WHERE event_id = $1", event_id
            )
            return await insert_question(
                connection, question.poll, place=Place(event_id, position, question.visibility)
            )

    async def edit_question(self, code: str, poll_code: str, question: NewQuestion) -> None:
        """Replace a question's text, kind and options: only while its current round has no votes."""
        async with self.database.acquire() as connection, connection.transaction():
            event_id = await self._bump(connection, code)
            poll_id = await self._question_id(connection, event_id, poll_code)
            if await connection.fetchval("SELECT voters FROM polls WHERE id = $1", poll_id):
                raise Conflict(
                    N_("This question has votes in its current round; reset it before editing it."),
                    code="question_has_votes",
                )
            await connection.execute(
                """UPDATE polls SET question = $2, kind = $3, max_choices = $4, visibility = $5,
                                    settings = $6, version = version + 1,
                                    revealed = revealed AND NOT $7 -- a quiz's until its reveal
                   WHERE id = $1""",
                poll_id,
                question.poll.question,
                question.poll.kind,
                question.poll.max_choices,
                question.visibility,
                json.dumps(question.poll.settings),
                kind_of(question.poll.kind).timed,
            )
            for table in KIND_TABLES:  # what a kind kept of the old options (no votes, but rows)
                await connection.execute(f"DELETE FROM {table} WHERE poll_id = $1", poll_id)
            await connection.execute("DELETE FROM options WHERE poll_id = $1", poll_id)
            await insert_options(connection, poll_id, question.poll.labels)

    async def touch(self, code: str, poll_code: str) -> None:
        """Inside a unit of work, before a change to one of the event's questions: bump the event's version
        and lock the question's row; QuestionNotFound if the question is not the event's."""
        async with self.database.acquire() as connection:
            await self._question_id(connection, await self._bump(connection, code), poll_code)

    async def end(self, code: str) -> None:
        """End the event: no question live, every question closed (a countdown stopped), and it says so."""
        await self.change(
            code,
            None,
            """WITH closed AS (
                   UPDATE polls SET status = 'closed', closes_at = NULL, version = version + 1
                   WHERE event_id = $1 AND (status = 'open' OR closes_at IS NOT NULL)
               )
               UPDATE events SET ended_at = coalesce(ended_at, now()), live_poll_id = NULL WHERE id = $1""",
        )

    async def set_title(self, code: str, title: str) -> None:
        await self.change(code, None, "UPDATE events SET title = $2 WHERE id = $1", title)

    async def reorder(self, code: str, order: list[str]) -> None:
        await self.change(
            code,
            None,
            """UPDATE polls SET position = o.position
               FROM unnest($2::text[]) WITH ORDINALITY AS o (code, position)
               WHERE polls.code = o.code AND polls.event_id = $1""",
            order,
        )

    async def delete_question(self, code: str, poll_code: str) -> None:
        """Delete the question with its rounds and ballots, kept for an undo within UNDO_SECONDS."""
        await self.change(code, poll_code, _DELETE_QUESTION)

    async def undo(self, code: str) -> str:
        """Undo the event's latest Delete or New round, if still within UNDO_SECONDS; returns the question's
        code. Conflict when there is nothing to undo, or when votes arrived in the new round meanwhile."""
        async with self.database.acquire() as connection, connection.transaction():
            event_id = await self._bump(connection, code)
            latest = await connection.fetchrow(_UNDO, event_id, UNDO_SECONDS)
            if latest is None:
                raise Conflict(N_("There is nothing to undo (any more)."), code="nothing_to_undo")
            if latest["action"] == "delete":
                await self._restore(connection, event_id, latest["code"])
            else:
                await self._restore_round(connection, latest["code"])
            return str(latest["code"])

    @staticmethod
    async def _restore(connection: asyncpg.Connection, event_id: int, poll_code: str) -> None:
        """Put a deleted question back as it was: its place, options, ballots, rounds (and live again if it
        was live and nothing else went live since)."""
        row = await connection.fetchrow(
            "DELETE FROM deleted_questions WHERE event_id = $1 AND code = $2 RETURNING kept, was_live",
            event_id,
            poll_code,
        )
        kept = row["kept"]
        poll_id = await connection.fetchval(
            """INSERT INTO polls OVERRIDING SYSTEM VALUE
               SELECT * FROM jsonb_populate_record(NULL::polls, $1::jsonb -> 'poll')
               ON CONFLICT DO NOTHING RETURNING id""",
            kept,
        )
        if poll_id is None:  # its code was given to a new poll meanwhile (a chance of one in a billion)
            raise Conflict(N_("This question cannot be put back any more."), code="nothing_to_undo")
        for table in _QUESTION_TABLES:
            await connection.execute(
                f"INSERT INTO {table} SELECT * FROM jsonb_populate_recordset(NULL::{table}, $1::jsonb -> $2)",
                kept,
                table,
            )
        if row["was_live"]:
            await connection.execute(
                """UPDATE events SET live_poll_id = $2
                   WHERE id = $1 AND live_poll_id IS NULL AND ended_at IS NULL""",
                event_id,
                poll_id,
            )

    @staticmethod
    async def _restore_round(connection: asyncpg.Connection, poll_code: str) -> None:
        """Go back to the round before the latest New round: its ballots, counts and status."""
        row = await connection.fetchrow(
            """SELECT p.id, p.voters AS new_voters, r.round, r.voters, r.counts, r.ballots, r.status, r.kept
               FROM polls p JOIN poll_rounds r ON r.poll_id = p.id AND r.round = p.round - 1
               WHERE p.code = $1 AND r.ballots IS NOT NULL FOR UPDATE OF p, r""",
            poll_code,
        )
        if row is None:  # its window passed while this undo waited for the lock
            raise Conflict(N_("There is nothing to undo (any more)."), code="nothing_to_undo")
        if row["new_voters"]:
            raise Conflict(
                N_("Votes arrived in the new round, so it can no longer be undone."), code="round_has_votes"
            )
        await connection.execute(
            """WITH ballots_back AS (
                   INSERT INTO ballots (poll_id, voter, option_ids, texts, cast_at, updated_at)
                   SELECT $1, b.voter, b.option_ids, b.texts, b.cast_at, b.updated_at
                   FROM jsonb_populate_recordset(NULL::ballots, $3::jsonb) AS b
               ), counts_back AS (
                   UPDATE options o SET votes = c.votes
                   FROM jsonb_populate_recordset(NULL::options, $4::jsonb) AS c
                   WHERE o.poll_id = $1 AND o.id = c.id
               ), forgotten AS (
                   DELETE FROM poll_rounds WHERE poll_id = $1 AND round = $2
               )
               UPDATE polls SET round = $2, voters = $5, status = coalesce($6, status), closes_at = NULL,
                                version = version + 1
               WHERE id = $1""",
            row["id"],
            row["round"],
            row["ballots"],
            row["counts"],
            row["voters"],
            row["status"],
        )
        for table in KIND_TABLES:
            await connection.execute(
                f"""INSERT INTO {table}
                    SELECT * FROM jsonb_populate_recordset(NULL::{table}, $1::jsonb -> $2)""",
                row["kept"],
                table,
            )

    async def forget_undo(self) -> None:
        """Drop what undo kept once its window has passed (the undo is no longer offered by then)."""
        async with self.database.acquire() as connection, connection.transaction():
            await connection.execute(
                "DELETE FROM deleted_questions WHERE deleted_at < now() - make_interval(secs => $1)",
                UNDO_SECONDS,
            )
            await connection.execute(
                """UPDATE poll_rounds SET ballots = NULL, kept = NULL
                   WHERE ballots IS NOT NULL AND ended_at < now() - make_interval(secs => $1)""",
                UNDO_SECONDS,
            )

    async def set_live(self, code: str, poll_code: str | None) -> None:
        """Make the question the live one (None: no question is live, e.g. between questions)."""
        if poll_code is None:
            await self.change(code, None, "UPDATE events SET live_poll_id = NULL WHERE id = $1")
        else:
            # A question going live after the end goes on with the event.
            await self.change(
                code, poll_code, "UPDATE events SET live_poll_id = $2, ended_at = NULL WHERE id = $1"
            )

    async def start_countdown(self, code: str, poll_code: str, seconds: int) -> None:
        """Open voting now and have it close by itself after the given seconds (see close_expired)."""
        await self.change(
            code,
            poll_code,
            """UPDATE polls SET status = 'open', closes_at = now() + make_interval(secs => $3),
                                version = version + 1
               WHERE id = $2 AND event_id = $1""",
            seconds,
        )

    async def close_expired(self) -> list[tuple[str, str]]:
        """Close the questions whose countdown ran out; returns (event code, poll code) of each, once
        (several replicas run this; the row lock lets one of them close each question)."""
        async with self.database.acquire() as connection, connection.transaction():
            rows = await connection.fetch(
                """UPDATE polls SET status = 'closed', closes_at = NULL, version = version + 1
                   WHERE closes_at <= now() AND status = 'open'
                   RETURNING code, event_id"""
            )
            if not rows:
                return []
            events = await connection.fetch(
                "UPDATE events SET version = version + 1 WHERE id = ANY($1::bigint[]) RETURNING id, code",
                list({row["event_id"] for row in rows if row["event_id"] is not None}),
            )
        event_codes = {row["id"]: row["code"] for row in events}
        return [(event_codes[row["event_id"]], row["code"]) for row in rows if row["event_id"] in event_codes]

    async def export_rows(self, code: str) -> list[dict[str, Any]]:
        """One row per question, option and round (earlier rounds and the current one), in order."""
        event = await self.get_event(code)
        rows = await self.database.run.fetch(
            f"""SELECT p.code, p.position, p.question, p.kind, r.round, r.voters,
                       coalesce(r.tally, jsonb_build_object('options', r.counts)) AS tally, 'ended' AS status
                FROM events e JOIN polls p ON p.event_id = e.id JOIN poll_rounds r ON r.poll_id = p.id
                WHERE e.code = $1
                UNION ALL
                SELECT p.code, p.position, p.question, p.kind, p.round, p.voters, {TALLY}, p.status
                FROM events e JOIN polls p ON p.event_id = e.id WHERE e.code = $1
                ORDER BY 2, 5""",
            code,
        )
        out = []
        for row in rows:
            kind = kind_of(row["kind"])
            for line in kind.export_lines(*kind.read_tally(json.loads(row["tally"]))):
                out.append(
                    {
                        "event": code,
                        "event_title": event.title,
                        "position": row["position"],
                        "question_code": row["code"],
                        "question": row["question"],
                        "round": row["round"],
                        "round_status": row["status"],
                        "voters": row["voters"],
                        "option_id": line.option_id,
                        "option": line.option,
                        "value": line.value,
                        "votes": line.votes,
                    }
                )
        return out
