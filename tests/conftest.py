"""Fixtures every layer shares: this run's own database and exchange on the machine's PostgreSQL and RabbitMQ.

Each test run gets a database `polls_test_<run>` and an exchange `polls.test.<run>`, and removes both when
it ends, so runs never see each other's data and leave the services as they found them.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import aio_pika
import asyncpg
import pytest
from sanic import Sanic

PG_ADMIN_URL = os.environ.get("POLLS_TEST_PG_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
AMQP_URL = os.environ.get("POLLS_TEST_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/")

ARTIFACTS = Path(__file__).resolve().parent / "artifacts"

# Apps are made anew for many tests in one process; Sanic allows re-using the name in test mode.
Sanic.test_mode = True


@pytest.fixture(scope="session")
def run_id() -> str:
    return uuid.uuid4().hex[:10]


@pytest.fixture(scope="session")
def database_name(run_id: str) -> Iterator[str]:
    name = f"polls_test_{run_id}"

    async def create() -> None:
        connection = await asyncpg.connect(PG_ADMIN_URL)
        try:
            await connection.execute(f'CREATE DATABASE "{name}"')
        finally:
            await connection.close()

    async def drop() -> None:
        connection = await asyncpg.connect(PG_ADMIN_URL)
        try:
            await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await connection.close()

    asyncio.run(create())
    yield name
    asyncio.run(drop())


@pytest.fixture(scope="session")
def database_url(database_name: str) -> str:
    return PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{database_name}"


@pytest.fixture(scope="session")
def amqp_url() -> str:
    return AMQP_URL


@pytest.fixture(scope="session")
def exchange_name(run_id: str) -> Iterator[str]:
    name = f"polls.test.{run_id}"
    yield name

    async def delete() -> None:
        connection = await aio_pika.connect(AMQP_URL)
        async with connection:
            channel = await connection.channel()
            await channel.exchange_delete(name)

    asyncio.run(delete())


@pytest.fixture(scope="session")
def artifacts() -> Path:
    """tests/artifacts: figures and screenshots the tests measure, quoted in the README."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS
