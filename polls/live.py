"""The live hub of one replica: which local sockets watch which topic, and what each was last sent.

A topic is a poll's results or an event's state: a snapshot with a `code` and an ordered `version`.
A snapshot arrives (from this replica's own vote, from the bus, or read from PostgreSQL when a
socket connects or the broker comes back) and is pushed to every local watcher of that poll.

- Coalesced: a poll is pushed at most once per `interval` (longer for polls with thousands of local
  screens, see _interval_for). A snapshot arriving sooner is held, newer
  ones replace it, and it goes out when the interval is over: screens get the newest tally a few times a
  second, not every vote, and the first change after a quiet spell goes out at once.
- Rendered once: each payload is rendered (and framed) once per version and format, not per socket.
- Written without waiting: a socket that can take the frame now gets it written straight away; only a
  socket whose buffer is full is served by a task in the background that waits for it, with a timeout.
- In order: every socket accepts only versions above the highest it has been given, and while a slow
  send to it is in flight, newer snapshots replace one another in its single pending slot, so a slow
  socket gets the latest tally, not a backlog. A socket whose send fails or stalls is dropped.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Coroutine, Mapping
from typing import Any

from polls.domain import Results
from polls.event import EventView
from polls.qa import QaBoard

log = logging.getLogger("polls.live")

MAX_INTERVAL = 0.25

Send = Callable[[str], Awaitable[None]]
Write = Callable[[bytes], bool]  # writes a whole frame now if the socket can take it; False if it cannot
Snapshot = Results | EventView | QaBoard
Render = Callable[[Any], str]
Frame = Callable[[str], bytes]
Load = Callable[[str], Awaitable[Any]]


def _newer(version: Any, than: Any) -> bool:
    return than is None or version > than


class Payload:
    __slots__ = ("frame", "text")

    def __init__(self, text: str, frame: bytes | None) -> None:
        self.text = text
        self.frame = frame


class Watcher:
    """One local websocket watching one poll, in one format ("json" or "html"). Kept small: one per socket."""

    __slots__ = (
        "audience",
        "closed",
        "code",
        "format",
        "pending",
        "send",
        "sending",
        "version",
        "write",
    )

    def __init__(
        self,
        code: str,
        fmt: str,
        send: Send,
        write: Write | None = None,
        audience: str | None = None,
    ) -> None:
        self.code = code
        self.format = fmt
        self.audience = audience  # who watches (a voter id), where the payload may depend on it
        self.send = send
        self.write = write
        self.version: Any = None  # highest version written, sent or pending (None: nothing yet)
        self.pending: str | None = None
        self.sending = False
        self.closed = False


class Hub:
    def __init__(
        self,
        renderers: Mapping[str, Render],
        load: Load,
        send_timeout: float = 5.0,
        interval: float = 0.0,
        frame: Frame | None = None,
        current: Callable[[], bool] = lambda: False,
    ) -> None:
        self._renderers = renderers
        self._current = current
        self._load = load
        self._send_timeout = send_timeout
        self._interval = interval
        self._frame = frame
        self._watchers: dict[str, set[Watcher]] = {}
        self._latest: dict[str, Any] = {}
        self._pushed: dict[str, float] = {}  # when each poll was last pushed (loop time)
        self._held: dict[str, asyncio.TimerHandle] = {}  # polls whose newest snapshot waits for its turn
        self._slow: set[asyncio.Task[None]] = set()
        self._loading: dict[str, asyncio.Future[Any]] = {}
        # Per topic, the snapshot last rendered and its payloads by format: shared by the sockets of a push
        # and by those that join while it is the newest (a reconnect storm renders it once, not per socket).
        self._rendered: dict[str, tuple[Any, dict[str, Payload]]] = {}

    @property
    def watched_codes(self) -> list[str]:
        return list(self._watchers)

    def latest(self) -> list[Any]:
        """The newest snapshot of every watched topic."""
        return list(self._latest.values())

    def watcher_counts(self, prefix: str) -> dict[str, int]:
        """Per topic, how many local sockets watch it in a format starting with the prefix."""
        counts = {
            code: sum(1 for w in ws if w.format.startswith(prefix)) for code, ws in self._watchers.items()
        }
        return {code: n for code, n in counts.items() if n}

    def watcher_count(self, code: str | None = None) -> int:
        if code is not None:
            return len(self._watchers.get(code, ()))
        return sum(len(watchers) for watchers in self._watchers.values())

    async def watch(
        self,
        code: str,
        fmt: str,
        send: Send,
        write: Write | None = None,
        audience: str | None = None,
    ) -> Watcher:
        """Register a socket and send it a full snapshot: the one this replica holds for the topic while its
        copies are current (other sockets watch it and the bus is connected), else one read from PostgreSQL.

        When a replica dies, its screens reconnect to the others, which mostly watch the same topics
        already: a reconnect storm then costs no database read at all."""
        if fmt not in self._renderers:
            raise ValueError(f"unknown format {fmt!r}")
        watcher = Watcher(code, fmt, send, write, audience)
        latest = self._latest.get(code) if self._current() else None
        # Registered before the read, so no change committed after the read can be missed.
        self._watchers.setdefault(code, set()).add(watcher)
        if latest is None:
            try:
                snapshot = await self._load_once(code)
            except BaseException:
                self.unwatch(watcher)
                raise
            latest = self._latest.get(code)
            if latest is None or snapshot.version > latest.version:
                self._latest[code] = latest = snapshot
        await self.arrange(latest, [watcher])
        if watcher.closed or not _newer(latest.version, watcher.version):
            return watcher  # it left, or a push gave it this version or a newer one while it was arranged
        payload = self._payload(code, latest, watcher.format)
        if not self._written(watcher, latest.version, payload):
            await self._send_slowly(watcher, latest.version, payload.text)
        return watcher

    async def arrange(self, snapshot: Any, watchers: list[Watcher] | None = None) -> None:
        """Before a snapshot goes out to these watchers (None: all of its topic), a subclass may change their
        formats (what each is shown)."""

    async def _load_once(self, code: str) -> Any:
        """Read a topic's snapshot, sharing a read already in flight: when a replica dies, its screens
        reconnect to the others all at once, and a thousand of them need one query, not a thousand.

        A watcher that joins a read in flight misses nothing: it is registered already, so any change
        committed after that read reaches it through deliver(), and watch() sends the newer of the two."""
        loading = self._loading.get(code)
        if loading is None:
            loading = self._loading[code] = asyncio.ensure_future(self._load(code))
            loading.add_done_callback(lambda _: self._loading.pop(code, None))
        return await asyncio.shield(loading)

    def _interval_for(self, code: str) -> float:
        """Pushes are spaced more as a poll's screens grow (one push costs a write per screen): the base
        interval up to 1,000 local screens, proportionally more above, at most a quarter of a second."""
        screens = len(self._watchers.get(code, ()))
        return min(MAX_INTERVAL, self._interval * max(1.0, screens / 1000))

    def unwatch(self, watcher: Watcher) -> None:
        watcher.closed = True
        watchers = self._watchers.get(watcher.code)
        if watchers is None:
            return
        watchers.discard(watcher)
        if not watchers:
            del self._watchers[watcher.code]
            self._latest.pop(watcher.code, None)
            self._rendered.pop(watcher.code, None)
            self._pushed.pop(watcher.code, None)
            held = self._held.pop(watcher.code, None)
            if held is not None:
                held.cancel()

    async def deliver(self, results: Snapshot) -> None:
        """Take a snapshot for the local watchers of its poll, unless they have it or a newer one.

        Pushed now if the poll's interval is over, else held for the end of it. Returns once every
        socket that could take it at once has it; slow ones are served in the background, so no socket's
        speed holds up the caller (a vote's acknowledgement waits for its snapshot's delivery)."""
        code = results.code
        if code not in self._watchers:
            return
        latest = self._latest.get(code)
        if latest is not None and results.version <= latest.version:
            return
        await self.arrange(results)
        latest = self._latest.get(code)
        if code not in self._watchers or (latest is not None and results.version <= latest.version):
            return  # while it was arranged, its last watcher left or a newer snapshot arrived
        self._latest[code] = results
        if code in self._held:
            return  # the held push will carry this newer snapshot
        loop = asyncio.get_running_loop()
        interval = self._interval_for(code)
        wait = self._pushed.get(code, -interval) + interval - loop.time()
        if wait > 0:
            self._held[code] = loop.call_later(wait, self._push_held, code)
            return
        self._in_background(self._push(code))

    async def idle(self) -> None:
        """Wait until the sends in the background are done (each ends within the send timeout)."""
        while self._slow:
            await asyncio.gather(*self._slow, return_exceptions=True)

    async def resync(self) -> None:
        """Re-read every watched poll from PostgreSQL, e.g. after the broker connection came back."""
        for code in self.watched_codes:
            try:
                await self.deliver(await self._load(code))
            except Exception as exc:  # one poll's failure must not stop the others
                log.warning("resync of %s failed: %s", code, exc)

    def _push_held(self, code: str) -> None:
        self._held.pop(code, None)
        self._in_background(self._push(code))

    def _in_background(self, sends: list[Coroutine[Any, Any, None]]) -> None:
        for send in sends:
            task = asyncio.ensure_future(send)
            self._slow.add(task)
            task.add_done_callback(self._slow.discard)

    def _push(self, code: str) -> list[Coroutine[Any, Any, None]]:
        """Write the poll's newest snapshot to every watcher that can take it now; returns the sends
        still to be awaited for the others."""
        watchers = self._watchers.get(code)
        results = self._latest.get(code)
        if not watchers or results is None:
            return []
        self._pushed[code] = asyncio.get_running_loop().time()
        payloads = self._payloads(code, results)
        slow = []
        for watcher in tuple(watchers):
            if not _newer(results.version, watcher.version):
                continue
            payload = payloads.get(watcher.format) or self._payload(code, results, watcher.format)
            if not self._written(watcher, results.version, payload):
                slow.append(self._send_slowly(watcher, results.version, payload.text))
        return slow

    def _payloads(self, code: str, snapshot: Any) -> dict[str, Payload]:
        """The snapshot's payloads rendered so far, by format, kept while it is the topic's newest."""
        rendered = self._rendered.get(code)
        if rendered is None or rendered[0] is not snapshot:
            rendered = self._rendered[code] = (snapshot, {})
        return rendered[1]

    def _payload(self, code: str, snapshot: Any, fmt: str) -> Payload:
        """The snapshot rendered and framed in the format, once while it is the topic's newest."""
        payloads = self._payloads(code, snapshot)
        payload = payloads.get(fmt)
        if payload is None:
            text = self._renderers[fmt](snapshot)
            payload = payloads[fmt] = Payload(text, self._frame(text) if self._frame else None)
        return payload

    def _written(self, watcher: Watcher, version: Any, payload: Payload) -> bool:
        """Write the frame straight to the socket if it can take it now; False if it must be sent slowly
        (True too when the write failed: the watcher is dropped). The caller checked the version."""
        if watcher.sending or watcher.write is None or payload.frame is None:
            return False
        try:
            if watcher.write(payload.frame):
                watcher.version = version
                return True
        except Exception as exc:
            self._drop(watcher, exc)
            return True
        return False

    async def _send_slowly(self, watcher: Watcher, version: int, text: str) -> None:
        if watcher.closed or not _newer(version, watcher.version):
            return
        watcher.version = version
        watcher.pending = text
        if watcher.sending:
            return  # the send in flight picks the newest pending payload up when it is done
        watcher.sending = True
        try:
            while watcher.pending is not None:
                text, watcher.pending = watcher.pending, None
                async with asyncio.timeout(self._send_timeout):
                    await watcher.send(text)
        except Exception as exc:
            self._drop(watcher, exc)
        finally:
            watcher.sending = False

    def _drop(self, watcher: Watcher, exc: BaseException) -> None:
        log.info("dropping a watcher of %s: %s", watcher.code, exc or type(exc).__name__)
        self.unwatch(watcher)
