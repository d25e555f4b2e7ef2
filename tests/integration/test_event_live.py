"""Events live across real replica processes: every screen follows the presenter, on whichever replica."""

from __future__ import annotations

import asyncio
import json
import time

import httpx
import pytest
import websockets

from tests.api_client import admin, codes, create_event, vote
from tests.voters import new_voter


class EventScreen:
    """A JSON client of /api/events/{code}/live that keeps every message."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.messages: list[dict] = []
        self.task: asyncio.Task | None = None

    async def __aenter__(self) -> EventScreen:
        self.ws = await websockets.connect(self.url)
        self.task = asyncio.create_task(self._read())
        return self

    async def _read(self) -> None:
        async for raw in self.ws:
            self.messages.append(json.loads(raw))

    async def __aexit__(self, *_: object) -> None:
        assert self.task is not None
        self.task.cancel()
        await self.ws.close()

    async def until(self, predicate, within: float = 6.0) -> dict:
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            if self.messages and predicate(self.messages[-1]):
                return self.messages[-1]
            await asyncio.sleep(0.02)
        raise AssertionError(f"never seen; last message: {self.messages[-1] if self.messages else None}")


async def test_screens_on_both_replicas_follow_the_presenter_and_the_votes(replicas):
    one, two = replicas
    event = await create_event(one.url)
    first, second = codes(event)[:2]
    async with EventScreen(f"{two.ws_url}/api/events/{event['code']}/live") as screen:
        waiting = await screen.until(lambda m: True)
        assert waiting["question"] is None and waiting["results"] is None
        await admin(one.url, event, "PUT", "/live", {"question": first})
        live = await screen.until(lambda m: m["question"] and m["question"]["code"] == first)
        assert live["question"]["status"] == "open" and live["results"]["voters"] == 0
        await vote(one.url, first, "event-voter-1", [2])
        counted = await screen.until(lambda m: m["results"] and m["results"]["voters"] == 1)
        assert [o["votes"] for o in counted["results"]["options"]] == [0, 1]
        await admin(one.url, event, "PUT", "/live", {"question": second})
        switched = await screen.until(lambda m: m["question"]["code"] == second)
        assert switched["results"] is None  # after_close: hidden while voting is open
        await vote(two.url, second, "event-voter-1", [3])
        assert (await screen.until(lambda m: m["answers"] == 1))["results"] is None
        await admin(one.url, event, "POST", f"/questions/{second}/close")
        closed = await screen.until(lambda m: m["question"]["status"] == "closed")
        assert closed["results"]["options"][2]["votes"] == 1
        await admin(one.url, event, "POST", f"/questions/{second}/hide")
        assert (await screen.until(lambda m: not m["question"]["revealed"]))["results"] is None
    versions = [m["version"] for m in screen.messages]
    assert versions == sorted(set(versions)), "a version went backwards or repeated"


async def test_presenter_only_results_never_reach_the_audience(replicas):
    one, two = replicas
    event = await create_event(one.url)
    third = codes(event)[2]
    async with EventScreen(f"{two.ws_url}/api/events/{event['code']}/live") as screen:
        await admin(one.url, event, "PUT", "/live", {"question": third})
        await vote(one.url, third, "event-voter-2", [1])
        await admin(one.url, event, "POST", f"/questions/{third}/close")
        await screen.until(lambda m: m["question"] and m["question"]["status"] == "closed")
    assert all(m["results"] is None for m in screen.messages)


async def test_a_countdown_closes_voting_by_itself_on_every_screen(replicas):
    one, two = replicas
    event = await create_event(one.url)
    first = codes(event)[0]
    await admin(one.url, event, "PUT", "/live", {"question": first})
    async with EventScreen(f"{two.ws_url}/api/events/{event['code']}/live") as screen:
        started = time.monotonic()
        await admin(one.url, event, "POST", f"/questions/{first}/countdown", {"seconds": 1})
        running = await screen.until(lambda m: m["question"]["closes_at"] is not None)
        assert running["question"]["status"] == "open"
        closed = await screen.until(lambda m: m["question"]["status"] == "closed", within=5)
        assert closed["question"]["closes_at"] is None
        assert 0.9 <= time.monotonic() - started <= 4
    async with httpx.AsyncClient(base_url=two.url) as http:
        response = await http.post(
            f"/api/polls/{first}/votes", json={"voter": await new_voter(http), "options": [1]}
        )
        assert response.status_code == 409


async def test_participants_connected_to_any_replica_are_counted(replicas):
    one, two = replicas
    event = await create_event(one.url)
    phones = [await websockets.connect(f"{r.ws_url}/e/{event['code']}/live") for r in (one, two, two)]
    try:
        deadline = time.monotonic() + 8
        counted = 0
        while time.monotonic() < deadline and counted != 3:
            counted = (await admin(one.url, event, "GET", "/presence"))["participants"]
            await asyncio.sleep(0.2)
        assert counted == 3
    finally:
        for phone in phones:
            await phone.close()


async def test_the_control_socket_needs_the_admin_token(replicas):
    one, _ = replicas
    event = await create_event(one.url)
    async with websockets.connect(f"{one.ws_url}/e/{event['code']}/control/live?token=wrong") as ws:
        with pytest.raises(websockets.ConnectionClosed) as closed:
            await asyncio.wait_for(ws.recv(), 5)
    assert closed.value.rcvd.code == 4403


async def test_a_socket_for_an_unknown_event_is_told_and_closed(replicas):
    one, _ = replicas
    async with websockets.connect(f"{one.ws_url}/api/events/ZZZZZZ/live") as ws:
        assert json.loads(await asyncio.wait_for(ws.recv(), 5)) == {
            "type": "error",
            "error": "There is no event with that code.",
            "code": "event_not_found",
        }
        with pytest.raises(websockets.ConnectionClosed) as closed:
            await asyncio.wait_for(ws.recv(), 5)
    assert closed.value.rcvd.code == 4404
