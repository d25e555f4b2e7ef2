"""Live results across real replica processes: a vote on one replica reaches the sockets of every replica."""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest
import websockets

from tests.api_client import create_poll, results, vote
from tests.processes import Replica


async def next_message(ws, within: float = 5.0) -> dict:
    return json.loads(await asyncio.wait_for(ws.recv(), within))


async def test_a_client_gets_a_snapshot_at_once_then_each_change_from_any_replica(replicas):
    one, two = replicas
    code = (await create_poll(one.url, "Live?", ("Yes", "No", "Maybe")))["code"]
    async with websockets.connect(f"{two.ws_url}/api/polls/{code}/live") as ws:
        first = await next_message(ws)
        assert first["type"] == "results" and first["version"] == 0 and first["voters"] == 0
        version = (await vote(one.url, code, "live-voter-1", [2]))["version"]
        update = await next_message(ws)
        assert update["version"] == version
        assert [o["votes"] for o in update["options"]] == [0, 1, 0]


async def test_every_client_converges_on_the_database_tally_and_versions_never_go_back(replicas):
    one, two = replicas
    code = (await create_poll(one.url, "Live?", ("Yes", "No", "Maybe")))["code"]
    sockets = [
        await websockets.connect(f"{r.ws_url}/api/polls/{code}/live") for r in (one, two) for _ in range(3)
    ]
    seen: list[list[int]] = [[] for _ in sockets]
    last: list[dict] = [{} for _ in sockets]

    async def watch(i: int) -> None:
        async for raw in sockets[i]:
            message = json.loads(raw)
            seen[i].append(message["version"])
            last[i] = message

    watchers = [asyncio.create_task(watch(i)) for i in range(len(sockets))]
    await asyncio.gather(
        *(vote((one, two)[i % 2].url, code, f"crowd-{i:04d}", [i % 3 + 1]) for i in range(150))
    )
    truth = await results(one.url, code)
    async with asyncio.timeout(10):
        while any(message.get("version") != truth["version"] for message in last):
            await asyncio.sleep(0.05)
    for task in watchers:
        task.cancel()
    for ws in sockets:
        await ws.close()
    assert truth["voters"] == 150
    for versions, message in zip(seen, last, strict=True):
        assert versions == sorted(set(versions)), "a version went backwards or repeated"
        assert {k: v for k, v in message.items() if k != "type"} == truth


async def test_the_page_socket_pushes_the_results_fragment(replicas):
    one, two = replicas
    code = (await create_poll(one.url, "Live?", ("Yes", "No", "Maybe")))["code"]
    async with websockets.connect(f"{two.ws_url}/p/{code}/live") as ws:
        first = await asyncio.wait_for(ws.recv(), 5)
        assert first.lstrip().startswith('<div class="results') and 'data-version="0"' in first
        await vote(one.url, code, "page-voter-1", [3])
        update = await asyncio.wait_for(ws.recv(), 5)
        assert 'data-version="1"' in update and 'data-option="3" data-votes="1"' in update


async def test_closing_a_poll_is_pushed_to_its_screens(replicas):
    one, two = replicas
    async with httpx.AsyncClient(base_url=one.url) as http:
        created = (await http.post("/api/polls", json={"question": "Q", "options": ["a", "b"]})).json()
        async with websockets.connect(f"{two.ws_url}/api/polls/{created['code']}/live") as ws:
            await next_message(ws)
            await http.post(
                f"/api/polls/{created['code']}/close",
                headers={"Authorization": f"Bearer {created['admin_token']}"},
            )
            assert (await next_message(ws))["status"] == "closed"


async def test_a_socket_for_an_unknown_poll_is_told_and_closed_for_good(replicas):
    one, _ = replicas
    async with websockets.connect(f"{one.ws_url}/api/polls/ZZZZZZ/live") as ws:
        message = await next_message(ws)
        assert message == {
            "type": "error",
            "error": "There is no poll with that code.",
            "code": "poll_not_found",
        }
        with pytest.raises(websockets.ConnectionClosed) as closed:
            await asyncio.wait_for(ws.recv(), 5)
        assert closed.value.rcvd.code == 4404


async def test_a_replica_forgets_sockets_that_left(replicas):
    one, _ = replicas
    code = (await create_poll(one.url, "Live?", ("Yes", "No", "Maybe")))["code"]
    async with websockets.connect(f"{one.ws_url}/api/polls/{code}/live") as ws:
        await next_message(ws)
    async with httpx.AsyncClient(base_url=one.url) as http:
        async with asyncio.timeout(5):
            while (await http.get("/healthz")).json()["watchers"] != 0:
                await asyncio.sleep(0.05)


async def test_a_replica_shutting_down_asks_its_sockets_to_reconnect_elsewhere(
    database_url, amqp_url, exchange_name, tmp_path
):
    replica = Replica("leaving-1", database_url, amqp_url, exchange_name, tmp_path)
    await asyncio.to_thread(replica.start)
    try:
        code = (await create_poll(replica.url, "Live?", ("Yes", "No", "Maybe")))["code"]
        async with websockets.connect(f"{replica.ws_url}/api/polls/{code}/live") as ws:
            await next_message(ws)
            replica.process.terminate()
            with pytest.raises(websockets.ConnectionClosed) as closed:
                await asyncio.wait_for(ws.recv(), 10)
        assert closed.value.rcvd.code == 1012
    finally:
        await asyncio.to_thread(replica.stop)
