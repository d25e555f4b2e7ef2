"""The SQL of quizzes: standings derived from the ballots (view quiz_answers), and players' nicknames."""

from __future__ import annotations

import asyncpg

from polls.errors import EventNotFound, NicknameTaken
from polls.quiz import LEADERBOARD_SIZE, Leaderboard, MyAnswer, Places, Standing, animal_name
from polls.store.pool import Database

# Every player of the event's quiz ($1: the event's id) with their points, right answers, answers and
# their total time, ranked: more points first, then less time; alike in both, the same rank.
_RANKED = """
WITH totals AS (
    SELECT a.voter, sum(a.points)::integer AS points,
           (count(*) FILTER (WHERE a.is_right))::integer AS right_answers,
           count(*)::integer AS answered, round(sum(a.elapsed_ms))::bigint AS time_ms
    FROM quiz_answers a WHERE a.event_id = $1 GROUP BY a.voter
)
SELECT t.*, rank() OVER (ORDER BY t.points DESC, t.time_ms) AS rank, count(*) OVER () AS players,
       n.nickname
FROM totals t LEFT JOIN nicknames n ON n.event_id = $1 AND n.voter = t.voter
"""


def _standing(row: asyncpg.Record) -> Standing:
    return Standing(
        int(row["rank"]),
        row["nickname"] or animal_name(row["voter"]),
        row["points"],
        row["right_answers"],
        row["answered"],
        row["time_ms"],
    )


async def read_board(connection: asyncpg.Connection, event_code: str) -> Leaderboard:
    """The top of the event's quiz, in the caller's snapshot."""
    rows = await connection.fetch(
        f"""SELECT * FROM ({_RANKED.replace("$1", "(SELECT id FROM events WHERE code = $1)")}) AS r
            ORDER BY r.rank, r.time_ms, r.voter LIMIT $2""",
        event_code,
        LEADERBOARD_SIZE,
    )
    return Leaderboard(tuple(_standing(row) for row in rows), int(rows[0]["players"]) if rows else 0)


class QuizStore:
    def __init__(self, database: Database) -> None:
        self.database = database

    async def places(self, event_code: str, poll_code: str | None) -> Places:
        """Every player's place in the event's quiz and how their answer to the given question went, with the
        event's version they are as of (read in one snapshot)."""
        async with self.database.snapshot() as connection:
            event = await connection.fetchrow("SELECT id, version FROM events WHERE code = $1", event_code)
            if event is None:
                raise EventNotFound()
            rows = await connection.fetch(
                f"""SELECT r.*, a.is_right, a.points AS question_points FROM ({_RANKED}) AS r
                    LEFT JOIN quiz_answers a ON a.voter = r.voter
                         AND a.poll_id = (SELECT id FROM polls WHERE code = $2 AND event_id = $1)""",
                event["id"],
                poll_code or "",
            )
        mine = {
            row["voter"]: (
                _standing(row),
                MyAnswer(row["is_right"], row["question_points"]) if row["is_right"] is not None else None,
            )
            for row in rows
        }
        return Places(int(event["version"]), int(rows[0]["players"]) if rows else 0, mine)

    async def version(self, event_code: str) -> int:
        """The event's version: the places read as of it are still the places (see QuizService)."""
        query = "SELECT version FROM events WHERE code = $1"
        return int(await self.database.value(query, event_code, missing=EventNotFound))

    async def nickname(self, event_code: str, voter: str) -> str | None:
        nickname = await self.database.run.fetchval(
            """SELECT n.nickname FROM nicknames n JOIN events e ON e.id = n.event_id
               WHERE e.code = $1 AND n.voter = $2""",
            event_code,
            voter,
        )
        return str(nickname) if nickname is not None else None

    async def set_nickname(self, event_code: str, voter: str, nickname: str) -> None:
        """Give the player this nickname in the event (replacing theirs); NicknameTaken if another has it."""
        try:
            stored = await self.database.run.fetchval(
                """INSERT INTO nicknames (event_id, voter, nickname)
                   SELECT id, $2, $3 FROM events WHERE code = $1
                   ON CONFLICT (event_id, voter) DO UPDATE SET nickname = EXCLUDED.nickname
                   RETURNING 1""",
                event_code,
                voter,
                nickname,
            )
        except asyncpg.UniqueViolationError:
            raise NicknameTaken() from None
        if stored is None:
            raise EventNotFound()
