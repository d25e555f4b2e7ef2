"""Health follows PostgreSQL: a replica that cannot reach it answers 503, and 200 again once it can."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator

import httpx
import pytest

from tests.processes import Replica, free_port
from tests.voters import get_voter


class Cable:
    """A TCP forwarder between a replica and PostgreSQL that the test can unplug and plug back in."""

    def __init__(self, target_port: int) -> None:
        self.port = free_port()
        self.target_port = target_port
        self.loop = asyncio.new_event_loop()
        self.plugged = True
        self.links: set[asyncio.StreamWriter] = set()
        threading.Thread(target=self.loop.run_forever, daemon=True).start()
        asyncio.run_coroutine_threadsafe(self._serve(), self.loop).result(5)

    async def _serve(self) -> None:
        self.server = await asyncio.start_server(self._link, "127.0.0.1", self.port)

    async def _link(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if not self.plugged:
            writer.close()
            return
        up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.target_port)
        self.links |= {writer, up_writer}

        async def pipe(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
            try:
                while data := await source.read(65536):
                    sink.write(data)
                    await sink.drain()
            except (ConnectionError, OSError):
                pass
            finally:
                sink.close()

        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))

    def unplug(self) -> None:
        def cut() -> None:
            self.plugged = False
            for writer in self.links:
                writer.transport.abort()
            self.links.clear()

        self.loop.call_soon_threadsafe(cut)

    def plug(self) -> None:
        self.loop.call_soon_threadsafe(setattr, self, "plugged", True)

    def close(self) -> None:
        self.unplug()
        self.loop.call_soon_threadsafe(self.server.close)
        self.loop.call_soon_threadsafe(self.loop.stop)


@pytest.fixture
def cabled_replica(database_name, amqp_url, exchange_name, tmp_path) -> Iterator[tuple[Replica, Cable]]:
    cable = Cable(5432)
    url = f"postgresql://postgres@127.0.0.1:{cable.port}/{database_name}"
    replica = Replica("cabled-1", url, amqp_url, exchange_name, tmp_path).start()
    try:
        yield replica, cable
    finally:
        replica.stop()
        cable.close()


def wait_for_status(url: str, status: int, within: float = 10.0) -> int:
    """Probe until the URL answers with the status, or the deadline passes; returns the last status seen
    (0 when the last probe got no answer in time)."""
    deadline = time.monotonic() + within
    while True:
        try:
            seen = httpx.get(url, timeout=5).status_code
        except httpx.HTTPError:
            seen = 0
        if seen == status or time.monotonic() > deadline:
            return seen
        time.sleep(0.1)


def test_health_is_503_without_postgresql_and_200_again_with_it(cabled_replica):
    replica, cable = cabled_replica
    assert httpx.get(f"{replica.url}/healthz").status_code == 200
    cable.unplug()
    assert wait_for_status(f"{replica.url}/healthz", 503) == 503
    response = httpx.get(f"{replica.url}/healthz", timeout=5)
    assert response.status_code == 503
    assert response.json()["status"] == "unavailable" and response.json()["instance"] == "cabled-1"
    assert response.headers["X-Instance"] == "cabled-1"
    cable.plug()
    assert wait_for_status(f"{replica.url}/healthz", 200) == 200


def test_a_vote_while_postgresql_is_unreachable_fails_honestly_with_503(cabled_replica):
    replica, cable = cabled_replica
    created = httpx.post(f"{replica.url}/api/polls", json={"question": "Q", "options": ["a", "b"]}).json()
    voter = get_voter(replica.url)
    cable.unplug()
    assert wait_for_status(f"{replica.url}/healthz", 503) == 503
    response = httpx.post(
        f"{replica.url}/api/polls/{created['code']}/votes",
        json={"voter": voter, "options": [1]},
        timeout=30,
    )
    assert response.status_code == 503
    assert response.json() == {
        "error": "The service is briefly unavailable; please try again.",
        "code": "unavailable",
    }
    cable.plug()
    assert wait_for_status(f"{replica.url}/healthz", 200) == 200
    response = httpx.post(
        f"{replica.url}/api/polls/{created['code']}/votes", json={"voter": voter, "options": [1]}
    )
    assert response.status_code == 200
