"""Open-loop voter: `python -m bench.voter SPEC.json` casts ballots at a fixed rate, in its own process.

The i-th ballot is due at t0 + i/rate whatever happened to the earlier ones (open loop), and its latency
runs from that due time, so time spent waiting for a free connection counts (no coordinated omission).
Each ballot has a voter id of its own, unless it is a re-vote that changes an acknowledged ballot. In
retry mode (the failover section) a failed ballot is sent again, same voter, until it is acknowledged or
its deadline passes, as a phone's user would tap again; every failed attempt is a client-visible error.

Prints one JSON line when it starts ({"event": "started", "t0"}) and one summary line at the end;
the per-ballot records go to SPEC["out"] (.npz), times on time.monotonic(): CLOCK_MONOTONIC is
system-wide on Linux, so they compare with the subscribers' receive times in other processes.
"""

from __future__ import annotations

import asyncio
import json
import math
import random
import resource
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from bench.httpclient import Pool, post_json
from bench.stats import summary_ms
from bench.voter_ids import VoterNames

STATUS_CONNECTION_ERROR = 0
STATUS_TIMEOUT = -1


@dataclass
class Spec:
    host: str
    port: int
    polls: list[tuple[str, list[int]]]
    rate: float
    duration: float
    out: str
    prefix: str
    voter_key: str  # hex: the stack's voter id key (bench.voter_ids)
    connections: int = 1024  # phones each have their own; a small pool would turn open loop into closed
    timeout: float = 5.0
    retry: bool = False
    retry_deadline: float = 20.0
    revote_fraction: float = 0.0
    seed: int = 1


@dataclass
class Ballots:
    """One row per ballot, filled in as answers arrive."""

    n: int
    intended: np.ndarray = field(init=False)
    done: np.ndarray = field(init=False)
    status: np.ndarray = field(init=False)
    version: np.ndarray = field(init=False)
    attempts: np.ndarray = field(init=False)
    voter: np.ndarray = field(init=False)
    option: np.ndarray = field(init=False)
    poll: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        self.intended = np.full(self.n, np.nan)
        self.done = np.full(self.n, np.nan)
        self.status = np.full(self.n, STATUS_TIMEOUT, dtype=np.int16)
        self.version = np.full(self.n, -1, dtype=np.int64)
        self.attempts = np.zeros(self.n, dtype=np.int16)
        self.voter = np.zeros(self.n, dtype=np.int32)
        self.option = np.zeros(self.n, dtype=np.int32)
        self.poll = np.zeros(self.n, dtype=np.int16)

    def save(self, path: str) -> None:
        """The records as .npz, one array per field (what bench.voting's wait reads back)."""
        np.savez(path, **{name: getattr(self, name) for name in RECORDS})


RECORDS = ("intended", "done", "status", "version", "attempts", "voter", "option", "poll")


@dataclass(frozen=True)
class Run:
    """When a voter started (t0, monotonic), sent its last ballot and ended; its CPU seconds; its
    connections."""

    t0: float
    paced_end: float
    end: float
    cpu: float
    connections_opened: int


def summary_of(
    rows: Ballots,
    spec: Spec,
    run: Run,
    errors: int,
    error_kinds: dict[str, int],
    send_lags: Sequence[float] | np.ndarray,
) -> dict[str, Any]:
    """The voter's one summary line, of either client (this one, or bench/voter.c's)."""
    acked = rows.status == 200
    total = len(rows.status)
    lags = np.asarray(send_lags, dtype=np.float64)
    return {
        "event": "done",
        "t0": run.t0,
        "sent": total,
        "acked": int(acked.sum()),
        "target_rate": spec.rate,
        "sent_rate": round(total / max(run.paced_end - run.t0, 1e-6), 1),
        "acked_rate": round(int(acked.sum()) / max(run.end - run.t0, 1e-6), 1),
        "failed_attempts": errors,
        "error_kinds": error_kinds,
        "retried_ballots": int((rows.attempts > 1).sum()),
        "unacknowledged": int((~acked).sum()),
        "connections_opened": run.connections_opened,
        "latency": summary_ms((rows.done - rows.intended)[acked]),
        "max_client_lag_ms": round(float(lags.max(initial=0.0)) * 1e3, 1),
        "send_lag": summary_ms(lags),
        "cpu_percent": round(100 * run.cpu / max(run.end - run.t0, 1e-6), 1),
        "max_version": int(rows.version.max()) if total else -1,
    }


class Voter:
    def __init__(self, spec: Spec) -> None:
        self.spec = spec
        self.total = int(spec.rate * spec.duration)
        self.rows = Ballots(self.total)
        self.pool = Pool(spec.host, spec.port, spec.connections)
        self.names = VoterNames(spec.voter_key, spec.prefix)
        self.random = random.Random(spec.seed)
        self.errors = 0  # failed attempts, each one seen by the client
        self.error_kinds: dict[str, int] = {}
        self.send_lags: list[float] = []  # how late this process itself started each ballot
        self.voters = 0
        self.settled: list[int] = []  # voters whose last ballot is acknowledged and none is in flight
        self.voter_option: dict[int, int] = {}

    def voter_id(self, index: int) -> str:
        return self.names(index)

    def _pick(self, i: int) -> tuple[int, int, int]:
        """(poll index, voter index, option id) of ballot i."""
        poll = i % len(self.spec.polls)
        options = self.spec.polls[poll][1]
        if self.settled and self.random.random() < self.spec.revote_fraction and len(self.spec.polls) == 1:
            slot = self.random.randrange(len(self.settled))
            voter = self.settled[slot]
            self.settled[slot] = self.settled[-1]
            self.settled.pop()
            choices = [o for o in options if o != self.voter_option.get(voter)]
            return poll, voter, self.random.choice(choices)
        voter = self.voters
        self.voters += 1
        return poll, voter, options[i % len(options)]

    async def ballot(self, i: int, due: float) -> None:
        rows, spec = self.rows, self.spec
        poll, voter, option = self._pick(i)
        rows.intended[i], rows.voter[i], rows.option[i], rows.poll[i] = due, voter, option, poll
        code = spec.polls[poll][0]
        request = post_json(
            spec.host,
            spec.port,
            f"/api/polls/{code}/votes",
            {"voter": self.voter_id(voter), "options": [option]},
        )
        self.send_lags.append(time.monotonic() - due)
        delay = 0.25
        while True:
            rows.attempts[i] += 1
            failure = ""
            try:
                status, body, answered = await self.pool.request(request, spec.timeout)
            except TimeoutError:
                status, body, answered, failure = STATUS_TIMEOUT, b"", math.nan, "timeout"
            except (OSError, ValueError) as exc:
                status, body, answered = STATUS_CONNECTION_ERROR, b"", math.nan
                failure = f"{type(exc).__name__}: {exc}"[:100]
            rows.status[i] = status
            if status == 200:
                rows.done[i] = answered  # the kernel's receive time of the answer
                rows.version[i] = int(json.loads(body)["version"])
                self.voter_option[voter] = option
                self.settled.append(voter)
                return
            self.errors += 1
            kind = failure or f"HTTP {status}"
            self.error_kinds[kind] = self.error_kinds.get(kind, 0) + 1
            if not spec.retry or 400 <= status < 500 or time.monotonic() - due > spec.retry_deadline:
                return
            await asyncio.sleep(delay * (0.7 + 0.6 * self.random.random()))
            delay = min(delay * 2, 2.0)

    async def run(self) -> dict[str, Any]:
        spec = self.spec
        loop_start = time.monotonic()
        t0 = loop_start + 0.05
        print(json.dumps({"event": "started", "t0": t0}), flush=True)
        usage0 = resource.getrusage(resource.RUSAGE_SELF)
        tasks: set[asyncio.Task[None]] = set()
        i = 0
        while i < self.total:
            due_count = min(self.total, int((time.monotonic() - t0) * spec.rate) + 1)
            while i < due_count:
                task = asyncio.create_task(self.ballot(i, t0 + i / spec.rate))
                tasks.add(task)
                task.add_done_callback(tasks.discard)
                i += 1
            await asyncio.sleep(max(0.0, t0 + i / spec.rate - time.monotonic()))
        paced_end = time.monotonic()
        drain = spec.timeout + (spec.retry_deadline + 3.0 if spec.retry else 1.0)
        if tasks:
            _, pending = await asyncio.wait(tasks, timeout=drain)
            for task in pending:
                task.cancel()
        end = time.monotonic()
        usage1 = resource.getrusage(resource.RUSAGE_SELF)
        self.pool.close()
        return self.summary(
            t0, paced_end, end, usage1.ru_utime + usage1.ru_stime - usage0.ru_utime - usage0.ru_stime
        )

    def summary(self, t0: float, paced_end: float, end: float, cpu: float) -> dict[str, Any]:
        return summary_of(
            self.rows,
            self.spec,
            Run(t0, paced_end, end, cpu, self.pool.opened),
            self.errors,
            self.error_kinds,
            self.send_lags,
        )

    def save(self) -> None:
        self.rows.save(self.spec.out)


def main(path: str) -> int:
    with open(path) as f:
        raw = json.load(f)
    raw["polls"] = [(code, list(options)) for code, options in raw["polls"]]
    voter = Voter(Spec(**raw))
    try:
        import uvloop
    except ImportError:
        summary = asyncio.run(voter.run())
    else:
        summary = uvloop.run(voter.run())
    voter.save()
    print(json.dumps(summary), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
