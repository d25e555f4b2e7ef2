"""Load for the fault tests: phones that vote once each and never retry, and the figures they leave.

A phone here is stricter than a person: every ballot is a new voter, who asks for a voter id and sends the
ballot once each, and an error of either is counted, not retried, so an error the stack lets through is
seen. The load is bounded in count and in time.
"""

from __future__ import annotations

import asyncio
import json
import random
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from tests.e2e.clients import Screen
from tests.processes import Stack

FIGURES = "faults.json"


@dataclass
class Attempt:
    voter: str  # the id the stack issued ("" if asking for one failed)
    options: list[int]
    at: float
    outcome: str  # "200", "503 from a replica", "503 from HAProxy", another status, or the client's error
    # (each prefixed "voter id: " when it was the answer to asking for the id)
    retry_after: str | None = None


@dataclass
class Phones:
    """Ballots at `rate` per second from `phones` concurrent phones (each its own keep-alive connection, as
    a browser has), at most `limit` of them, until stop() or `seconds` have passed."""

    url: str
    code: str
    rate: float
    limit: int
    seconds: float = 60.0
    phones: int = 16
    prefix: str = "phone"
    attempts: list[Attempt] = field(default_factory=list)
    _next: int = 0
    _stopped: bool = False
    _start: float = 0.0
    _rng: random.Random = field(default_factory=random.Random)
    _tasks: list[asyncio.Task[None]] = field(default_factory=list)

    def start(self) -> Phones:
        self._start = time.monotonic()
        self._rng.seed(self.prefix)
        self._tasks = [asyncio.create_task(self._phone()) for _ in range(self.phones)]
        return self

    async def _phone(self) -> None:
        # A phone waits as long as HAProxy does for a replica (timeout server 30s).
        async with httpx.AsyncClient(base_url=self.url, timeout=30) as http:
            while not self._stopped:
                i, self._next = self._next, self._next + 1
                due = self._start + i / self.rate
                if i >= self.limit or due > self._start + self.seconds:
                    return
                await asyncio.sleep(max(0.0, due - time.monotonic()))
                if self._stopped:
                    return
                await self._vote(http, [self._rng.randint(1, 3)])

    async def _vote(self, http: httpx.AsyncClient, options: list[int]) -> None:
        attempt = Attempt("", options, time.monotonic(), "")
        self.attempts.append(attempt)
        voter = await self._send(attempt, http, "/api/voters", None, "voter id: ")
        if voter is not None:
            attempt.voter = voter.json()["voter"]
            await self._send(
                attempt, http, f"/api/polls/{self.code}/votes", {"voter": attempt.voter, "options": options}
            )

    @staticmethod
    async def _send(
        attempt: Attempt, http: httpx.AsyncClient, path: str, body: Any, what: str = ""
    ) -> httpx.Response | None:
        """One request, sent once; its outcome is the attempt's, and its answer only if it succeeded."""
        try:
            response = await http.post(path, json=body)
        except httpx.HTTPError as exc:
            attempt.outcome = what + type(exc).__name__
            return None
        attempt.outcome = what + str(response.status_code)
        if response.status_code == 503:
            replica = response.headers.get("X-Instance")
            attempt.outcome = what + ("503 from a replica" if replica else "503 from HAProxy")
            attempt.retry_after = response.headers.get("Retry-After")
        return response if response.is_success else None

    def stop(self) -> None:
        self._stopped = True

    async def finish(self) -> Phones:
        """Wait for the phones (all ballots sent, the time up, or stopped)."""
        await asyncio.gather(*self._tasks)
        return self

    @property
    def outcomes(self) -> dict[str, int]:
        return dict(Counter(a.outcome for a in self.attempts))

    @property
    def errors(self) -> list[Attempt]:
        return [a for a in self.attempts if a.outcome != "200"]

    @property
    def acknowledged(self) -> dict[str, list[int]]:
        return {a.voter: a.options for a in self.attempts if a.outcome == "200"}

    def rate_achieved(self) -> float:
        if len(self.attempts) < 2:
            return 0.0
        times = [a.at for a in self.attempts]
        return round(len(times) / max(max(times) - min(times), 1e-6), 1)

    def first_success_after(self, moment: float) -> float | None:
        """Seconds from the moment until the first acknowledged ballot sent after it."""
        after = [a.at for a in self.attempts if a.outcome == "200" and a.at >= moment]
        return round(min(after) - moment, 3) if after else None


def health(stack: Stack, name: str) -> dict[str, Any]:
    """A replica's own /healthz body ({} while it does not answer)."""
    try:
        return httpx.get(f"{stack.replica_url(name)}/healthz", timeout=3).json()
    except (httpx.HTTPError, ValueError):
        return {}


async def wait_until(condition, within: float, what: str, interval: float = 0.05) -> float:
    """Wait until condition() is true (it is called in a thread, so it may block); returns the seconds it
    took, or fails saying what was awaited."""
    start = time.monotonic()
    while not await asyncio.to_thread(condition):
        if time.monotonic() - start > within:
            raise AssertionError(f"{what}: not so after {within} s")
        await asyncio.sleep(interval)
    return time.monotonic() - start


async def seconds_until(condition, since: float, within: float, what: str) -> float:
    """Wait until condition() is true; returns the seconds from `since` (a time.monotonic()) until it was, so
    that several waits run together (asyncio.gather) each measure from the same moment."""
    await wait_until(condition, within, what)
    return round(time.monotonic() - since, 3)


async def watching_screens(stack: Stack, code: str, count: int, within: float = 30) -> list[Screen]:
    """Screens on the poll's live socket through HAProxy, once both replicas hold some of them (the live
    backend spreads them by least connections)."""
    url = f"{stack.url.replace('http', 'ws', 1)}/api/polls/{code}/live"
    screens = [Screen(url).start() for _ in range(count)]

    def on_both() -> bool:
        return all(health(stack, name).get("watchers", 0) > 0 for name in ("web-1", "web-2"))

    await wait_until(lambda: all(s.connections for s in screens) and on_both(), within, "screens on both")
    return screens


async def stop_screens(screens: list[Screen]) -> None:
    for screen in screens:
        await screen.stop()


def record_figures(artifacts: Path, test: str, figures: dict[str, Any]) -> None:
    """Print the figures and merge them into tests/artifacts/faults.json under the test's key."""
    path = artifacts / FIGURES
    try:
        merged = json.loads(path.read_text())
    except (OSError, ValueError):
        merged = {}
    merged[test] = figures
    path.write_text(json.dumps(merged, indent=2) + "\n")
    print(f"\n{test}:", json.dumps(figures, indent=2))
