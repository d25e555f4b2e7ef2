"""Clients as a room full of phones and screens uses the stack: voters that retry, screens that reconnect."""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass, field

import httpx
import websockets


@dataclass
class Screen:
    """A JSON websocket client that reconnects by itself, like the pages' hx-ws connection does."""

    url: str
    connections: int = 0
    last: dict = field(default_factory=dict)
    went_back: int = 0
    reconnected_at: float | None = None
    drops: list[float] = field(default_factory=list)  # when a connection of this screen closed
    messages: int = 0
    task: asyncio.Task | None = None

    def start(self) -> Screen:
        self.task = asyncio.create_task(self._run())
        return self

    async def _run(self) -> None:
        while True:
            connected = False
            try:
                async with websockets.connect(self.url, open_timeout=5) as ws:
                    connected = True
                    self.connections += 1
                    if self.connections > 1:
                        self.reconnected_at = time.monotonic()
                    version = -1
                    async for raw in ws:
                        message = json.loads(raw)
                        if message["version"] <= version:
                            self.went_back += 1
                        version = message["version"]
                        self.messages += 1
                        self.last = message
            except (OSError, websockets.ConnectionClosed, websockets.InvalidHandshake, TimeoutError):
                pass
            if connected:
                self.drops.append(time.monotonic())
            await asyncio.sleep(0.2)

    async def stop(self) -> None:
        if self.task is not None:
            self.task.cancel()
            await asyncio.gather(self.task, return_exceptions=True)

    def shows(self, results: dict) -> bool:
        return {k: v for k, v in self.last.items() if k != "type"} == results


async def wait_until_shown(screens: list[Screen], results: dict, within: float = 15.0) -> float:
    """Wait until every screen shows exactly these results; returns the seconds it took."""
    start = time.monotonic()
    async with asyncio.timeout(within):
        while not all(screen.shows(results) for screen in screens):
            await asyncio.sleep(0.02)
    return time.monotonic() - start


@dataclass
class Voter:
    """A phone that votes, and retries a vote that got no answer or an error, as the page's user would.
    Its voter id is asked of the stack before its first ballot (POST /api/voters), with the same retries."""

    http: httpx.AsyncClient
    code: str
    name: str
    voter: str = ""  # issued by the stack
    acked: list[int] | None = None
    failed_attempts: int = 0
    errors: list[str] = field(default_factory=list)

    async def vote(self, options: list[int], attempts: int = 20) -> bool:
        for _ in range(attempts):
            try:
                if not self.voter:
                    response = await self.http.post("/api/voters")
                    if response.status_code == 201:
                        self.voter = response.json()["voter"]
                else:
                    response = await self.http.post(
                        f"/api/polls/{self.code}/votes", json={"voter": self.voter, "options": options}
                    )
                if response.status_code == 201:
                    continue
                if response.status_code == 200:
                    self.acked = options
                    return True
                self.errors.append(f"{response.status_code} {response.text[:100]}")
            except httpx.HTTPError as exc:
                self.errors.append(type(exc).__name__)
            self.failed_attempts += 1
            await asyncio.sleep(0.1)
        return False
