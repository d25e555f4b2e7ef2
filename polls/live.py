"""The live hub of one replica: which local sockets watch which poll, and what each was last sent.

A results snapshot arrives (from this replica's own vote, from the bus, or read from PostgreSQL when a
socket connects or the broker comes back) and is pushed to every local watcher of that poll. Each
payload is rendered once per version and format, not once per socket. A socket never receives an
older version after a newer one: every socket accepts only versions above the highest it has queued,
and while a send to it is in flight, newer snapshots replace one another in its single pending slot,
so a slow socket gets the latest tally, not a backlog. A socket whose send fails or stalls is dropped.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping

from polls.domain import Results

log = logging.getLogger("polls.live")

Send = Callable[[str], Awaitable[None]]
Close = Callable[[int, str], Awaitable[None]]
Render = Callable[[Results], str]
Load = Callable[[str], Awaitable[Results]]


class Watcher:
    """One local websocket watching one poll, in one format ("json" or "html")."""

    __slots__ = ("close", "closed", "code", "format", "pending", "send", "sending", "version")

    def __init__(self, code: str, fmt: str, send: Send, close: Close | None = None) -> None:
        self.code = code
        self.format = fmt
        self.send = send
        self.close = close
        self.version = -1  # highest version sent or pending
        self.pending: str | None = None
        self.sending = False
        self.closed = asyncio.Event()


class Hub:
    def __init__(self, renderers: Mapping[str, Render], load: Load, send_timeout: float = 5.0) -> None:
        self._renderers = renderers
        self._load = load
        self._send_timeout = send_timeout
        self._watchers: dict[str, set[Watcher]] = {}
        self._latest: dict[str, Results] = {}

    @property
    def watched_codes(self) -> list[str]:
        return list(self._watchers)

    def watcher_count(self, code: str | None = None) -> int:
        if code is not None:
            return len(self._watchers.get(code, ()))
        return sum(len(watchers) for watchers in self._watchers.values())

    async def watch(self, code: str, fmt: str, send: Send, close: Close | None = None) -> Watcher:
        """Register a socket and send it a full snapshot read from PostgreSQL (or a newer one)."""
        if fmt not in self._renderers:
            raise ValueError(f"unknown format {fmt!r}")
        watcher = Watcher(code, fmt, send, close)
        # Registered before the read, so no change committed after the read can be missed.
        self._watchers.setdefault(code, set()).add(watcher)
        try:
            snapshot = await self._load(code)
        except BaseException:
            self.unwatch(watcher)
            raise
        latest = self._latest.get(code)
        if latest is None or snapshot.version > latest.version:
            self._latest[code] = latest = snapshot
        await self._offer(watcher, latest.version, self._render(latest, fmt))
        return watcher

    def unwatch(self, watcher: Watcher) -> None:
        watchers = self._watchers.get(watcher.code)
        if watchers is None:
            return
        watchers.discard(watcher)
        watcher.closed.set()
        if not watchers:
            del self._watchers[watcher.code]
            self._latest.pop(watcher.code, None)

    async def deliver(self, results: Results) -> None:
        """Push a snapshot to the local watchers of its poll, unless they have it or a newer one."""
        watchers = self._watchers.get(results.code)
        if not watchers:
            return
        latest = self._latest.get(results.code)
        if latest is not None and results.version <= latest.version:
            return
        self._latest[results.code] = results
        rendered: dict[str, str] = {}
        sends = []
        for watcher in tuple(watchers):
            payload = rendered.get(watcher.format)
            if payload is None:
                payload = rendered[watcher.format] = self._render(results, watcher.format)
            sends.append(self._offer(watcher, results.version, payload))
        await asyncio.gather(*sends)

    async def resync(self) -> None:
        """Re-read every watched poll from PostgreSQL, e.g. after the broker connection came back."""
        for code in self.watched_codes:
            try:
                await self.deliver(await self._load(code))
            except Exception as exc:  # one poll's failure must not stop the others
                log.warning("resync of %s failed: %s", code, exc)

    async def close_all(self, code: int = 1012, reason: str = "service restart") -> None:
        """Close every local socket with a code that tells clients to reconnect (to another replica).

        Sanic's own shutdown would close them with 1000 (normal closure), after which browsers' hx-ws
        connections, rightly, do not reconnect.
        """
        watchers = [w for ws in self._watchers.values() for w in ws if w.close is not None]
        await asyncio.gather(*(w.close(code, reason) for w in watchers), return_exceptions=True)

    def _render(self, results: Results, fmt: str) -> str:
        return self._renderers[fmt](results)

    async def _offer(self, watcher: Watcher, version: int, payload: str) -> None:
        if version <= watcher.version or watcher.closed.is_set():
            return
        watcher.version = version
        watcher.pending = payload
        if watcher.sending:
            return  # the send in flight picks the newest pending payload up when it is done
        watcher.sending = True
        try:
            while watcher.pending is not None:
                payload, watcher.pending = watcher.pending, None
                async with asyncio.timeout(self._send_timeout):
                    await watcher.send(payload)
        except Exception as exc:
            log.info("dropping a watcher of %s: %s", watcher.code, exc or type(exc).__name__)
            self.unwatch(watcher)
        finally:
            watcher.sending = False
