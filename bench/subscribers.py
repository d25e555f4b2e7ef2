"""A subscriber process: thousands of websockets on one event loop, driven over a pipe by the benchmark.

Two kinds: fixed subscribers (latency, capacity, memory) connect once, directly to the replica given for
each, and record every message; reconnecting subscribers (failover) go through HAProxy and, like the
projector page's hx-ws, reconnect by themselves after a close with backoff: 250 ms doubling up to 3 s,
±30 % jitter, reset once connected.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import os
import random
import resource
import time
from collections.abc import Coroutine
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any

import numpy as np

from bench.stats import Histogram, summary_ms
from bench.ws import HandshakeError, Subscriber, subscribe

CONNECT_ERRORS = (OSError, TimeoutError, HandshakeError)


@dataclass(frozen=True)
class WorkerSpec:
    host: str
    ports: tuple[int, ...]  # one per subscriber of this process
    path: str
    reconnect: bool = False
    keep: int | None = None  # receipts kept per connection (None: all)
    connect_concurrency: int = 64
    connect_timeout: float = 30.0
    ready_timeout: float = 180.0
    seed: int = 1
    start_at: float = 0.0  # time.time() at which to start connecting (0: at once): processes start together
    cpus: tuple[int, ...] = ()  # the CPUs this process may run on (empty: any), as taskset pins them


class Reconnecting:
    """One projector screen: its connections over time."""

    def __init__(self, spec: WorkerSpec, port: int, rng: random.Random) -> None:
        self.spec = spec
        self.port = port
        self.rng = rng
        self.connections: list[Subscriber] = []
        self.failed_attempts = 0
        self.ready = asyncio.Event()

    @property
    def current(self) -> Subscriber | None:
        return self.connections[-1] if self.connections and self.connections[-1].open else None

    async def _open(self, gate: asyncio.Semaphore | None) -> Subscriber:
        if gate is None:
            return await subscribe(self.spec.host, self.port, self.spec.path, 10.0, self.spec.keep)
        async with gate:
            return await subscribe(self.spec.host, self.port, self.spec.path, 10.0, self.spec.keep)

    async def run(self, stop: asyncio.Event, gate: asyncio.Semaphore) -> None:
        """Connect (the first time through `gate`, so setting up is not a thundering herd), then keep
        reconnecting after every close, with the page's backoff, until `stop`."""
        attempt = 0
        while not stop.is_set():
            try:
                subscriber = await self._open(gate if not self.connections else None)
            except CONNECT_ERRORS:
                self.failed_attempts += 1
            else:
                attempt = 0
                self.connections.append(subscriber)
                self.ready.set()
                stopping = asyncio.ensure_future(stop.wait())
                ends: list[asyncio.Future[Any]] = [subscriber.closed, stopping]
                await asyncio.wait(ends, return_when=asyncio.FIRST_COMPLETED)
                stopping.cancel()
                if stop.is_set():
                    subscriber.close()
                    return
            attempt += 1
            delay = min(0.25 * 2 ** (attempt - 1), 3.0)
            delay *= 1 + (self.rng.random() * 2 - 1) * 0.3
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(delay):
                    await stop.wait()

    def record(self) -> list[dict[str, Any]]:
        return [
            {
                "upgraded": c.upgraded_at,
                "closed": c.closed.result() if c.closed.done() else math.nan,
                "close_code": c.close_code,
                "receipts": list(zip(c.times, c.versions, strict=True)),
                "last_version": c.last_version,
                "count": c.count,
            }
            for c in self.connections
        ]


class Worker:
    def __init__(self, pipe: Connection, spec: WorkerSpec) -> None:
        self.pipe = pipe
        self.spec = spec
        self.fixed: list[Subscriber | None] = []
        self.screens: list[Reconnecting] = []
        self.stop_event = asyncio.Event()
        self.tasks: list[asyncio.Task[None]] = []
        self.connect_errors: dict[str, int] = {}
        self._mark = (0.0, 0.0, 0)
        self._end: tuple[float, float, int] | None = None
        self.lags: list[float] = []  # event-loop lag during the window: the client's own delay

    async def _probe_lag(self) -> None:
        """How late a 10 ms sleep wakes up: time the loop was busy elsewhere, added to every receipt."""
        while True:
            before = time.monotonic()
            await asyncio.sleep(0.01)
            if self._end is None and self._mark[0]:
                self.lags.append(time.monotonic() - before - 0.01)

    def _subscribers(self) -> list[Subscriber]:
        if self.spec.reconnect:
            return [s for screen in self.screens if (s := screen.current) is not None]
        return [s for s in self.fixed if s is not None]

    async def _connect_one(self, port: int, gate: asyncio.Semaphore) -> Subscriber | None:
        async with gate:
            for attempt in range(3):
                try:
                    return await subscribe(self.spec.host, port, self.spec.path, self.spec.connect_timeout)
                except CONNECT_ERRORS as exc:
                    kind = type(exc).__name__
                    self.connect_errors[kind] = self.connect_errors.get(kind, 0) + 1
                    await asyncio.sleep(0.5 * (attempt + 1))
            return None

    async def connect(self) -> dict[str, Any]:
        if self.spec.start_at:
            await asyncio.sleep(max(0.0, self.spec.start_at - time.time()))
        start = time.monotonic()
        if self.spec.reconnect:
            rng = random.Random(self.spec.seed)
            self.screens = [Reconnecting(self.spec, port, rng) for port in self.spec.ports]
            gate = asyncio.Semaphore(self.spec.connect_concurrency)
            self.tasks = [asyncio.create_task(s.run(self.stop_event, gate)) for s in self.screens]
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.spec.ready_timeout):
                    await asyncio.gather(*(s.ready.wait() for s in self.screens))
            connected = sum(1 for s in self.screens if s.ready.is_set())
        else:
            gate = asyncio.Semaphore(self.spec.connect_concurrency)
            try:
                async with asyncio.timeout(self.spec.ready_timeout):
                    self.fixed = list(
                        await asyncio.gather(*(self._connect_one(p, gate) for p in self.spec.ports))
                    )
            except TimeoutError:
                self.fixed = []
            connected = sum(1 for s in self.fixed if s is not None)
        opened = [s for s in self.fixed if s is not None and s.times]
        return {
            "connected": connected,
            "failed": len(self.spec.ports) - connected,
            "connect_errors": self.connect_errors,
            "seconds": round(time.monotonic() - start, 2),
            # Since this process began connecting: each socket's 101, and its first message (the snapshot).
            "upgraded_after": [s.upgraded_at - start for s in opened],
            "snapshot_after": [s.times[0] - start for s in opened],
        }

    def status(self) -> dict[str, Any]:
        open_ = self._subscribers()
        return {
            "open": len(open_),
            "min_version": min((s.last_version for s in open_), default=-1),
            "messages": sum(s.count for s in open_),
        }

    def _clock(self) -> tuple[float, float, int]:
        usage = resource.getrusage(resource.RUSAGE_SELF)
        return time.monotonic(), usage.ru_utime + usage.ru_stime, self.status()["messages"]

    def start(self) -> dict[str, Any]:
        """Start the window over which CPU and messages are counted."""
        self._mark, self._end = self._clock(), None
        self.lags = []
        return {}

    def stop_clock(self) -> dict[str, Any]:
        """End that window (the votes are over; what comes after is catching up)."""
        self._end = self._clock()
        return {}

    def _since_start(self) -> dict[str, Any]:
        wall0, cpu0, messages0 = self._mark
        wall1, cpu1, messages1 = self._end or self._clock()
        wall = max(wall1 - wall0, 1e-6)
        return {
            "wall": wall,
            "cpu_percent": round(100 * (cpu1 - cpu0) / wall, 1),
            "messages": messages1 - messages0,
            "maxrss_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
            "loop_lag": summary_ms(self.lags),
        }

    def first_after(self, t: float) -> dict[str, Any]:
        """For every open subscriber, how long after `t` (time.monotonic(), the same clock in every process)
        its first message after `t` arrived; NaN for those that got none yet."""
        delays = []
        for subscriber in self._subscribers():
            times = np.frombuffer(subscriber.times, dtype=np.float64)
            later = times[times > t]
            delays.append(float(later[0] - t) if later.size else math.nan)
        return {"delays": delays}

    def collect(self, votes_path: str | None) -> dict[str, Any]:
        out = self._since_start()
        if self.spec.reconnect:
            out["screens"] = [
                {"connections": s.record(), "failed_attempts": s.failed_attempts} for s in self.screens
            ]
            return out
        subscribers = [s for s in self.fixed if s is not None]
        out["subscribers"] = len(subscribers)
        out["closed"] = sum(1 for s in subscribers if s.closed.done())
        out["backwards"] = sum(s.backwards for s in subscribers)
        out["errors"] = sorted({s.error for s in subscribers if s.error})[:5]
        if votes_path is not None:
            from_ack, from_send = latency_histograms(subscribers, votes_path)
            out["histogram"], out["histogram_from_send"] = from_ack.to_wire(), from_send.to_wire()
        return out

    async def stop(self) -> dict[str, Any]:
        self.stop_event.set()
        for subscriber in self._subscribers():
            subscriber.close()
        if self.tasks:
            await asyncio.wait(self.tasks, timeout=5.0)
        await asyncio.sleep(0.2)  # let the close frames go out
        return {}

    async def main(self) -> None:
        loop = asyncio.get_running_loop()
        self.pipe.send(await self.connect())
        probe = asyncio.create_task(self._probe_lag())
        while True:
            message: dict[str, Any] = await loop.run_in_executor(None, self.pipe.recv)
            command = message["cmd"]
            if command == "status":
                self.pipe.send(self.status())
            elif command == "start":
                self.pipe.send(self.start())
            elif command == "stop_clock":
                self.pipe.send(self.stop_clock())
            elif command == "first_after":
                self.pipe.send(self.first_after(message["t"]))
            elif command == "collect":
                self.pipe.send(self.collect(message.get("votes")))
            elif command == "stop":
                probe.cancel()
                self.pipe.send(await self.stop())
                return


def latency_histograms(subscribers: list[Subscriber], votes_path: str) -> tuple[Histogram, Histogram]:
    """Every (vote, subscriber) pair: the first receipt of a version >= the vote's, minus the time the
    voter got the vote's acknowledgement (the brief's figure) and minus the time the vote was due to be
    sent (what a person in the room sees: from tapping to the screen, queueing included)."""
    with np.load(votes_path) as votes:
        acked = votes["status"] == 200
        ack_times = votes["done"][acked]
        send_times = votes["intended"][acked]
        versions = votes["version"][acked]
    from_ack, from_send = Histogram(), Histogram()
    if versions.size == 0:
        return from_ack, from_send
    for subscriber in subscribers:
        seen_versions = np.maximum.accumulate(np.frombuffer(subscriber.versions, dtype=np.int64))
        times = np.frombuffer(subscriber.times, dtype=np.float64)
        index = np.searchsorted(seen_versions, versions, side="left")
        seen = index < seen_versions.size
        shown = times[index[seen]]
        from_ack.add(shown - ack_times[seen])
        from_send.add(shown - send_times[seen])
        missing = int(versions.size - np.count_nonzero(seen))
        from_ack.add_missing(missing)
        from_send.add_missing(missing)
    return from_ack, from_send


def worker_main(pipe: Connection, spec: WorkerSpec) -> None:
    """The entry point of a subscriber process (multiprocessing, spawn)."""
    if spec.cpus:
        os.sched_setaffinity(0, spec.cpus)
    run_loop(Worker(pipe, spec).main())


def run_loop(main: Coroutine[Any, Any, None]) -> None:
    try:
        import uvloop
    except ImportError:
        asyncio.run(main)
    else:
        uvloop.run(main)
