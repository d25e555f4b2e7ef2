"""The fault suite's stack: HAProxy and two replicas (scripts/stack) on a PostgreSQL and a RabbitMQ of their
own.

The machine's services are shared with other test runs, so the faults hit private ones: stopping this
PostgreSQL or this RabbitMQ is a real stop of a real server, and nobody else's.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator

import pytest

from tests.faults.load import health
from tests.faults.services import PrivatePostgres, PrivateRabbitMQ
from tests.processes import Stack, consecutive_free_ports, free_port

DATABASE = "polls_faults"


@pytest.fixture(scope="session")
def private_rabbitmq(run_id: str) -> Iterator[PrivateRabbitMQ]:
    """Started here, waited for by fault_stack: a node takes a while to boot, PostgreSQL starts meanwhile."""
    rabbitmq = PrivateRabbitMQ(run_id)
    try:
        rabbitmq.start()
        yield rabbitmq
    finally:
        rabbitmq.close()


@pytest.fixture(scope="session")
def private_postgres() -> Iterator[PrivatePostgres]:
    postgres = PrivatePostgres()
    try:
        postgres.init()
        postgres.start()
        yield postgres
    finally:
        postgres.close()


@pytest.fixture(scope="session")
def fault_stack(
    private_rabbitmq: PrivateRabbitMQ, private_postgres: PrivatePostgres, tmp_path_factory
) -> Iterator[Stack]:
    private_rabbitmq.wait_ready()
    base = consecutive_free_ports(2)
    http_port, stats_port = free_port(), free_port()
    env = {
        **os.environ,
        "POLLS_STACK_DIR": str(tmp_path_factory.mktemp("fault-stack")),
        "POLLS_HTTP_PORT": str(http_port),
        "POLLS_STATS_PORT": str(stats_port),
        "POLLS_BASE_PORT": str(base),
        "POLLS_PGHOST": "127.0.0.1",
        "POLLS_PGPORT": str(private_postgres.port),
        "POLLS_DB_NAME": DATABASE,
        "POLLS_DATABASE_URL": private_postgres.url(DATABASE),
        "POLLS_AMQP_URL": private_rabbitmq.url,
        "POLLS_EXCHANGE": "polls.faults",
    }
    stack = Stack(env, f"http://127.0.0.1:{http_port}", f"http://127.0.0.1:{stats_port}/stats", base)
    try:
        stack.run("up")
        yield stack
    finally:
        stack.run("down", check=False)


@pytest.fixture
def stack(fault_stack: Stack) -> Stack:
    """The fault stack, whole again: each test starts with every replica UP in HAProxy and on the bus."""
    fault_stack.wait_haproxy_view({"web-1": "UP", "web-2": "UP"}, within=60)
    deadline = time.monotonic() + 60
    while not all(health(fault_stack, name).get("bus") == "connected" for name in ("web-1", "web-2")):
        assert time.monotonic() < deadline, "a replica is not connected to RabbitMQ"
        time.sleep(0.1)
    return fault_stack


@pytest.fixture(scope="session")
def database_url(private_postgres: PrivatePostgres) -> str:
    return private_postgres.url(DATABASE)
