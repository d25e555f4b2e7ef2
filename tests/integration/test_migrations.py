"""Migrations apply once, under a lock, and refuse to run over an edited file."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import asyncpg
import pytest

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
