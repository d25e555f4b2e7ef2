"""The live hub pushes each poll's newest tally to its local sockets, in order, rendered once per version."""

from __future__ import annotations

import asyncio
import json

import pytest

from polls.domain import OptionResult, Results
from polls.live import Hub


def results(version: int, code: str = "ABCDEF", votes: int | None = None) -> Results:
    return Results(
        code, version, version, "open", (OptionResult(1, "a", version if votes is None else votes),)
    )


class Database:
    """Stands in for the store's `results` read: the current snapshot of each poll."""

    def __init__(self, *snapshots: Results) -> None:
        self.snapshots = {s.code: s for s in snapshots}
        self.reads = 0

    async def load(self, code: str) -> Results:
        self.reads += 1
        return self.snapshots[code]


class Socket:
    """A socket that records what it was sent; optionally slow or broken."""

    def __init__(self, delay: float = 0.0, broken: bool = False) -> None:
        self.received: list[int] = []
        self.delay = delay
        self.broken = broken

    async def send(self, payload: str) -> None:
        if self.broken:
            raise ConnectionError("socket gone")
        if self.delay:
            await asyncio.sleep(self.delay)
        self.received.append(json.loads(payload)["version"])


def version_json(r: Results) -> str:
    return json.dumps({"version": r.version})


def make_hub(db: Database, renders: list | None = None, **options) -> Hub:
    def render(r: Results) -> str:
        if renders is not None:
            renders.append(r.version)
        return version_json(r)

    return Hub({"json": render, "html": render}, load=db.load, send_timeout=0.5, **options)


class FastSocket(Socket):
    """A socket that takes frames synchronously, as the hub writes to sockets that keep up."""

    def __init__(self, full: bool = False, broken: bool = False) -> None:
        super().__init__(broken=broken)
        self.full = full
        self.frames: list[int] = []

    def write(self, frame: bytes) -> bool:
        if self.broken:
            raise ConnectionError("socket gone")
        if self.full:
            return False
        self.frames.append(json.loads(frame)["version"])
        return True


async def delivered(hub: Hub, snapshot: Results) -> None:
    """Deliver, then wait for the sends the hub left in the background (sockets without a write of their
    own always take that way), so that what each socket received can be read."""
    await hub.deliver(snapshot)
    await hub.idle()


def framed(text: str) -> bytes:
    return text.encode()


async def test_a_new_watcher_gets_the_current_snapshot_at_once():
    db = Database(results(3))
    hub = make_hub(db)
    socket = Socket()
    await hub.watch("ABCDEF", "json", socket.send)
    assert socket.received == [3]


async def test_a_socket_joining_a_watched_poll_gets_the_replicas_copy_while_the_bus_brings_every_change():
    db = Database(results(1))
    hub = make_hub(db, current=lambda: True)
    first, joining = Socket(), Socket()
    await hub.watch("ABCDEF", "json", first.send)
    await delivered(hub, results(4))  # the bus brought version 4; the database is not read for it
    await hub.watch("ABCDEF", "json", joining.send)
    assert joining.received == [4]
    assert db.reads == 1


async def test_while_the_bus_is_down_a_joining_socket_is_sent_what_the_database_holds():
    db = Database(results(1))
    connected = True
    hub = make_hub(db, current=lambda: connected)
    await hub.watch("ABCDEF", "json", Socket().send)
    connected = False
    db.snapshots["ABCDEF"] = results(6)  # committed elsewhere while no change came over the bus
    joining = Socket()
    await hub.watch("ABCDEF", "json", joining.send)
    assert joining.received == [6]
    assert db.reads == 2


async def test_every_watcher_of_the_poll_gets_each_newer_version_and_no_other_poll_does():
    db = Database(results(1), results(1, code="OTHERS"))
    hub = make_hub(db)
    a, b, other = Socket(), Socket(), Socket()
    await hub.watch("ABCDEF", "json", a.send)
    await hub.watch("ABCDEF", "html", b.send)
    await hub.watch("OTHERS", "json", other.send)
    await delivered(hub, results(2))
    await delivered(hub, results(3))
    assert a.received == b.received == [1, 2, 3]
    assert other.received == [1]


async def test_an_older_or_repeated_version_is_never_sent():
    hub = make_hub(Database(results(5)))
    socket = Socket()
    await hub.watch("ABCDEF", "json", socket.send)
    for version in (4, 5, 7, 6, 7):
        await delivered(hub, results(version))
    assert socket.received == [5, 7]


async def test_a_slow_socket_gets_the_newest_tally_not_a_backlog_and_never_goes_back():
    hub = make_hub(Database(results(0)))
    slow = Socket(delay=0.05)
    await hub.watch("ABCDEF", "json", slow.send)
    await asyncio.gather(*(hub.deliver(results(v)) for v in range(1, 30)))
    await asyncio.sleep(0.2)
    assert slow.received == sorted(slow.received)
    assert slow.received[-1] == 29
    assert len(slow.received) < 10


async def test_each_version_is_rendered_once_per_format_however_many_watch():
    renders: list[int] = []
    hub = make_hub(Database(results(0)), renders)
    sockets = [Socket() for _ in range(50)]
    for i, socket in enumerate(sockets):
        await hub.watch("ABCDEF", "json" if i % 2 else "html", socket.send)
    renders.clear()
    await delivered(hub, results(1))
    assert renders == [1, 1]
    assert all(s.received[-1] == 1 for s in sockets)


async def test_a_broken_socket_is_dropped_and_the_others_still_get_updates():
    hub = make_hub(Database(results(0)))
    good, broken = Socket(), Socket()
    await hub.watch("ABCDEF", "json", good.send)
    watcher = await hub.watch("ABCDEF", "json", broken.send)
    broken.broken = True
    await delivered(hub, results(1))
    assert hub.watcher_count("ABCDEF") == 1
    assert watcher.closed
    await delivered(hub, results(2))
    assert good.received == [0, 1, 2]


async def test_a_stalled_socket_is_dropped_after_the_send_timeout():
    hub = make_hub(Database(results(0)))
    healthy, stalled = Socket(), Socket()
    await hub.watch("ABCDEF", "json", healthy.send)
    watcher = await hub.watch("ABCDEF", "json", stalled.send)
    stalled.delay = 5
    await delivered(hub, results(1))
    assert watcher.closed
    assert hub.watcher_count("ABCDEF") == 1
    assert healthy.received == [0, 1]


async def test_a_watcher_that_leaves_gets_nothing_more_and_the_poll_is_forgotten():
    hub = make_hub(Database(results(0)))
    socket = Socket()
    watcher = await hub.watch("ABCDEF", "json", socket.send)
    hub.unwatch(watcher)
    await delivered(hub, results(1))
    assert socket.received == [0]
    assert hub.watched_codes == []


async def test_resync_rereads_every_watched_poll_from_the_database():
    db = Database(results(1))
    hub = make_hub(db)
    socket = Socket()
    await hub.watch("ABCDEF", "json", socket.send)
    db.snapshots["ABCDEF"] = results(4)
    await hub.resync()
    await hub.idle()
    assert socket.received == [1, 4]


async def test_a_watcher_joining_after_a_newer_push_gets_the_newer_tally():
    db = Database(results(2))
    hub = make_hub(db)
    first, late = Socket(), Socket()
    await hub.watch("ABCDEF", "json", first.send)
    await delivered(hub, results(6))  # arrived from the bus; the database read below is older
    await hub.watch("ABCDEF", "json", late.send)
    assert late.received == [6]


async def test_updates_are_coalesced_to_one_push_per_interval_and_the_newest_wins():
    hub = make_hub(Database(results(0)), interval=0.2)
    socket = Socket()
    await hub.watch("ABCDEF", "json", socket.send)
    await delivered(hub, results(1))  # the first change after a quiet spell goes out at once
    for version in (2, 3, 4):
        await delivered(hub, results(version))
    assert socket.received == [0, 1]
    await asyncio.sleep(0.3)
    assert socket.received == [0, 1, 4]


async def test_a_socket_that_keeps_up_gets_the_frame_written_at_once_framed_once():
    frames: list[str] = []

    def frame(text: str) -> bytes:
        frames.append(text)
        return text.encode()

    hub = make_hub(Database(results(0)), frame=frame)
    sockets = [FastSocket() for _ in range(20)]
    for socket in sockets:
        await hub.watch("ABCDEF", "json", socket.send, socket.write)
    await delivered(hub, results(1))
    assert all(s.frames == [0, 1] for s in sockets)
    assert len(frames) == 2  # the snapshot the twenty got as they joined, then the push: each framed once


async def test_screens_joining_while_a_snapshot_is_the_newest_share_its_rendering():
    # A reconnect storm: a thousand screens join one topic; its snapshot is rendered once, not per screen.
    renders: list[int] = []
    hub = make_hub(Database(results(0)), renders, current=lambda: True, frame=framed)
    sockets = [FastSocket() for _ in range(100)]
    for socket in sockets:
        await hub.watch("ABCDEF", "json", socket.send, socket.write)
    assert renders == [0]
    await delivered(hub, results(1))
    late = FastSocket()
    await hub.watch("ABCDEF", "json", late.send, late.write)
    assert renders == [0, 1]
    assert all(s.frames == [0, 1] for s in sockets) and late.frames == [1]


async def test_a_socket_pushed_a_newer_snapshot_while_it_joins_is_not_sent_the_older_one():
    # An event's hub arranges a joining socket (who voted: a read) before its snapshot goes out; a push of a
    # newer version in between reaches the socket first, and the older one must not follow it.
    class ArrangesSlowly(Hub):
        async def arrange(self, snapshot: Results, watchers: list | None = None) -> None:
            if watchers is not None:
                await asyncio.sleep(0.05)

    hub = ArrangesSlowly(
        {"json": version_json}, load=Database(results(1)).load, frame=framed, current=lambda: True
    )
    first = FastSocket()
    await hub.watch("ABCDEF", "json", first.send, first.write)
    joining = FastSocket()
    join = asyncio.create_task(hub.watch("ABCDEF", "json", joining.send, joining.write))
    while hub.watcher_count("ABCDEF") < 2:  # registered, now arranged (with version 1 in hand)
        await asyncio.sleep(0)
    await delivered(hub, results(2))
    async with asyncio.timeout(30):  # a deadline, not a measurement
        await join
    assert joining.frames == [2] and joining.received == []
    assert first.frames == [1, 2]


async def test_a_socket_with_a_full_buffer_is_served_by_a_send_that_waits_for_it():
    hub = make_hub(Database(results(0)), frame=framed)
    full = FastSocket(full=True)
    await hub.watch("ABCDEF", "json", full.send, full.write)
    await delivered(hub, results(1))
    assert full.frames == [] and full.received == [0, 1]


async def test_a_socket_that_fails_a_write_is_dropped():
    hub = make_hub(Database(results(0)), frame=framed)
    broken, fine = FastSocket(), FastSocket()
    dropped = await hub.watch("ABCDEF", "json", broken.send, broken.write)
    await hub.watch("ABCDEF", "json", fine.send, fine.write)
    broken.broken = True
    await delivered(hub, results(1))
    assert dropped.closed and hub.watcher_count("ABCDEF") == 1
    assert fine.frames == [0, 1]


async def test_screens_connecting_at_once_share_one_database_read():
    db = Database(results(3))
    slow_load = db.load

    async def load(code: str) -> Results:
        await asyncio.sleep(0.05)
        return await slow_load(code)

    hub = Hub({"json": version_json}, load=load)
    sockets = [Socket() for _ in range(100)]
    await asyncio.gather(*(hub.watch("ABCDEF", "json", s.send) for s in sockets))
    assert db.reads == 1
    assert all(s.received == [3] for s in sockets)


async def test_a_failed_shared_read_fails_every_screen_waiting_for_it_and_the_next_read_is_new():
    calls = 0

    async def load(code: str) -> Results:
        nonlocal calls
        calls += 1
        await asyncio.sleep(0.01)
        if calls == 1:
            raise ConnectionError("database gone")
        return results(1)

    hub = Hub({"json": version_json}, load=load)
    outcomes = await asyncio.gather(
        *(hub.watch("ABCDEF", "json", Socket().send) for _ in range(5)), return_exceptions=True
    )
    assert all(isinstance(o, ConnectionError) for o in outcomes)
    assert hub.watcher_count() == 0
    await hub.watch("ABCDEF", "json", Socket().send)
    assert calls == 2


async def test_a_poll_with_thousands_of_local_screens_is_pushed_less_often():
    hub = make_hub(Database(results(0)), interval=0.05)
    for _ in range(3000):
        await hub.watch("ABCDEF", "json", Socket().send)
    assert hub._interval_for("ABCDEF") == pytest.approx(0.15)
    for _ in range(3000):
        await hub.watch("ABCDEF", "json", Socket().send)
    assert hub._interval_for("ABCDEF") == 0.25


async def test_a_socket_that_never_reads_does_not_hold_up_a_delivery_and_the_others_get_it():
    """A vote is acknowledged after its snapshot is delivered here: a screen whose peer stopped reading (its
    buffer full, its send waiting forever) must not delay that, nor the screens that keep up."""
    hub = Hub({"json": version_json}, load=Database(results(0)).load, send_timeout=3600, frame=framed)
    never_reads = asyncio.Event()  # never set: the send waits until the socket is dropped
    started: list[str] = []

    async def stuck(payload: str) -> None:
        started.append(payload)
        await never_reads.wait()

    fine = FastSocket()
    await hub.watch("ABCDEF", "json", fine.send, fine.write)
    stuck_watcher = await hub.watch("ABCDEF", "json", FastSocket().send, lambda frame: False)
    stuck_watcher.send = stuck
    async with asyncio.timeout(30):  # a deadline, not a measurement: waiting for the stuck send would hang
        await hub.deliver(results(1))
        await hub.deliver(results(2))
        while not started:  # the stuck socket's send starts in the background
            await asyncio.sleep(0)
    assert fine.frames == [0, 1, 2]
    assert started == [version_json(results(1))]  # in the background, still waiting; version 2 is pending
    hub.unwatch(stuck_watcher)
