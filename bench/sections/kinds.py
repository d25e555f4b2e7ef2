"""Section kinds: what each question kind costs.

- the vote rate of each kind, the same wrk closed loop as the throughput section (a new voter id per request,
  one poll of 4 options or statements): single choice, a 1-5 scale with 4 statements, a ranking of 4, a word
  cloud (two entries per ballot out of 5,000 words, the profanity filter on) and open text (a sentence per
  ballot, the filter on); the database's voters must match the 200s, as there.
- a ranking's recount: 10,000 ballots over 10 options (random orders, nearly all different: the worst case
  for grouping), stored straight into PostgreSQL as the upsert would leave them; then the snapshot a replica
  reads after each commit (the one results query, which reads the ballots per distinct ranking, and the
  kind's count) timed 20 times, with the query and the count apart. Target: under 20 ms per recount.
- a word cloud's snapshot with 5,000 distinct entries (straight into word_counts, Zipf-like counts): the
  results query and its reading, timed 20 times; the size of the JSON a screen is sent (the top 100 and
  the totals, never every entry); and the cloud's layout of the top 100 and of 200 words, which each new
  tally costs a replica once (every screen and language share it).
- a quiz's leaderboard: an event of 5 quiz questions answered by 10,000 players each (50,000 ballots, straight
  into PostgreSQL with commit times spread over the time limit), the leaderboard a view is read with after a
  reveal (every player's points derived from the ballots, ranked, the top ten), every player's place (what a
  replica reads once per event version when the phones ask for their own), and a phone's own place after
  that read, each timed 20 times.
"""

from __future__ import annotations

import asyncio
import json
import random
import statistics
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import asyncpg

from bench import api
from bench.sections import throughput
from bench.settings import Sizes, Stack
from polls.domain import Results
from polls.kinds import KINDS, RESULTS
from polls.kinds._cloud import layout
from polls.quiz_service import QuizService
from polls.store.pool import Database
from polls.store.quiz import QuizStore, read_board
from polls.voters import VoterIds

RECOUNT_BALLOTS, RECOUNT_OPTIONS, RECOUNT_RUNS = 10_000, 10, 20

KIND_POLLS: dict[str, dict[str, Any]] = {
    "single": {},
    "scale": {"kind": "scale", "min": 1, "max": 5},
    "ranking": {"kind": "ranking"},
    "wordcloud": {"kind": "wordcloud", "entries": 2, "filter": True},
    "text": {"kind": "text", "filter": True},
}
CLOUD_ENTRIES, CLOUD_RUNS = 5_000, 20
QUIZ_QUESTIONS, QUIZ_PLAYERS, QUIZ_RUNS = 5, 10_000, 20
LIMIT = timedelta(seconds=20)  # the questions' time limit (the default)


def vote_rate(stack: Stack, kind: str, seconds: int, workdir: Path) -> dict[str, Any]:
    """The throughput section's wrk loop, against one poll of the kind."""
    options = KINDS[KIND_POLLS[kind].get("kind", kind)].options_range[1] and 4  # none for the text kinds
    poll = api.create_poll(stack.url, f"kinds, {kind}", options, **KIND_POLLS[kind])
    return throughput.wrk_votes(stack, [poll], seconds, workdir)


async def _recount(stack: Stack) -> dict[str, Any]:
    poll = api.create_poll(stack.url, "kinds, a ranking's recount", RECOUNT_OPTIONS, kind="ranking")
    rng = random.Random(11)
    orders = [rng.sample(poll.option_ids, len(poll.option_ids)) for _ in range(RECOUNT_BALLOTS)]
    connection = await asyncpg.connect(stack.database_url)
    try:
        poll_id = await connection.fetchval("SELECT id FROM polls WHERE code = $1", poll.code)
        # Straight into the tables, as the ranking's upsert would leave them: the ballots, first preferences,
        # the counters per place, the groups.
        await connection.copy_records_to_table(
            "ballots",
            records=[(poll_id, f"bench-{i}", order) for i, order in enumerate(orders)],
            columns=["poll_id", "voter", "option_ids"],
        )
        firsts: dict[int, int] = {}
        for order in orders:
            firsts[order[0]] = firsts.get(order[0], 0) + 1
        await connection.executemany(
            "UPDATE options SET votes = $3 WHERE poll_id = $1 AND id = $2",  # first preferences
            [(poll_id, option, votes) for option, votes in firsts.items()],
        )
        await connection.execute(
            """INSERT INTO ranking_places (poll_id, option_id, place, votes)
               SELECT $1, r.option_id, r.place, count(*)
               FROM ballots b, unnest(b.option_ids) WITH ORDINALITY AS r (option_id, place)
               WHERE b.poll_id = $1 GROUP BY r.option_id, r.place""",
            poll_id,
        )
        await connection.execute(
            """INSERT INTO ranking_groups (poll_id, ranking, ballots)
               SELECT $1, option_ids, count(*) FROM ballots WHERE poll_id = $1 GROUP BY option_ids""",
            poll_id,
        )
        await connection.execute("UPDATE polls SET voters = $2 WHERE id = $1", poll_id, RECOUNT_BALLOTS)
        distinct = await connection.fetchval(
            "SELECT count(DISTINCT option_ids) FROM ballots WHERE poll_id = $1", poll_id
        )
        kind = KINDS["ranking"]
        query_ms, count_ms = [], []
        for _ in range(RECOUNT_RUNS):
            started = time.perf_counter()
            row = await connection.fetchrow(RESULTS, poll.code)
            read = time.perf_counter()
            kind.read_tally(json.loads(row["tally"]))
            query_ms.append((read - started) * 1000)
            count_ms.append((time.perf_counter() - read) * 1000)
    finally:
        await connection.close()
    total = [q + c for q, c in zip(query_ms, count_ms, strict=True)]
    return {
        "ballots": RECOUNT_BALLOTS,
        "options": RECOUNT_OPTIONS,
        "distinct_rankings": distinct,
        "runs": RECOUNT_RUNS,
        "query_ms_median": round(statistics.median(query_ms), 2),
        "count_ms_median": round(statistics.median(count_ms), 2),
        "recount_ms_median": round(statistics.median(total), 2),
        "recount_ms_max": round(max(total), 2),
    }


async def _cloud(stack: Stack) -> dict[str, Any]:
    poll = api.create_poll(stack.url, "kinds, a word cloud of 5,000 entries", 0, kind="wordcloud")
    counts = [max(1, round(2_000 / (rank + 1))) for rank in range(CLOUD_ENTRIES)]
    connection = await asyncpg.connect(stack.database_url)
    try:
        poll_id = await connection.fetchval("SELECT id FROM polls WHERE code = $1", poll.code)
        await connection.copy_records_to_table(
            "word_counts",
            records=[(poll_id, f"entry {rank}", votes) for rank, votes in enumerate(counts)],
            columns=["poll_id", "entry", "votes"],
        )
        await connection.execute("ANALYZE word_counts")
        kind = KINDS["wordcloud"]
        query_ms = []
        for _ in range(CLOUD_RUNS):
            started = time.perf_counter()
            row = await connection.fetchrow(RESULTS, poll.code)
            options, detail = kind.read_tally(json.loads(row["tally"]))
            query_ms.append((time.perf_counter() - started) * 1000)
    finally:
        await connection.close()
    sent = Results(poll.code, row["version"], row["voters"], row["status"], options, "wordcloud", detail)
    words = [(str(e["entry"]), int(e["votes"])) for e in detail["entries"]]
    layout(words)  # the distance rings, built once per process
    layout_ms = {}
    for size in (100, 200):
        tally = [(f"entry {rank}", votes) for rank, votes in enumerate(counts[:size])]
        runs = []
        for _ in range(10):
            started = time.perf_counter()
            layout(tally)
            runs.append((time.perf_counter() - started) * 1000)
        layout_ms[str(size)] = round(statistics.median(runs), 2)
    return {
        "entries": CLOUD_ENTRIES,
        "runs": CLOUD_RUNS,
        "snapshot_ms_median": round(statistics.median(query_ms), 2),
        "snapshot_ms_max": round(max(query_ms), 2),
        "entries_sent": len(detail["entries"]),
        "json_bytes": len(json.dumps({"type": "results", **sent.as_dict()})),
        "layout_ms_median": layout_ms,
    }


async def _leaderboard(stack: Stack) -> dict[str, Any]:
    question = {"kind": "quiz", "question": "Which?", "options": ["a", "b", "c", "d"], "correct": [2]}
    event = api.create_event(stack.url, "kinds, a quiz's leaderboard", [question] * QUIZ_QUESTIONS)
    rng = random.Random(5)
    database = Database(stack.database_url, max_size=2)
    await database.open()
    try:
        connection = await asyncpg.connect(stack.database_url)
        try:
            started = await connection.fetch(
                """UPDATE polls SET status = 'closed', started_at = now() - interval '1 minute'
                   WHERE event_id = (SELECT id FROM events WHERE code = $1) RETURNING id, started_at""",
                event["code"],
            )
            await connection.copy_records_to_table(
                "ballots",
                records=[
                    (
                        row["id"],
                        f"player-{i}",
                        [rng.choice([1, 2, 2, 3, 4])],
                        row["started_at"] + rng.random() * LIMIT,
                    )
                    for row in started
                    for i in range(QUIZ_PLAYERS)
                ],
                columns=["poll_id", "voter", "option_ids", "cast_at"],
            )
            await connection.execute("ANALYZE ballots")
            board_ms = []
            for _ in range(QUIZ_RUNS):
                begun = time.perf_counter()
                board = await read_board(connection, event["code"])
                board_ms.append((time.perf_counter() - begun) * 1000)
        finally:
            await connection.close()
        store = QuizStore(database)
        read_ms = []
        for _ in range(QUIZ_RUNS):  # every player's place, as a replica reads it once per version
            begun = time.perf_counter()
            await store.places(event["code"], None)
            read_ms.append((time.perf_counter() - begun) * 1000)
        players = QuizService(store, VoterIds())
        await players.standing(event["code"], "player-0", None)
        own_ms = []
        for n in range(QUIZ_RUNS):  # then each phone's own place, from that read
            begun = time.perf_counter()
            await players.standing(event["code"], f"player-{n * 97}", None)
            own_ms.append((time.perf_counter() - begun) * 1000)
    finally:
        await database.close()
    return {
        "questions": QUIZ_QUESTIONS,
        "players": board.players,
        "runs": QUIZ_RUNS,
        "leaderboard_ms_median": round(statistics.median(board_ms), 2),
        "leaderboard_ms_max": round(max(board_ms), 2),
        "places_read_ms_median": round(statistics.median(read_ms), 2),
        "own_place_ms_median": round(statistics.median(own_ms), 2),
    }


def run(stack: Stack, sizes: Sizes, workdir: Path) -> dict[str, Any]:
    out: dict[str, Any] = {kind: vote_rate(stack, kind, sizes.wrk_seconds, workdir) for kind in KIND_POLLS}
    out["ranking_recount"] = asyncio.run(_recount(stack))
    out["wordcloud_snapshot"] = asyncio.run(_cloud(stack))
    out["quiz_leaderboard"] = asyncio.run(_leaderboard(stack))
    return out
