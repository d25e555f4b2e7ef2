"""Migrations apply once, under a lock, and refuse to run over an edited file; one that changes how data is
kept carries the data kept before it over."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections import Counter
from collections.abc import AsyncIterator

import asyncpg
import pytest

from polls.kinds import KINDS
from polls.kinds._irv import instant_runoff
from polls.store.migrate import Migration, MigrationError, bundled_migrations, migrate


@pytest.fixture
async def schema_urls(database_url: str) -> AsyncIterator[tuple[str, str]]:
    """An empty schema of its own for each test, found first on the connections' search path."""
    schema = f"m_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(database_url)
    await admin.execute(f"CREATE SCHEMA {schema}")
    try:
        yield database_url, schema
    finally:
        await admin.execute(f"DROP SCHEMA {schema} CASCADE")
        await admin.close()


async def connect(url_schema: tuple[str, str]) -> asyncpg.Connection:
    url, schema = url_schema
    return await asyncpg.connect(url, server_settings={"search_path": schema})


MIGRATIONS = [
    Migration(1, "first", "CREATE TABLE things (id integer PRIMARY KEY);"),
    Migration(2, "second", "ALTER TABLE things ADD COLUMN name text;"),
]


async def test_the_bundled_migrations_are_numbered_from_one():
    versions = [m.version for m in bundled_migrations()]
    assert versions == list(range(1, len(versions) + 1))


async def test_pending_migrations_apply_once(schema_urls):
    connection = await connect(schema_urls)
    try:
        assert await migrate(connection, MIGRATIONS) == [1, 2]
        assert await migrate(connection, MIGRATIONS) == []
        await connection.execute("INSERT INTO things (id, name) VALUES (1, 'x')")
    finally:
        await connection.close()


async def test_replicas_starting_together_apply_each_migration_once(schema_urls):
    connections = [await connect(schema_urls) for _ in range(4)]
    try:
        applied = await asyncio.gather(*(migrate(c, MIGRATIONS) for c in connections))
        assert sorted(v for versions in applied for v in versions) == [1, 2]
    finally:
        for connection in connections:
            await connection.close()


async def test_an_edited_applied_migration_stops_the_start(schema_urls):
    connection = await connect(schema_urls)
    try:
        await migrate(connection, MIGRATIONS[:1])
        edited = [Migration(1, "first", "CREATE TABLE things (id bigint PRIMARY KEY);")]
        with pytest.raises(MigrationError, match="changed after it was applied"):
            await migrate(connection, edited)
    finally:
        await connection.close()


async def test_a_failing_migration_leaves_nothing_half_applied(schema_urls):
    connection = await connect(schema_urls)
    broken = [*MIGRATIONS[:1], Migration(2, "broken", "ALTER TABLE things ADD COLUMN a text; SELECT 1/0;")]
    try:
        with pytest.raises(asyncpg.DivisionByZeroError):
            await migrate(connection, broken)
        columns = await connection.fetchval(
            """SELECT count(*) FROM information_schema.columns
               WHERE table_name = 'things' AND table_schema = $1""",
            schema_urls[1],
        )
        assert columns == 1
        assert await migrate(connection, MIGRATIONS) == [2]
    finally:
        await connection.close()


async def test_a_database_ahead_of_the_code_is_refused(schema_urls):
    connection = await connect(schema_urls)
    try:
        await migrate(connection, MIGRATIONS)
        with pytest.raises(MigrationError, match="does not know"):
            await migrate(connection, MIGRATIONS[:1])
    finally:
        await connection.close()


async def test_rankings_stored_before_their_codes_are_read_after_the_migration(schema_urls):
    # Option 12 makes a two-digit id, which the old text wrote with two characters and a code with one letter.
    groups = {(12, 1, 3): 2, (3, 1, 12): 1}
    old_text = ";".join(f"{','.join(map(str, ranking))}:{ballots}" for ranking, ballots in groups.items())
    options = [{"id": option, "label": f"o{option}", "votes": 0} for option in range(1, 13)]
    places = [
        {
            "option": option,
            "counts": [sum(n for r, n in groups.items() if r[at] == option) for at in range(3)],
        }
        for option in range(1, 13)
    ]
    tally = {"options": options, "ranked": 3, "places": places, "rankings": old_text}
    connection = await connect(schema_urls)
    try:
        await migrate(connection, bundled_migrations()[:10])
        poll = await connection.fetchval(
            """INSERT INTO polls (code, admin_hash, question, kind, max_choices)
               VALUES ('RANKOLD', 'hash', 'Order?', 'ranking', 3) RETURNING id"""
        )
        await connection.executemany(
            "INSERT INTO ranking_groups (poll_id, ranking, ballots) VALUES ($1, $2, $3)",
            [(poll, list(ranking), ballots) for ranking, ballots in groups.items()],
        )
        await connection.execute(
            "INSERT INTO poll_rounds (poll_id, round, voters, counts, tally) VALUES ($1, 1, 3, '[]', $2)",
            poll,
            json.dumps(tally),
        )
        await migrate(connection)
        codes = await connection.fetch("SELECT ranking, code FROM ranking_groups ORDER BY code")
        assert [(row["ranking"], row["code"]) for row in codes] == [([3, 1, 12], "CAL"), ([12, 1, 3], "LAC")]
        kept = json.loads(await connection.fetchval("SELECT tally FROM poll_rounds WHERE poll_id = $1", poll))
        assert kept["rankings"] == {"once": "CAL", "more": "LAC2"}
        _, figures = KINDS["ranking"].read_tally(kept)
        assert figures["runoff"] == instant_runoff(range(1, 13), Counter(groups).elements()).as_dict()
        # A group put back as an undo kept it, without its code or with another, is given its own.
        await connection.execute(
            """INSERT INTO ranking_groups
               SELECT * FROM jsonb_populate_recordset(NULL::ranking_groups, $1::jsonb)""",
            json.dumps(
                [
                    {"poll_id": poll, "ranking": [2, 11], "ballots": 1},
                    {"poll_id": poll, "ranking": [11, 2], "ballots": 1, "code": "X"},
                ]
            ),
        )
        codes = await connection.fetch(
            "SELECT code FROM ranking_groups WHERE ranking @> '{11}' ORDER BY code"
        )
        assert [row["code"] for row in codes] == ["BK", "KB"]
    finally:
        await connection.close()


async def test_answers_stored_before_their_counters_are_counted_by_the_migrations(schema_urls):
    connection = await connect(schema_urls)
    try:
        before = [m for m in bundled_migrations() if m.version < 13]
        await migrate(connection, before)
        ids = []
        for code, kind in (("TEXTOLD", "text"), ("WORDOLD", "wordcloud")):
            ids.append(
                await connection.fetchval(
                    """INSERT INTO polls (code, admin_hash, question, kind, max_choices)
                       VALUES ($1, 'hash', 'Q?', $2, 1) RETURNING id""",
                    code,
                    kind,
                )
            )
        text, cloud = ids
        await connection.executemany(
            "INSERT INTO text_entries (poll_id, voter, text, state) VALUES ($1, $2, $3, $4)",
            [
                (text, f"v{i}", f"answer {i}", ("shown", "shown", "pending", "hidden")[i % 4])
                for i in range(8)
            ],
        )
        await connection.executemany(
            "INSERT INTO word_counts (poll_id, entry, votes, state) VALUES ($1, $2, $3, $4)",
            [
                (cloud, "calm", 3, "shown"),
                (cloud, "busy", 2, "shown"),
                (cloud, "gone", 0, "shown"),
                (cloud, "rude", 4, "held"),
            ],
        )
        await migrate(connection)
        counts = await connection.fetch("SELECT state, entries FROM text_counts WHERE poll_id = $1", text)
        totals = await connection.fetch("SELECT state, measure, n FROM word_totals WHERE poll_id = $1", cloud)
    finally:
        await connection.close()
    assert {row["state"]: row["entries"] for row in counts} == {"shown": 4, "pending": 2, "hidden": 2}
    assert {(row["state"], row["measure"]): row["n"] for row in totals} == {
        ("shown", "entries"): 2,
        ("shown", "votes"): 5,
        ("held", "entries"): 1,
        ("held", "votes"): 4,
    }
