"""Serving one live websocket: register with the hub, then hold the socket until the client leaves."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

from websockets.frames import Frame, Opcode
from websockets.protocol import State

from polls.domain import code_or_not_found
from polls.errors import PollNotFound, PollsError
from polls.live import Hub

# Close codes an htmx client does not reconnect after (4000-4999 are the application's own).
CLOSE_UNKNOWN_POLL = 4404
# A socket with more than this waiting in its buffer is a slow reader: it is served by a coroutine that
# waits for it, with a timeout, instead of having more frames piled up.
WRITE_BUFFER_LIMIT = 64 * 1024


def text_frame(text: str) -> bytes:
    """A server-to-client text frame: unmasked and, with no extension negotiated (Sanic offers none), the
    same bytes for every socket, so the hub frames each update once."""
    return Frame(Opcode.TEXT, text.encode()).serialize(mask=False, extensions=[])


def frame_writer(ws: Any) -> Callable[[bytes], bool]:
    """Write a frame to this Sanic websocket at once, if it is open and keeping up; False otherwise."""

    def write(frame: bytes) -> bool:
        if ws.ws_proto.state is not State.OPEN:
            raise ConnectionError("websocket is not open")
        transport = ws.io_proto.transport if ws.io_proto is not None else None
        if transport is None or transport.is_closing():
            raise ConnectionError("connection is closing")
        if transport.get_write_buffer_size() > WRITE_BUFFER_LIMIT:
            return False
        transport.write(frame)
        return True

    return write


async def serve_live(
    ws: Any,
    raw_code: str,
    fmt: str,
    hub: Hub,
    not_found: type[PollsError] = PollNotFound,
    admit: Callable[[str], Awaitable[object]] | None = None,
    audience: str | None = None,
) -> None:
    """Hold a socket on the hub. `admit` may refuse the topic (raising `not_found`) before it is watched;
    `audience` is who watches (a voter id), for topics whose payload depends on it."""
    try:
        code = code_or_not_found(raw_code, not_found)
        if admit is not None:
            await admit(code)
        watcher = await hub.watch(code, fmt, ws.send, frame_writer(ws), ws.close, audience)
    except not_found as exc:
        await ws.send(json.dumps({"type": "error", "error": exc.text(), "code": exc.code}))
        await ws.close(code=CLOSE_UNKNOWN_POLL, reason="unknown poll")
        return
    try:
        # Clients send nothing we act on; reading is how we learn that the socket closed.
        while await ws.recv() is not None:
            pass
    finally:
        hub.unwatch(watcher)
