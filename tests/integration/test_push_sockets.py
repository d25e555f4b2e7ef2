"""The push-only websocket of a live URL, as a client meets it on the wire: the upgrade, pings both ways,
closes, and what a client may not send."""

from __future__ import annotations

import asyncio
import base64
import os
import struct

import httpx
import pytest
import websockets

from tests.api_client import create_poll
from tests.processes import Replica


@pytest.fixture
def pinging_replica(database_url, amqp_url, exchange_name, tmp_path):
    """A replica that pings its sockets every 0.3 s."""
    replica = Replica("pinging-1", database_url, amqp_url, exchange_name, tmp_path)
    replica.env["POLLS_PING_INTERVAL"] = "0.3"
    replica.start()
    try:
        yield replica
    finally:
        replica.stop()


async def watchers(replica: Replica) -> int:
    async with httpx.AsyncClient(base_url=replica.url) as http:
        return int((await http.get("/healthz")).json()["watchers"])


async def until_watchers(replica: Replica, count: int, within: float = 10.0) -> None:
    async with asyncio.timeout(within):
        while await watchers(replica) != count:
            await asyncio.sleep(0.05)


async def raw_upgrade(replica: Replica, path: str) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """A client that does the handshake by hand and then does only what the test tells it to."""
    reader, writer = await asyncio.open_connection("127.0.0.1", replica.port)
    key = base64.b64encode(os.urandom(16)).decode()
    writer.write(
        f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{replica.port}\r\n"
        f"Upgrade: websocket\r\nConnection: Upgrade\r\n"
        f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n".encode()
    )
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
    assert head.startswith(b"HTTP/1.1 101 ")
    return reader, writer


async def read_close_code(reader: asyncio.StreamReader, within: float = 10.0) -> int:
    """Read frames until the server's close frame; its status code."""
    async with asyncio.timeout(within):
        while True:
            first, second = await reader.readexactly(2)
            size = second & 0x7F
            if size == 126:
                size = struct.unpack("!H", await reader.readexactly(2))[0]
            elif size == 127:
                size = struct.unpack("!Q", await reader.readexactly(8))[0]
            payload = await reader.readexactly(size)
            if first & 0x0F == 0x8:
                return int(struct.unpack("!H", payload[:2])[0])


def masked(opcode: int, payload: bytes) -> bytes:
    mask = os.urandom(4)
    size = len(payload)
    length = bytes([0x80 | size]) if size < 126 else bytes([0x80 | 127]) + struct.pack("!Q", size)
    return bytes([0x80 | opcode]) + length + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload))


async def test_a_live_url_opened_without_an_upgrade_says_it_needs_a_websocket(replicas):
    one, _ = replicas
    code = (await create_poll(one.url, "Live?", ("Yes", "No")))["code"]
    async with httpx.AsyncClient(base_url=one.url) as http:
        answer = await http.get(f"/api/polls/{code}/live")
    assert answer.status_code == 426
    assert answer.json()["code"] == "websocket_required"
    assert answer.headers["Upgrade"] == "websocket"
    assert answer.headers["Sec-WebSocket-Version"] == "13"


async def test_a_screen_that_answers_pings_stays_and_its_own_pings_are_answered(pinging_replica):
    code = (await create_poll(pinging_replica.url, "Live?", ("Yes", "No")))["code"]
    async with websockets.connect(f"{pinging_replica.ws_url}/api/polls/{code}/live") as ws:
        await ws.recv()
        await asyncio.sleep(1.5)  # five of the replica's pings, each answered by the client library
        pong = await ws.ping(b"still there?")
        await asyncio.wait_for(pong, 5)
        assert await watchers(pinging_replica) == 1


async def test_a_screen_that_stops_answering_pings_is_cut_and_forgotten(pinging_replica):
    code = (await create_poll(pinging_replica.url, "Live?", ("Yes", "No")))["code"]
    reader, writer = await raw_upgrade(pinging_replica, f"/api/polls/{code}/live")
    try:
        await until_watchers(pinging_replica, 1)
        # It never answers: after one unanswered ping the replica cuts the connection.
        async with asyncio.timeout(10):
            while await reader.read(65536):
                pass
        await until_watchers(pinging_replica, 0)
    finally:
        writer.close()


async def test_a_client_close_is_answered_with_its_code(replicas):
    one, _ = replicas
    code = (await create_poll(one.url, "Live?", ("Yes", "No")))["code"]
    reader, writer = await raw_upgrade(one, f"/api/polls/{code}/live")
    try:
        writer.write(masked(0x8, struct.pack("!H", 1001) + b"going away"))
        assert await read_close_code(reader) == 1001
        await until_watchers(one, 0)
    finally:
        writer.close()


@pytest.mark.parametrize(
    ("frame", "close_code"),
    [(masked(0x1, b"x" * (65 * 1024)), 1009), (bytes([0x81, 2]) + b"hi", 1002)],
    ids=["a message over 64 KiB", "an unmasked frame"],
)
async def test_what_a_client_may_not_send_closes_its_socket(replicas, frame, close_code):
    one, _ = replicas
    code = (await create_poll(one.url, "Live?", ("Yes", "No")))["code"]
    reader, writer = await raw_upgrade(one, f"/api/polls/{code}/live")
    try:
        writer.write(frame)
        assert await read_close_code(reader) == close_code
    finally:
        writer.close()
