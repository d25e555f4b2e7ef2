"""A push-only websocket on the raw transport: Sanic routes and answers the request, this module the socket.

Every live URL only pushes: a screen sends nothing the replica acts on. Sanic's own websocket object is a
full duplex connection: about ten asyncio Events, Conditions and Locks, three queues, three tasks and the
upgrade request kept alive, 27 KiB per idle socket, and a quarter of the CPU of a connect storm. Here a
socket is one small protocol object and no task:

- the route's handler checks the upgrade request, writes the 101 itself and hands the transport from
  Sanic's HTTP protocol to a `PushSocket` (Sanic's protocol lets go of it and its connection task ends);
- frames are written straight to the transport (the hub frames each update once for every socket);
- what a client sends is parsed in `data_received`: a ping is answered, a close is echoed and the
  connection closed, anything else is read past (a message larger than MAX_MESSAGE closes it, 1009);
- one loop per replica (`PushSockets.keepalive`) pings every socket and cuts those that did not answer the
  previous ping, as Sanic's per-socket ping task did.
"""

from __future__ import annotations

import asyncio
import base64
import logging
import struct
from collections.abc import Callable
from typing import Any

from sanic import Request
from websockets.frames import Frame, Opcode
from websockets.speedups import apply_mask
from websockets.utils import accept_key as websocket_accept

from polls.errors import N_, PollsError

log = logging.getLogger("polls.pushsocket")

# A socket with more than this waiting in its buffer is a slow reader: the hub stops writing to it at once
# and sends to it from a coroutine that waits for it, with a timeout.
WRITE_BUFFER_LIMIT = 64 * 1024
# Clients send pongs and closes; anything longer than this is not a screen.
MAX_MESSAGE = 64 * 1024
PING = Frame(Opcode.PING, b"").serialize(mask=False, extensions=[])


class WebsocketRequired(PollsError):
    status_code = 426
    code = "websocket_required"
    message = N_("This address is a live connection: open it as a websocket.")
    headers = {"Upgrade": "websocket", "Sec-WebSocket-Version": "13"}


def text_frame(text: str) -> bytes:
    """A server-to-client text frame: unmasked, with no extension (none is offered), the same bytes for
    every socket, so the hub frames each update once."""
    return Frame(Opcode.TEXT, text.encode()).serialize(mask=False, extensions=[])


def close_frame(code: int, reason: str = "") -> bytes:
    return Frame(Opcode.CLOSE, struct.pack("!H", code) + reason.encode()[:120]).serialize(
        mask=False, extensions=[]
    )


def accept_key(request: Request) -> str:
    """The Sec-WebSocket-Accept of a valid upgrade request (RFC 6455 4.2.1); WebsocketRequired otherwise."""
    headers = request.headers
    connection = {token.strip().lower() for token in headers.get("connection", "").split(",")}
    key = headers.get("sec-websocket-key", "")
    try:
        valid_key = len(base64.b64decode(key, validate=True)) == 16
    except ValueError:
        valid_key = False
    if (
        headers.get("upgrade", "").lower() != "websocket"
        or "upgrade" not in connection
        or headers.get("sec-websocket-version") != "13"
        or not valid_key
    ):
        raise WebsocketRequired()
    return websocket_accept(key)


class PushSocket(asyncio.Protocol):
    """One upgraded connection. `on_lost` runs once when it ends, whoever ended it."""

    __slots__ = ("_buffer", "_drained", "_sockets", "answered", "closing", "on_lost", "transport")

    def __init__(self, transport: asyncio.Transport, sockets: PushSockets) -> None:
        self.transport = transport
        self._sockets = sockets
        self._buffer: bytes | None = None  # the start of a frame not yet complete
        self._drained: asyncio.Future[None] | None = None  # set while a sender waits for the buffer
        self.answered = True  # the client sent something since the last ping
        self.closing = False
        self.on_lost: Callable[[], None] | None = None

    # What the hub calls (polls.live.Watcher: write, send, close)
    def write(self, frame: bytes) -> bool:
        """Write a whole frame now if the socket keeps up; False if its buffer is full."""
        if self.closing or self.transport.is_closing():
            raise ConnectionError("websocket is closing")
        if self.transport.get_write_buffer_size() > WRITE_BUFFER_LIMIT:
            return False
        self.transport.write(frame)
        return True

    async def send(self, text: str) -> None:
        """Write a message and wait until the socket took it (cut if the wait is cancelled: a socket that
        stalls is not kept half-written)."""
        if self.closing or self.transport.is_closing():
            raise ConnectionError("websocket is closing")
        self.transport.write(text_frame(text))
        if self.transport.get_write_buffer_size() <= WRITE_BUFFER_LIMIT:
            return
        if self._drained is None:
            self._drained = asyncio.get_running_loop().create_future()
        try:
            await asyncio.shield(self._drained)
        except asyncio.CancelledError:
            self.transport.abort()
            raise

    async def close(self, code: int = 1000, reason: str = "") -> None:
        """Send a close frame and end the connection (the server closes TCP first, as RFC 6455 prefers).
        Never waits: the frame goes into the buffer, which the transport flushes before it closes."""
        self.end(code, reason)

    def end(self, code: int, reason: str = "") -> None:
        if self.closing:
            return
        self.closing = True
        self.transport.write(close_frame(code, reason))
        self.transport.close()

    # asyncio.Protocol
    def data_received(self, data: bytes) -> None:
        self.answered = True
        buffer = self._buffer + data if self._buffer else data
        while True:
            length = len(buffer)
            if length < 2:
                break
            opcode, size = buffer[0] & 0x0F, buffer[1] & 0x7F
            start = 2
            if size == 126:
                if length < 4:
                    break
                size, start = int.from_bytes(buffer[2:4]), 4
            elif size == 127:
                if length < 10:
                    break
                size, start = int.from_bytes(buffer[2:10]), 10
            if not buffer[1] & 0x80:
                self.end(1002, "client frames must be masked")
                return
            if size > MAX_MESSAGE:
                self.end(1009, "message too big")
                return
            end = start + 4 + size
            if length < end:
                break
            if opcode >= 8:  # control frames: short, and the only ones we read
                self._control(opcode, apply_mask(buffer[start + 4 : end], buffer[start : start + 4]))
                if self.closing:
                    return
            buffer = buffer[end:]
        self._buffer = bytes(buffer) if buffer else None

    def _control(self, opcode: int, payload: bytes) -> None:
        if opcode == Opcode.PING:
            self.transport.write(Frame(Opcode.PONG, payload).serialize(mask=False, extensions=[]))
        elif opcode == Opcode.CLOSE:  # echoed, as RFC 6455 asks
            self.end(int.from_bytes(payload[:2]) if len(payload) >= 2 else 1000)

    def eof_received(self) -> bool:
        return False  # the client is gone: close our side too

    def resume_writing(self) -> None:
        drained, self._drained = self._drained, None
        if drained is not None and not drained.done():
            drained.set_result(None)

    def connection_lost(self, exc: Exception | None) -> None:
        self.closing = True
        self._sockets.discard(self)
        drained, self._drained = self._drained, None
        if drained is not None and not drained.done():
            drained.set_exception(ConnectionError("websocket closed"))
            drained.exception()  # retrieved here: nobody else may be waiting any more
        on_lost, self.on_lost = self.on_lost, None
        if on_lost is not None:
            on_lost()


class PushSockets:
    """Every push socket of a replica, and the one loop that keeps them alive."""

    def __init__(self, instance: str, ping_interval: float = 20.0) -> None:
        self._header = f"X-Instance: {instance}\r\n".encode()
        self.ping_interval = ping_interval
        self._sockets: set[PushSocket] = set()

    def take_over(self, request: Request, accept: str) -> PushSocket:
        """Answer the upgrade (101) and take the connection from Sanic's HTTP protocol. The handler that
        calls this must carry `is_websocket` (see `push_only`), so that Sanic sends nothing after it."""
        transport: Any = request.transport
        http = transport.get_protocol()
        transport.write(
            b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            + f"Sec-WebSocket-Accept: {accept}\r\n".encode()
            + self._header
            + b"\r\n"
        )
        # Sanic's protocol lets go: it no longer counts the connection as its own (its shutdown closes what
        # it counts), and its connection task, ending after the handler, finds no transport to close.
        http.connections.discard(http)
        http.transport = None
        socket = PushSocket(transport, self)
        transport.set_protocol(socket)
        transport.set_write_buffer_limits(high=WRITE_BUFFER_LIMIT)
        transport.resume_reading()
        self._sockets.add(socket)
        return socket

    def discard(self, socket: PushSocket) -> None:
        self._sockets.discard(socket)

    async def keepalive(self) -> None:
        """Ping every socket once per interval; cut a socket that sent nothing since the previous ping."""
        while True:
            await asyncio.sleep(self.ping_interval)
            cut = 0
            for socket in tuple(self._sockets):
                if socket.closing:
                    continue
                if not socket.answered:
                    socket.transport.abort()
                    cut += 1
                    continue
                socket.answered = False
                socket.transport.write(PING)
            if cut:
                log.info("cut %d websockets that did not answer a ping", cut)

    def close_all(self, code: int = 1012, reason: str = "service restart") -> None:
        """Tell every socket to reconnect elsewhere (1012: service restart; browsers' hx-ws reconnects)."""
        for socket in tuple(self._sockets):
            socket.end(code, reason)


def push_only(handler: Any) -> Any:
    """Mark a route's handler as one that answers with an upgrade of its own: Sanic then neither expects a
    response from it nor writes one after it."""
    handler.is_websocket = True
    return handler
