"""Results are sealed on the server: whoever may not see a question's tally is sent no number of it, on any
channel. A question of an event is reached only through its event, whose visibility rules decide."""

from __future__ import annotations

import asyncio
import json
import re

import httpx
import pytest
import websockets

from tests.api_client import admin, create_event
from tests.integration.test_event_live import EventScreen
from tests.voters import new_voter

QUESTIONS = [
    {"question": "Seen after voting?", "options": ["a", "b"], "visibility": "after_vote"},
    {"question": "Presenter only?", "options": ["x", "y"], "visibility": "presenter"},
    {"question": "After closing?", "options": ["p", "q"], "visibility": "after_close"},
    {"question": "Always?", "options": ["m", "n"], "visibility": "always"},
]
RESULTS_REGION = 'class="participant-results'


@pytest.fixture
async def event(replicas) -> dict:
    one, _ = replicas
    return await create_event(one.url, "Sealed", QUESTIONS)


def question(event: dict, visibility: str) -> str:
    return next(q["code"] for q in event["questions"] if q["visibility"] == visibility)


async def go_live(base: str, event: dict, visibility: str) -> str:
    code = question(event, visibility)
    await admin(base, event, "PUT", "/live", {"question": code})
    return code


class Phone:
    """A browser on the participant page: its voter cookie, and its page's socket."""

    def __init__(self, base: str, ws_base: str, event: dict) -> None:
        self.http = httpx.AsyncClient(base_url=base)
        self.ws_url = f"{ws_base}/e/{event['code']}/live"
        self.event = event
        self.pushed: list[str] = []

    async def open(self) -> Phone:
        page = await self.http.get(f"/e/{self.event['code']}")
        assert page.status_code == 200
        cookie = "; ".join(f"{k}={v}" for k, v in self.http.cookies.items())
        self.ws = await websockets.connect(self.ws_url, additional_headers={"Cookie": cookie})
        self.reader = asyncio.create_task(self._read())
        return self

    async def _read(self) -> None:
        async for frame in self.ws:
            self.pushed.append(str(frame))

    async def vote(self, code: str) -> None:
        response = await self.http.post(
            f"/e/{self.event['code']}/vote",
            data={"question": code, "option": "1"},
            headers={"HX-Request": "true"},
        )
        assert response.status_code == 200, response.text

    async def last_push(self, predicate, within: float = 8.0) -> str:
        async with asyncio.timeout(within):
            while not (self.pushed and predicate(self.pushed[-1])):
                await asyncio.sleep(0.02)
        return self.pushed[-1]

    async def close(self) -> None:
        self.reader.cancel()
        await self.ws.close()
        await self.http.aclose()


@pytest.mark.parametrize("visibility", ["after_vote", "presenter", "after_close", "always"])
async def test_the_poll_api_gives_an_event_questions_results_only_to_its_presenter(
    replicas, event, visibility
):
    one, _ = replicas
    code = await go_live(one.url, event, visibility)
    async with httpx.AsyncClient(base_url=one.url) as http:
        sealed = await http.get(f"/api/polls/{code}/results")
        assert sealed.status_code == 403 and sealed.json()["code"] == "results_sealed"
        wrong = await http.get(f"/api/polls/{code}/results", headers={"Authorization": "Bearer nope"})
        assert wrong.status_code == 403
        token = {"Authorization": f"Bearer {event['admin_token']}"}
        presenter = await http.get(f"/api/polls/{code}/results", headers=token)
        assert presenter.status_code == 200 and "options" in presenter.json()


async def test_the_poll_pages_do_not_serve_an_event_question(replicas, event):
    one, _ = replicas
    code = await go_live(one.url, event, "presenter")
    async with httpx.AsyncClient(base_url=one.url) as http:
        for path in (f"/p/{code}", f"/p/{code}/present", f"/p/{code}/qr.svg"):
            response = await http.get(path)
            assert response.status_code == 404, path
            assert "question of an event" in response.text


@pytest.mark.parametrize("path", ["/api/polls/{code}/live", "/p/{code}/live"])
async def test_the_poll_sockets_refuse_an_event_question_without_a_number(replicas, event, path):
    one, _ = replicas
    code = await go_live(one.url, event, "presenter")
    async with websockets.connect(one.ws_url + path.format(code=code)) as ws:
        message = json.loads(await asyncio.wait_for(ws.recv(), 5))
        assert message["type"] == "error" and "question of an event" in message["error"]
        with pytest.raises(websockets.ConnectionClosed) as closed:
            await asyncio.wait_for(ws.recv(), 5)
    assert closed.value.rcvd.code == 4404


@pytest.mark.parametrize("visibility", ["after_vote", "presenter", "after_close"])
async def test_the_event_socket_sends_no_results_that_not_everyone_may_see(replicas, event, visibility):
    one, two = replicas
    code = await go_live(one.url, event, visibility)
    async with EventScreen(f"{two.ws_url}/api/events/{event['code']}/live") as screen:
        async with httpx.AsyncClient(base_url=one.url) as http:
            vote = await http.post(
                f"/api/polls/{code}/votes", json={"voter": await new_voter(http), "options": [1]}
            )
            assert vote.status_code == 200
        last = await screen.until(lambda m: m["answers"] == 1)
        assert last["results"] is None
        assert not any(m["results"] for m in screen.messages)


async def test_the_event_socket_sends_results_everyone_may_see(replicas, event):
    one, two = replicas
    code = await go_live(one.url, event, "always")
    async with EventScreen(f"{two.ws_url}/api/events/{event['code']}/live") as screen:
        async with httpx.AsyncClient(base_url=one.url) as http:
            await http.post(f"/api/polls/{code}/votes", json={"voter": await new_voter(http), "options": [2]})
        last = await screen.until(lambda m: m["results"] is not None and m["results"]["voters"] == 1)
        assert [o["votes"] for o in last["results"]["options"]] == [0, 1]


async def test_after_vote_only_a_phone_whose_voter_voted_is_sent_the_results(replicas, event):
    """Two phones on different replicas: the one that votes is then pushed the results; the other, which has
    not voted, is pushed every change but never a number of the tally."""
    one, two = replicas
    code = await go_live(one.url, event, "after_vote")
    voter = await Phone(one.url, one.ws_url, event).open()
    watcher = await Phone(two.url, two.ws_url, event).open()
    try:
        await voter.last_push(lambda html: code in html)
        assert RESULTS_REGION not in voter.pushed[-1]
        await voter.vote(code)
        shown = await voter.last_push(lambda html: RESULTS_REGION in html)
        assert re.search(r'class="voters">1<', shown)
        # The phone that did not vote sees the answer count move, and no results.
        async with httpx.AsyncClient(base_url=two.url) as http:
            await http.post(f"/api/polls/{code}/votes", json={"voter": await new_voter(http), "options": [2]})
        await asyncio.sleep(0)
        await voter.last_push(lambda html: re.search(r'class="voters">2<', html) is not None)
        assert not any(RESULTS_REGION in html for html in watcher.pushed)
        # The pages agree with the sockets: the voter's page has the results, the other's has none.
        assert RESULTS_REGION in (await voter.http.get(f"/e/{event['code']}")).text
        assert RESULTS_REGION not in (await watcher.http.get(f"/e/{event['code']}")).text
    finally:
        await voter.close()
        await watcher.close()


async def test_hiding_after_vote_results_takes_them_from_the_phones_that_voted(replicas, event):
    one, _ = replicas
    code = await go_live(one.url, event, "after_vote")
    phone = await Phone(one.url, one.ws_url, event).open()
    try:
        await phone.vote(code)
        await phone.last_push(lambda html: RESULTS_REGION in html)
        await admin(one.url, event, "POST", f"/questions/{code}/hide")
        await phone.last_push(lambda html: RESULTS_REGION not in html)
    finally:
        await phone.close()
