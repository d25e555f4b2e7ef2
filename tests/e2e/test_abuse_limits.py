"""Abuse limits on the native stack: an address that floods is refused with 429, the others go on unhindered.

The stack's replicas get a second HAProxy in front of them: the project's own haproxy/haproxy.cfg, started
with small limits through the POLLS_LIMIT_* variables its defaults come from, so that a flood bounded to a few
hundred requests passes them on any machine, however busy. The stack's own HAProxy keeps the defaults, which
the rest of the e2e suite shows to be harmless (the failover tests vote from one address). Each client binds
an address of its own on the loopback network: 127.0.0.2 floods, 127.0.0.3 votes, and so on. Timings are
measured and written to tests/artifacts/abuse_limits.json, never asserted.
"""

from __future__ import annotations

import asyncio
import json
import multiprocessing
import os
import statistics
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from multiprocessing.synchronize import Event
from typing import Any

import httpx
import pytest
import websockets

from tests.processes import ROOT, free_port
from tests.voters import new_voter

pytestmark = pytest.mark.e2e

LIMITS = {
    "POLLS_LIMIT_CREATES": 10,
    "POLLS_LIMIT_VOTES": 250,
    "POLLS_LIMIT_SOCKETS": 30,
    "POLLS_LIMIT_VOTERS": 250,
}
VOTERS = 100  # ballots from the room's address before the flood, and as many again during it
FLOOD_CONNECTIONS = 16
FLOOD_MAX_REQUESTS = 50_000
FLOOD_MAX_SECONDS = 60.0


@dataclass
class Proxy:
    port: int
    stats_port: int

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def stats_url(self) -> str:
        return f"http://127.0.0.1:{self.stats_port}/stats;csv"

    def client(self, address: str) -> httpx.AsyncClient:
        """An HTTP client whose connections come from this loopback address."""
        transport = httpx.AsyncHTTPTransport(local_address=address)
        return httpx.AsyncClient(base_url=self.url, transport=transport, timeout=30)

    def ws_url(self, path: str) -> str:
        return self.url.replace("http", "ws") + path


@pytest.fixture(scope="module")
def limited(stack, tmp_path_factory) -> Iterator[Proxy]:
    """haproxy/haproxy.cfg with small limits, in front of the stack's two replicas."""
    http_port, stats_port = free_port(), free_port()
    env = {
        **os.environ,
        "POLLS_HTTP_PORT": str(http_port),
        "POLLS_STATS_PORT": str(stats_port),
        "POLLS_WEB_1_PORT": str(stack.base_port + 1),
        "POLLS_WEB_2_PORT": str(stack.base_port + 2),
        **{name: str(value) for name, value in LIMITS.items()},
    }
    log = tmp_path_factory.mktemp("limited") / "haproxy.log"
    with log.open("ab") as output:
        process = subprocess.Popen(
            ["haproxy", "-f", str(ROOT / "haproxy" / "haproxy.cfg")],
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    proxy = Proxy(http_port, stats_port)
    try:
        deadline = time.monotonic() + 30
        while servers_up(proxy) != ["UP", "UP"]:
            assert process.poll() is None, log.read_text()[-2000:]
            assert time.monotonic() < deadline, f"HAProxy never saw both replicas UP: {servers_up(proxy)}"
            time.sleep(0.1)
        yield proxy
    finally:
        process.terminate()
        process.wait(timeout=10)


def servers_up(proxy: Proxy) -> list[str]:
    try:
        rows = httpx.get(proxy.stats_url, timeout=2).text.splitlines()
    except httpx.HTTPError:
        return []
    return [row.split(",")[17] for row in rows if row.startswith("web,web-")]


def summary(latencies: list[float]) -> dict[str, float]:
    """Milliseconds: median, 95th percentile and maximum."""
    ordered = sorted(latencies)
    return {
        "p50_ms": round(statistics.median(ordered) * 1000, 1),
        "p95_ms": round(ordered[int(0.95 * (len(ordered) - 1))] * 1000, 1),
        "max_ms": round(ordered[-1] * 1000, 1),
    }


def refusal(status: int, headers: Any, body: bytes) -> dict[str, Any]:
    return {
        "status": status,
        "content_type": headers.get("content-type"),
        "retry_after": headers.get("retry-after"),
        "body": body.decode(errors="replace"),
    }


async def vote_from_the_room(proxy: Proxy, code: str, prefix: str) -> tuple[list[int], list[float]]:
    """VOTERS people behind one address (127.0.0.3) ask for a voter id and vote, five at a time; the
    statuses and latencies of their ballots."""
    statuses: list[int] = []
    latencies: list[float] = []
    queue = list(range(VOTERS))
    async with proxy.client("127.0.0.3") as http:

        async def phone() -> None:
            while queue:
                queue.pop()
                voter = await http.post("/api/voters")
                assert voter.status_code == 201, voter.text
                start = time.monotonic()
                body = {"voter": voter.json()["voter"], "options": [1]}
                response = await http.post(f"/api/polls/{code}/votes", json=body)
                latencies.append(time.monotonic() - start)
                statuses.append(response.status_code)

        await asyncio.gather(*(phone() for _ in range(5)))
    return statuses, latencies


def flood(port: int, code: str, refused: Event, stop: Event, results: multiprocessing.Queue) -> None:
    """A script stuffing a poll from 127.0.0.2: a new voter id per ballot (asked for, as the server issues
    them, then used once), as fast as it can, until told to
    stop (or FLOOD_MAX_REQUESTS, or FLOOD_MAX_SECONDS); `refused` is set at its first 429. It runs in a
    process of its own at the lowest priority, like a script on another machine: its own work neither
    slows the test's voters nor takes the stack's CPU."""
    os.nice(19)
    results.put(asyncio.run(flood_until_stopped(port, code, refused, stop)))


async def flood_until_stopped(port: int, code: str, refused: Event, stop: Event) -> dict[str, Any]:
    counts: dict[str, int] = {}
    refusals: list[dict[str, Any]] = []
    sent = 0
    start = time.monotonic()
    first_refusal: float | None = None

    def going_on() -> bool:
        return (
            not stop.is_set() and sent < FLOOD_MAX_REQUESTS and time.monotonic() - start < FLOOD_MAX_SECONDS
        )

    async def connection() -> None:
        """Plain HTTP/1.1 on a kept-alive connection: a script needs no more, and it costs far less than a
        full client, so the flood is a flood even on a busy machine."""
        nonlocal sent, first_refusal
        while going_on():
            reader, writer = await asyncio.open_connection("127.0.0.1", port, local_addr=("127.0.0.2", 0))
            try:
                while going_on():
                    sent += 1
                    status, headers, answer = await post(reader, writer, "/api/voters", b"")
                    counts[f"voter id {status}"] = counts.get(f"voter id {status}", 0) + 1
                    if status == "201" and headers.get("connection", "").lower() != "close":
                        sent += 1
                        body = json.dumps({"voter": json.loads(answer)["voter"], "options": [2]}).encode()
                        status, headers, answer = await post(reader, writer, f"/api/polls/{code}/votes", body)
                        counts[f"ballot {status}"] = counts.get(f"ballot {status}", 0) + 1
                    if status == "429":
                        if first_refusal is None:
                            first_refusal = time.monotonic() - start
                            refused.set()
                        if len(refusals) < 3:
                            refusals.append(refusal(429, headers, answer))
                    if headers.get("connection", "").lower() == "close":
                        break
            except (asyncio.IncompleteReadError, ConnectionError) as exc:
                counts[type(exc).__name__] = counts.get(type(exc).__name__, 0) + 1
            finally:
                writer.close()

    await asyncio.gather(*(connection() for _ in range(FLOOD_CONNECTIONS)))
    return {
        "requests": sent,
        "seconds": round(time.monotonic() - start, 3),
        "statuses": counts,
        "seconds_until_first_429": None if first_refusal is None else round(first_refusal, 3),
        "refusals": refusals,
    }


async def post(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, path: str, body: bytes
) -> tuple[str, dict[str, str], bytes]:
    """One POST on the kept-alive connection: its status, its headers (lower-case names) and its body."""
    writer.write(
        f"POST {path} HTTP/1.1\r\nHost: polls\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n".encode()
        + body
    )
    status, headers = parse_head((await reader.readuntil(b"\r\n\r\n")).decode("latin-1"))
    return status, headers, await reader.readexactly(int(headers.get("content-length", "0")))


def parse_head(head: str) -> tuple[str, dict[str, str]]:
    """`HTTP/1.1 429 Too Many Requests` and its header lines -> ("429", {lower-case name: value})."""
    status_line, *lines = head.strip().split("\r\n")
    fields = (line.partition(":") for line in lines)
    return status_line.split(" ")[1], {name.strip().lower(): value.strip() for name, _, value in fields}


async def test_a_ballot_flood_from_one_address_is_refused_and_the_room_votes_on(limited, artifacts):
    async with limited.client("127.0.0.3") as http:
        created = await http.post("/api/polls", json={"question": "Flooded?", "options": ["room", "script"]})
        assert created.status_code == 201, created.text
        code = created.json()["code"]

    before_statuses, before = await vote_from_the_room(limited, code, "before")

    spawn = multiprocessing.get_context("spawn")
    refused, stop, results = spawn.Event(), spawn.Event(), spawn.Queue()
    flooder = spawn.Process(target=flood, args=(limited.port, code, refused, stop, results))
    flooder.start()
    try:
        assert await asyncio.to_thread(refused.wait, FLOOD_MAX_SECONDS), "the flood was never refused"
        # The flood goes on, refused by HAProxy, while the room votes.
        during_statuses, during = await vote_from_the_room(limited, code, "during")
    finally:
        stop.set()
        figures = await asyncio.to_thread(results.get, True, FLOOD_MAX_SECONDS + 30)
        await asyncio.to_thread(flooder.join, 30)

    async with limited.client("127.0.0.3") as http:
        stored = (await http.get(f"/api/polls/{code}/results")).json()["voters"]
    statuses = figures["statuses"]
    issued, accepted = statuses.get("voter id 201", 0), statuses.get("ballot 200", 0)
    failed = sum(
        n for status, n in statuses.items() if status.startswith("ballot") and status != "ballot 200"
    )
    report = {
        "limits_per_10_s": LIMITS,
        "room_before_the_flood": {"ballots": VOTERS, **summary(before)},
        "room_during_the_flood": {"ballots": VOTERS, **summary(during)},
        "flood": {key: value for key, value in figures.items() if key != "refusals"},
        "flood_refused_per_second": round(
            sum(n for status, n in statuses.items() if status.endswith(" 429")) / figures["seconds"], 1
        ),
        "ballots_stored": stored,
    }
    (artifacts / "abuse_limits.json").write_text(json.dumps(report, indent=2))
    print("\nabuse limits:", json.dumps(report, indent=2))

    assert before_statuses == during_statuses == [200] * VOTERS
    assert set(statuses) <= {"voter id 201", "voter id 429", "ballot 200", "ballot 429"}, statuses
    # The script got no more voter ids than the limit lets through, and cast at most one ballot with each.
    assert LIMITS["POLLS_LIMIT_VOTERS"] <= issued < 2 * LIMITS["POLLS_LIMIT_VOTERS"]
    assert accepted <= issued
    # What was refused was not stored: the room's ballots and the flood's acknowledged ones, nothing more.
    assert 2 * VOTERS + accepted <= stored <= 2 * VOTERS + accepted + failed
    for answer in figures["refusals"]:
        assert answer["content_type"] == "application/json"
        assert set(json.loads(answer["body"])) == {"error", "code"}
        assert int(answer["retry_after"]) > 0


async def test_creating_polls_and_events_is_limited_per_address(limited):
    limit = LIMITS["POLLS_LIMIT_CREATES"]
    poll = {"question": "One more?", "options": ["yes", "no"]}
    statuses = []
    async with limited.client("127.0.0.4") as http:
        while 429 not in statuses and len(statuses) < 2 * limit:
            statuses.append((await http.post("/api/polls", json=poll)).status_code)
        refused_api = await http.post("/api/polls", json=poll)
        event = {"title": "Refused", "questions": [{"question": "Q?", "options": ["a", "b"]}]}
        refused_event = await http.post("/api/events", json=event)
        refused_form = await http.post("/polls", data={"question": "Form?", "options": "a\nb"})
    async with limited.client("127.0.0.5") as http:
        elsewhere = await http.post("/api/polls", json=poll)

    assert statuses[-1] == 429
    assert limit <= statuses.count(201) < 2 * limit and set(statuses) == {201, 429}
    for refused in (refused_api, refused_event):
        assert refused.status_code == 429
        assert refused.headers["content-type"] == "application/json"
        assert set(refused.json()) == {"error", "code"}
        assert int(refused.headers["retry-after"]) > 0
    assert refused_form.status_code == 429
    assert refused_form.headers["content-type"].startswith("text/plain")
    assert int(refused_form.headers["retry-after"]) > 0
    assert elsewhere.status_code == 201


async def connect_once(url: str, address: str) -> dict[str, Any] | None:
    """Open a websocket from this address and read its first message (the snapshot); None if it was
    connected, else what refused it."""
    try:
        async with websockets.connect(url, local_addr=(address, 0), proxy=None, open_timeout=30) as ws:
            json.loads(await asyncio.wait_for(ws.recv(), 30))
            return None
    except websockets.InvalidStatus as exc:
        return refusal(exc.response.status_code, exc.response.headers, exc.response.body or b"")


async def test_websocket_connects_are_limited_per_address_and_open_sockets_stay(limited):
    limit = LIMITS["POLLS_LIMIT_SOCKETS"]
    async with limited.client("127.0.0.7") as http:
        code = (await http.post("/api/polls", json={"question": "Sockets?", "options": ["a", "b"]})).json()[
            "code"
        ]
    live = limited.ws_url(f"/api/polls/{code}/live")

    async with websockets.connect(live, local_addr=("127.0.0.6", 0), proxy=None, open_timeout=30) as held:
        json.loads(await asyncio.wait_for(held.recv(), 30))
        attempts: list[dict[str, Any] | None] = []
        while not any(attempts) and len(attempts) < 2 * limit:
            attempts.append(await connect_once(live, "127.0.0.6"))
        page_socket = await connect_once(limited.ws_url(f"/p/{code}/live"), "127.0.0.6")
        others = await asyncio.gather(*(connect_once(live, "127.0.0.7") for _ in range(5)))
        # A socket opened before the limit is not cut: it gets the next tally.
        async with limited.client("127.0.0.7") as http:
            voted = await http.post(
                f"/api/polls/{code}/votes", json={"voter": await new_voter(http), "options": [1]}
            )
        assert voted.status_code == 200
        pushed = json.loads(await asyncio.wait_for(held.recv(), 30))

    refused = attempts[-1]
    assert refused is not None and attempts[:-1] == [None] * (len(attempts) - 1)
    # Connected before the refusal: the held socket and all attempts but the last.
    assert limit <= len(attempts) < 2 * limit
    assert refused["status"] == 429 and refused["content_type"] == "application/json"
    assert set(json.loads(refused["body"])) == {"error", "code"} and int(refused["retry_after"]) > 0
    assert page_socket is not None and page_socket["status"] == 429
    assert page_socket["content_type"].startswith("text/plain")
    assert others == [None] * 5
    assert pushed["voters"] == 1
