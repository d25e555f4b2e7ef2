"""A lean HTTP/1.1 keep-alive client on non-blocking sockets, for open-loop load from one Python process.

httpx costs a few hundred microseconds of CPU per request, which at thousands of requests per second
on two shared cores would slow the client more than the server. This client writes a prepared request
and parses only the status line, Content-Length and the body: one request in flight per connection.
An answer is timed by the kernel's receive timestamp (bench.rxtime), not by when this process got to it.
"""

from __future__ import annotations

import asyncio
import collections
import json
import socket
from typing import Any

from bench import rxtime


class ConnectionClosed(ConnectionError):
    pass


def post_json(host: str, port: int, path: str, body: dict[str, Any]) -> bytes:
    payload = json.dumps(body, separators=(",", ":")).encode()
    head = (
        f"POST {path} HTTP/1.1\r\nHost: {host}:{port}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(payload)}\r\n\r\n"
    )
    return head.encode() + payload


Answer = tuple[int, bytes, float]  # status, body, kernel receive time (monotonic clock)


class _Connection:
    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.sock: socket.socket | None = None
        self.buffer = bytearray()
        self.waiter: asyncio.Future[Answer] | None = None
        self.closed = False
        self.keep_alive = True

    async def open(self, address: tuple[str, int]) -> None:
        self.sock = rxtime.timestamped_socket()
        try:
            await self.loop.sock_connect(self.sock, address)
        except BaseException:
            self.close()
            raise
        self.loop.add_reader(self.sock.fileno(), self._readable)

    def close(self, reason: str = "closed") -> None:
        self.closed = True
        sock, self.sock = self.sock, None
        if sock is not None:
            self.loop.remove_reader(sock.fileno())
            sock.close()
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_exception(ConnectionClosed(reason))

    def _readable(self) -> None:
        if self.sock is None:
            return
        try:
            got = rxtime.read(self.sock)
        except OSError as exc:
            self.close(str(exc))
            return
        if got is None:
            return
        data, when = got
        if not data:
            self.close("closed by the server")
            return
        self.buffer += data
        self._parse(when)

    def _parse(self, when: float) -> None:
        end = self.buffer.find(b"\r\n\r\n")
        if end < 0 or self.waiter is None:
            return
        head = bytes(self.buffer[:end]).lower()
        length = 0
        marker = head.find(b"\r\ncontent-length:")
        if marker >= 0:
            stop = head.find(b"\r\n", marker + 2)
            length = int(head[marker + 17 : stop if stop >= 0 else len(head)])
        elif b"\r\ntransfer-encoding:" in head:
            self.close("chunked responses are not supported by this client")
            return
        if len(self.buffer) < end + 4 + length:
            return
        status = int(head[9:12])
        body = bytes(self.buffer[end + 4 : end + 4 + length])
        del self.buffer[: end + 4 + length]
        self.keep_alive = b"\r\nconnection: close" not in head
        waiter, self.waiter = self.waiter, None
        if not waiter.done():
            waiter.set_result((status, body, when))

    async def request(self, data: bytes, time_limit: float) -> Answer:
        assert self.sock is not None and self.waiter is None
        self.waiter = self.loop.create_future()
        try:
            async with asyncio.timeout(time_limit):
                await self.loop.sock_sendall(self.sock, data)
                return await self.waiter
        except BaseException:
            self.waiter = None
            self.close("timed out")  # its answer may still come: never reuse a connection that timed out
            raise


class Pool:
    """Up to `size` keep-alive connections to one address; callers beyond that wait in FIFO order."""

    def __init__(self, host: str, port: int, size: int) -> None:
        self.address = (host, port)
        self.size = size
        self.opened = 0  # connections made over the run
        self._idle: collections.deque[_Connection] = collections.deque()
        self._count = 0
        self._waiters: collections.deque[asyncio.Future[None]] = collections.deque()

    async def _acquire(self) -> _Connection:
        loop = asyncio.get_running_loop()
        while True:
            while self._idle:
                conn = self._idle.popleft()
                if not conn.closed:
                    return conn
                self._count -= 1
            if self._count < self.size:
                self._count += 1
                conn = _Connection(loop)
                try:
                    await conn.open(self.address)
                except BaseException:
                    self._count -= 1
                    self._wake()
                    raise
                self.opened += 1
                return conn
            waiter = loop.create_future()
            self._waiters.append(waiter)
            await waiter

    def _wake(self) -> None:
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)
                return

    def _release(self, conn: _Connection) -> None:
        if conn.closed or not conn.keep_alive:
            conn.close()
            self._count -= 1
        else:
            self._idle.append(conn)
        self._wake()

    async def request(self, data: bytes, time_limit: float) -> Answer:
        """Send one prepared request; (status, body, receive time). Raises OSError or TimeoutError.

        The time limit covers the wait for a free connection too: in an open-loop run that wait is latency.
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + time_limit
        async with asyncio.timeout_at(deadline):
            conn = await self._acquire()
        try:
            return await conn.request(data, max(deadline - loop.time(), 0.001))
        finally:
            self._release(conn)

    def close(self) -> None:
        while self._idle:
            self._idle.popleft().close()
