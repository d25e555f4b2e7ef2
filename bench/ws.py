"""A minimal websocket client (RFC 6455) on non-blocking sockets: thousands per process, little CPU each.

It records, for every text message, the time the message reached this machine's socket and the
"version" the message carries (found with a regular expression instead of a JSON parse). That time is
the kernel's receive timestamp (SO_TIMESTAMPNS) of the last segment a recvmsg returned, so a client
process that is busy or waiting for a CPU does not make the stack look slower than it is (when one read
returns several messages of a socket, the earlier ones get the later time: an error no larger than the
client's own lag); it is converted to time.monotonic(), the clock the voter uses. It answers pings and
close frames, offers no extensions, and sends no data frames.
"""

from __future__ import annotations

import asyncio
import base64
import math
import os
import re
import socket
import time
from array import array

from bench import rxtime

# A JSON message's "version", or the results' data-version in an HTML fragment (a page's live region).
VERSION = re.compile(rb'(?:"version":\s*|data-version=")(\d+)')
OP_CONT, OP_TEXT, OP_BINARY, OP_CLOSE, OP_PING, OP_PONG = 0, 1, 2, 8, 9, 10


class HandshakeError(ConnectionError):
    pass


def _frame(opcode: int, payload: bytes) -> bytes:
    """A masked client frame (payloads here are control frames: under 126 bytes)."""
    mask = os.urandom(4)
    masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
    return bytes([0x80 | opcode, 0x80 | len(payload)]) + mask + masked


def _retrieve(future: asyncio.Future[float]) -> None:
    if not future.cancelled():
        future.exception()


class Subscriber:
    """One websocket watching one poll. `keep`: how many receipts to store (None: all of them)."""

    def __init__(self, host: str, port: int, path: str, keep: int | None = None) -> None:
        key = base64.b64encode(os.urandom(16)).decode()
        self._request = (
            f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
        ).encode()
        self.address = (host, port)
        self.loop = asyncio.get_running_loop()
        self.first: asyncio.Future[float] = self.loop.create_future()  # the first message (the snapshot)
        self.first.add_done_callback(_retrieve)  # a failed connect is reported by subscribe(), not logged
        self.closed: asyncio.Future[float] = self.loop.create_future()  # when the connection ended
        self.keep = keep
        self.times = array("d")
        self.versions = array("q")
        self.count = 0
        self.last_version = -1
        self.backwards = 0  # messages with a lower version than one received before
        self.close_code: int | None = None
        self.error: str | None = None
        self.upgraded_at = math.nan  # when the 101 arrived
        self._sock: socket.socket | None = None
        self._handshaken = False
        self._buffer = bytearray()
        self._fragments = bytearray()

    # --- connection ---------------------------------------------------------------------------------
    async def connect(self) -> None:
        sock = rxtime.timestamped_socket()
        self._sock = sock
        try:
            await self.loop.sock_connect(sock, self.address)
            await self.loop.sock_sendall(sock, self._request)
        except BaseException:
            self._lost("connect failed")
            raise
        self.loop.add_reader(sock.fileno(), self._readable)
        await self.first

    def _lost(self, reason: str) -> None:
        sock, self._sock = self._sock, None
        if sock is not None:
            self.loop.remove_reader(sock.fileno())
            sock.close()
        if not self.first.done():
            self.first.set_exception(HandshakeError(self.error or reason))
        if not self.closed.done():
            self.closed.set_result(time.monotonic())

    def _readable(self) -> None:
        """One read of whatever has arrived (epoll is level-triggered: more data calls again)."""
        sock = self._sock
        if sock is None:
            return
        try:
            got = rxtime.read(sock)
        except OSError as exc:
            self._lost(str(exc))
            return
        if got is None:
            return
        data, when = got
        if not data:
            self._lost("closed by the server")
            return
        self._buffer += data
        self._parse(when)

    # --- frames -------------------------------------------------------------------------------------
    def _parse(self, now: float) -> None:
        buffer = self._buffer
        if not self._handshaken:
            end = buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            status = bytes(buffer[: buffer.find(b"\r\n")])
            if not status.startswith(b"HTTP/1.1 101"):
                self.error = status.decode(errors="replace")
                self._lost(self.error)
                return
            del buffer[: end + 4]
            self._handshaken = True
            self.upgraded_at = now
        while len(buffer) >= 2:
            b0, b1 = buffer[0], buffer[1]
            length = b1 & 0x7F
            start = 2
            if length == 126:
                if len(buffer) < 4:
                    return
                length, start = int.from_bytes(buffer[2:4], "big"), 4
            elif length == 127:
                if len(buffer) < 10:
                    return
                length, start = int.from_bytes(buffer[2:10], "big"), 10
            if b1 & 0x80:
                self.error = "the server sent a masked frame"
                self._lost(self.error)
                return
            if len(buffer) < start + length:
                return
            payload = bytes(buffer[start : start + length])
            del buffer[: start + length]
            self._frame(b0 & 0x0F, bool(b0 & 0x80), payload, now)
            if self._sock is None:
                return

    def _frame(self, opcode: int, fin: bool, payload: bytes, now: float) -> None:
        if opcode in (OP_TEXT, OP_BINARY, OP_CONT):
            if not fin or self._fragments:
                self._fragments += payload
                if not fin:
                    return
                payload, self._fragments = bytes(self._fragments), bytearray()
            self._message(payload, now)
        elif opcode == OP_PING:
            self._send(_frame(OP_PONG, payload))
        elif opcode == OP_CLOSE:
            self.close_code = int.from_bytes(payload[:2], "big") if len(payload) >= 2 else 1005
            self._send(_frame(OP_CLOSE, payload[:2]))
            self._lost(f"closed by the server ({self.close_code})")

    def _message(self, payload: bytes, now: float) -> None:
        match = VERSION.search(payload)
        if match is None:
            self.error = payload[:200].decode(errors="replace")
            return
        version = int(match.group(1))
        if version < self.last_version:
            self.backwards += 1
        self.count += 1
        self.last_version = max(version, self.last_version)
        if self.keep is None or len(self.times) < self.keep:
            self.times.append(now)
            self.versions.append(version)
        if not self.first.done():
            self.first.set_result(now)

    def _send(self, data: bytes) -> None:
        if self._sock is not None:
            try:
                self._sock.send(data)  # a control frame: a few bytes, into an empty send buffer
            except OSError:
                pass

    # --- by the owner -------------------------------------------------------------------------------
    def close(self) -> None:
        """A normal close (1000), without waiting for the server's answer."""
        self._send(_frame(OP_CLOSE, (1000).to_bytes(2, "big")))
        self._lost("closed by the client")

    def abort(self) -> None:
        self._lost("aborted by the client")

    @property
    def open(self) -> bool:
        first = self.first
        return first.done() and not first.cancelled() and first.exception() is None and not self.closed.done()


async def subscribe(
    host: str, port: int, path: str, time_limit: float, keep: int | None = None
) -> Subscriber:
    """Connect, upgrade, and wait for the first message (the snapshot); the subscriber, or an error."""
    subscriber = Subscriber(host, port, path, keep)
    try:
        async with asyncio.timeout(time_limit):
            await subscriber.connect()
        return subscriber
    except BaseException:
        subscriber.abort()
        raise
