"""Fixtures on the real PostgreSQL and RabbitMQ: a migrated database, a store, a poll to vote in."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest
from sanic import Sanic
from sanic_testing.reusable import ReusableClient

from polls.app import create_app
from polls.config import Config
from polls.domain import NewPoll, Poll
from polls.store import Database, PollStore, migrate
from tests.processes import Replica, free_port
from tests.voters import ask_voter


@pytest.fixture
async def database(database_url: str) -> AsyncIterator[Database]:
    database = Database(database_url, max_size=20)
    await database.open()
    async with database.pool.acquire() as connection:
        await migrate(connection)
    yield database
    await database.close()


@pytest.fixture
def store(database: Database) -> PollStore:
    return PollStore(database)


@pytest.fixture
async def poll(store: PollStore) -> Poll:
    return await store.create_poll("hash", NewPoll("Lunch?", ("Pizza", "Tacos", "Sushi"), "multiple", 2))


@pytest.fixture(scope="module")
def app(database_url: str, amqp_url: str, exchange_name: str) -> Sanic:
    config = Config(instance="test-1", database_url=database_url, amqp_url=amqp_url, exchange=exchange_name)
    return create_app(config)


@pytest.fixture(scope="module")
def client(app: Sanic) -> Iterator[ReusableClient]:
    """The app served on a free port for the module, with its real store and bus (sanic-testing)."""
    with ReusableClient(app, port=free_port()) as client:
        yield client


@pytest.fixture
def created(client: ReusableClient) -> dict:
    """A poll made through the API: its JSON, admin token included."""
    _, response = client.post(
        "/api/polls", json={"question": "Lunch?", "options": ["Pizza", "Tacos", "Sushi"]}
    )
    assert response.status == 201
    return response.json


@pytest.fixture
def voter(client: ReusableClient) -> str:
    """A voter id issued by the app, as a client asks for one (POST /api/voters)."""
    return ask_voter(client)


@pytest.fixture(scope="module")
def replicas(database_url, amqp_url, exchange_name, tmp_path_factory) -> Iterator[tuple[Replica, Replica]]:
    logs = tmp_path_factory.mktemp("replica-logs")
    pair = tuple(Replica(f"live-{i}", database_url, amqp_url, exchange_name, logs) for i in (1, 2))
    for replica in pair:
        replica.start(wait_healthy=False)
    try:
        for replica in pair:
            replica.wait_healthy()
        yield pair
    finally:
        for replica in pair:
            replica.stop()
