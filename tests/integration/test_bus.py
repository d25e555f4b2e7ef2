"""The bus carries each snapshot to every replica, and comes back by itself after losing the broker."""

from __future__ import annotations

import asyncio
import re
import subprocess
import uuid
from collections.abc import AsyncIterator

import pytest

from polls.bus import LiveBus
from polls.domain import OptionResult, Results


def snapshot(version: int) -> Results:
    return Results("ABCDEF", version, version, "open", (OptionResult(1, "a", version),))


class Replica:
    """What a replica's hub sees of the bus: the snapshots delivered and the resyncs asked for."""

    def __init__(self) -> None:
        self.received: list[int] = []
        self.resyncs = 0
        self.changed = asyncio.Event()

    async def on_results(self, results: Results) -> None:
        self.received.append(results.version)
        self.changed.set()

    async def on_resync(self) -> None:
        self.resyncs += 1
        self.changed.set()

    async def wait_for(self, predicate, within: float = 10.0) -> None:
        async with asyncio.timeout(within):
            while not predicate():
                self.changed.clear()
                await self.changed.wait()


@pytest.fixture
async def pair(amqp_url: str, exchange_name: str) -> AsyncIterator[tuple[tuple[LiveBus, Replica], ...]]:
    made = []
    for _ in range(2):
        replica = Replica()
        name = f"polls-test-{uuid.uuid4().hex[:8]}"
        bus = LiveBus(amqp_url, exchange_name, replica.on_results, replica.on_resync, name=name)
        await bus.start(wait=10)
        made.append((bus, replica))
    yield tuple(made)
    for bus, _ in made:
        await bus.stop()


async def test_a_snapshot_reaches_every_replica_once_each(pair):
    (publisher, sender), (_, other) = pair
    await publisher.publish(snapshot(1))
    await other.wait_for(lambda: other.received == [1])
    # The publishing replica sees it at once, and again through its own queue (the hub drops repeats).
    await sender.wait_for(lambda: sender.received == [1, 1])


async def test_a_replica_starts_with_a_resync_once_connected(pair):
    (bus, replica), _ = pair
    assert bus.connected
    await replica.wait_for(lambda: replica.resyncs >= 1)


async def test_publishing_without_a_broker_still_delivers_locally_and_never_raises(exchange_name):
    replica = Replica()
    bus = LiveBus("amqp://guest:guest@127.0.0.1:1/", exchange_name, replica.on_results, replica.on_resync)
    await bus.start(wait=0.2)
    try:
        assert not bus.connected
        await bus.publish(snapshot(3))
        assert replica.received == [3]
    finally:
        await bus.stop()


def close_broker_connection(name: str) -> None:
    """Have RabbitMQ drop the connection that announced itself with this name, as a broker restart would."""
    listing = subprocess.run(
        ["rabbitmqctl", "list_connections", "-q", "pid", "client_properties"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    pids = [line.split("\t")[0] for line in listing.splitlines() if f'{{"connection_name","{name}"}}' in line]
    assert pids, f"no broker connection named {name}"
    for pid in pids:
        assert re.match(r"^<[\w@.-]+\.\d+\.\d+\.\d+>$", pid), pid
        subprocess.run(
            ["rabbitmqctl", "close_connection", pid, "test: broker restart"], check=True, capture_output=True
        )


async def test_after_losing_the_broker_a_replica_reconnects_resyncs_and_receives_again(pair):
    (publisher, _), (listener, replica) = pair
    await replica.wait_for(lambda: replica.resyncs >= 1)
    resyncs = replica.resyncs
    await asyncio.to_thread(close_broker_connection, listener.name)
    await replica.wait_for(lambda: replica.resyncs > resyncs, within=20)
    await publisher.publish(snapshot(9))
    await replica.wait_for(lambda: 9 in replica.received)
