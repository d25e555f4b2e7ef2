"""How a replica process stops and names itself: the parts HAProxy relies on for a failover without errors."""

from __future__ import annotations

import signal
import time
from collections.abc import Iterator

import httpx
import pytest
import websockets

from tests.api_client import new_poll
from tests.processes import Replica
from tests.voters import get_voter

DRAIN = 3.0


@pytest.fixture
def replica(database_url, amqp_url, exchange_name, tmp_path) -> Iterator[Replica]:
    replica = Replica("draining-1", database_url, amqp_url, exchange_name, tmp_path)
    replica.env["POLLS_DRAIN_SECONDS"] = str(DRAIN)
    replica.start()
    try:
        yield replica
    finally:
        replica.stop()


def test_sigterm_fails_the_health_check_at_once_and_serves_on_until_the_drain_ends(replica):
    code = new_poll(replica.url)["code"]
    voter = get_voter(replica.url)
    assert replica.process is not None
    replica.process.send_signal(signal.SIGTERM)
    signalled = time.monotonic()
    deadline = signalled + DRAIN
    while (health := httpx.get(f"{replica.url}/healthz", timeout=5)).status_code != 503:
        assert time.monotonic() < deadline, "the health check still passes"
        time.sleep(0.05)
    assert health.json()["status"] == "draining"
    # Still answering: the requests HAProxy sent before it took the replica out must not fail.
    vote = httpx.post(f"{replica.url}/api/polls/{code}/votes", json={"voter": voter, "options": [1]})
    assert vote.status_code == 200
    assert replica.process.wait(timeout=DRAIN + 15) == 0
    assert time.monotonic() - signalled >= DRAIN - 0.1


async def test_the_websocket_handshake_names_its_replica(replica):
    code = new_poll(replica.url)["code"]
    async with websockets.connect(f"{replica.ws_url}/api/polls/{code}/live") as ws:
        assert ws.response.status_code == 101
        assert ws.response.headers["X-Instance"] == "draining-1"
        assert ws.response.headers["Upgrade"].lower() == "websocket"
