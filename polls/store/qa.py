"""The SQL of an event's audience Q&A: its settings and version on the events row, its questions, their
upvotes (one row per question and voter, the count moved in the same statement) and the per-voter limits.

Every write runs inside the caller's unit of work and starts with lock(), which locks the event's row: the
Q&A writes of one event take turns, so a board read after a write (in the same transaction) is at least as
new as every board committed before, and the versions order the boards."""

from __future__ import annotations

from dataclasses import dataclass

import asyncpg

from polls.errors import N_, Conflict, EventNotFound
from polls.qa import LIMIT_WINDOW, QaBoard, QaQuestion, QaQuestionNotFound
from polls.store.pool import Database


@dataclass(frozen=True)
class QaEvent:
    """An event's row as a Q&A write finds it, locked until commit."""

    id: int
    enabled: bool
    moderation: str


_VOTE_UP = """
WITH q AS (SELECT id FROM qa_questions WHERE id = $1 AND event_id = $2 AND state = 'shown'),
     added AS (
         INSERT INTO qa_votes (question_id, voter) SELECT id, $3 FROM q
         ON CONFLICT DO NOTHING RETURNING question_id
     ),
     counted AS (
         UPDATE qa_questions SET votes = votes + 1 WHERE id IN (SELECT question_id FROM added) RETURNING votes
     )
SELECT (SELECT count(*) FROM q) AS found, (SELECT votes FROM counted) AS changed_to,
       (SELECT votes FROM qa_questions WHERE id = $1) AS votes
"""
_VOTE_WITHDRAW = """
WITH q AS (SELECT id FROM qa_questions WHERE id = $1 AND event_id = $2 AND state = 'shown'),
     removed AS (
         DELETE FROM qa_votes WHERE question_id IN (SELECT id FROM q) AND voter = $3 RETURNING question_id
     ),
     counted AS (
         UPDATE qa_questions SET votes = votes - 1 WHERE id IN (SELECT question_id FROM removed)
         RETURNING votes
     )
SELECT (SELECT count(*) FROM q) AS found, (SELECT votes FROM counted) AS changed_to,
       (SELECT votes FROM qa_questions WHERE id = $1) AS votes
"""
# A presenter's action: $1 the event's id, $2 the question's id; RETURNING the question, if it is the event's.
_WHERE = " WHERE event_id = $1 AND id = $2 RETURNING id"
_ACTIONS = {
    "approve": "UPDATE qa_questions SET state = 'shown'" + _WHERE,
    "hide": "UPDATE qa_questions SET state = 'hidden', pinned = false" + _WHERE,
    "answer": "UPDATE qa_questions SET answered = true, pinned = false" + _WHERE,
    "unanswer": "UPDATE qa_questions SET answered = false" + _WHERE,
    "unpin": "UPDATE qa_questions SET pinned = false" + _WHERE,
    # Only a shown question is pinned (the table's check says so too).
    "pin": "UPDATE qa_questions SET pinned = true WHERE event_id = $1 AND id = $2 AND state = 'shown' "
    "RETURNING id",
}


class QaStore:
    def __init__(self, database: Database) -> None:
        self.database = database

    async def lock(self, code: str) -> QaEvent:
        """The event's Q&A settings, its row locked until the unit of work commits."""
        row = await self.database.run.fetchrow(
            "SELECT id, qa_enabled, qa_moderation FROM events WHERE code = $1 FOR NO KEY UPDATE", code
        )
        if row is None:
            raise EventNotFound()
        return QaEvent(int(row["id"]), bool(row["qa_enabled"]), str(row["qa_moderation"]))

    async def bump(self, event_id: int) -> None:
        """A change every screen shows: the board's version goes up, in the change's transaction."""
        await self.database.run.execute(
            "UPDATE events SET qa_version = qa_version + 1 WHERE id = $1", event_id
        )

    async def count(self, event_id: int, voter: str, questions: int, votes: int) -> tuple[int, int]:
        """Count a voter's questions and votes in the current window (a new window once the last ended);
        returns the window's totals, this write's included."""
        row = await self.database.run.fetchrow(
            """INSERT INTO qa_voter_limits AS l (event_id, voter, window_start, questions, votes)
               VALUES ($1, $2, now(), $3, $4)
               ON CONFLICT (event_id, voter) DO UPDATE SET
                   window_start = CASE WHEN l.window_start <= now() - make_interval(secs => $5)
                                       THEN now() ELSE l.window_start END,
                   questions = CASE WHEN l.window_start <= now() - make_interval(secs => $5)
                                    THEN $3 ELSE l.questions + $3 END,
                   votes = CASE WHEN l.window_start <= now() - make_interval(secs => $5)
                                THEN $4 ELSE l.votes + $4 END
               RETURNING questions, votes""",
            event_id,
            voter,
            questions,
            votes,
            LIMIT_WINDOW,
        )
        return int(row["questions"]), int(row["votes"])

    async def ask(self, event_id: int, voter: str, text: str, state: str, named: bool) -> QaQuestion:
        row = await self.database.run.fetchrow(
            """WITH asked AS (
                   INSERT INTO qa_questions (event_id, voter, text, state, named) VALUES ($1, $2, $3, $4, $5)
                   RETURNING id, text, state, votes, answered, pinned, asked_at, named
               )
               SELECT a.*, CASE WHEN a.named THEN n.nickname END AS author
               FROM asked a LEFT JOIN nicknames n ON n.event_id = $1 AND n.voter = $2""",
            event_id,
            voter,
            text,
            state,
            named,
        )
        return _question(row)

    async def vote(self, event_id: int, question_id: int, voter: str, up: bool) -> tuple[bool, int]:
        """Upvote (or withdraw the voter's upvote of) a shown question: whether that changed anything, and
        its votes now. Twice is once: the primary key on (question, voter) keeps one upvote per voter."""
        row = await self.database.run.fetchrow(
            _VOTE_UP if up else _VOTE_WITHDRAW, question_id, event_id, voter
        )
        if not row["found"]:
            raise QaQuestionNotFound()
        changed = row["changed_to"] is not None
        return changed, int(row["changed_to"] if changed else row["votes"])

    async def upvoted(self, event_id: int, question_id: int, voter: str) -> bool:
        return bool(
            await self.database.run.fetchval(
                """SELECT EXISTS (SELECT 1 FROM qa_votes v JOIN qa_questions q ON q.id = v.question_id
                                  WHERE v.question_id = $1 AND q.event_id = $2 AND v.voter = $3)""",
                question_id,
                event_id,
                voter,
            )
        )

    async def set_settings(self, event_id: int, enabled: bool | None, moderation: str | None) -> None:
        await self.database.run.execute(
            """UPDATE events SET qa_enabled = coalesce($2, qa_enabled),
                                 qa_moderation = coalesce($3, qa_moderation)
               WHERE id = $1""",
            event_id,
            enabled,
            moderation,
        )

    async def moderate(self, event_id: int, question_id: int, action: str) -> None:
        """One presenter's action on a question of the event. Pinning unpins the event's other question
        first (a unique index allows one pinned question per event); only a shown question is pinned."""
        run = self.database.run
        if action == "pin":
            await run.execute(
                "UPDATE qa_questions SET pinned = false WHERE event_id = $1 AND pinned AND id <> $2",
                event_id,
                question_id,
            )
        if await run.fetchval(_ACTIONS[action], event_id, question_id) is not None:
            return
        state = await run.fetchval(
            "SELECT state FROM qa_questions WHERE event_id = $1 AND id = $2", event_id, question_id
        )
        if state is None:
            raise QaQuestionNotFound()
        raise Conflict(N_("Only a question the audience sees can be pinned."), code="qa_not_shown")

    async def board(self, code: str) -> QaBoard:
        """The event's board, read in one statement (one snapshot): settings, version and every question."""
        rows = await self.database.run.fetch(
            """SELECT e.code, e.qa_version, e.qa_enabled, e.qa_moderation,
                      q.id, q.text, q.state, q.votes, q.answered, q.pinned, q.asked_at,
                      CASE WHEN q.named THEN n.nickname END AS author
               FROM events e LEFT JOIN qa_questions q ON q.event_id = e.id
               LEFT JOIN nicknames n ON n.event_id = e.id AND n.voter = q.voter
               WHERE e.code = $1 ORDER BY q.id""",
            code,
        )
        if not rows:
            raise EventNotFound()
        first = rows[0]
        questions = tuple(_question(row) for row in rows if row["id"] is not None)
        return QaBoard(
            first["code"], int(first["qa_version"]), first["qa_enabled"], first["qa_moderation"], questions
        )

    async def voted_by(self, code: str, voter: str) -> set[int]:
        """The questions of the event that this voter upvoted."""
        rows = await self.database.run.fetch(
            """SELECT v.question_id FROM qa_votes v
               JOIN qa_questions q ON q.id = v.question_id JOIN events e ON e.id = q.event_id
               WHERE e.code = $1 AND v.voter = $2""",
            code,
            voter,
        )
        return {int(row["question_id"]) for row in rows}


def _question(row: asyncpg.Record) -> QaQuestion:
    return QaQuestion(
        int(row["id"]),
        str(row["text"]),
        str(row["state"]),
        int(row["votes"]),
        bool(row["answered"]),
        bool(row["pinned"]),
        row["asked_at"],
        row["author"],
    )
