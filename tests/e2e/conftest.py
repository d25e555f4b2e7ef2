"""The native stack of scripts/stack (HAProxy + two replicas), started on test ports for this run."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from tests.processes import Stack, consecutive_free_ports, free_port


@pytest.fixture(scope="session")
def stack(database_name: str, exchange_name: str, tmp_path_factory) -> Iterator[Stack]:
    base = consecutive_free_ports(2)
    http_port, stats_port = free_port(), free_port()
    env = {
        **os.environ,
        "POLLS_STACK_DIR": str(tmp_path_factory.mktemp("stack")),
        "POLLS_HTTP_PORT": str(http_port),
        "POLLS_STATS_PORT": str(stats_port),
        "POLLS_BASE_PORT": str(base),
        "POLLS_DB_NAME": database_name,
        "POLLS_EXCHANGE": exchange_name,
    }
    stack = Stack(env, f"http://127.0.0.1:{http_port}", f"http://127.0.0.1:{stats_port}/stats", base)
    try:
        stack.run("up")
        yield stack
    finally:
        stack.run("down", check=False)  # also when "up" failed half-way
