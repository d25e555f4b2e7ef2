"""Audience Q&A on the real PostgreSQL and RabbitMQ: questions and upvotes through both replicas, counts equal
to the votes table, one upvote per voter however often it is sent, the limits, and moderation kept on every
channel: a question that waits for approval, was held by the profanity filter or is hidden reaches the
presenter (control view, admin API, control socket) and no audience (phones, projector, public API, JSON
socket)."""

from __future__ import annotations

import asyncio
import json
import random
import time
from typing import Any

import httpx
import pytest
import websockets

from polls.qa import QUESTIONS_PER_WINDOW, VOTES_PER_WINDOW
from tests.integration.events import auth, new_event
from tests.voters import named_voter, new_voter

QUESTION = {"question": "Lunch?", "options": ["Pizza", "Tacos"]}


def qa_event(client, **settings: Any) -> dict:
    """A new event with Q&A switched on (and these settings)."""
    event = new_event(client, "Town hall", [QUESTION])
    _, response = client.put(
        f"/api/events/{event['code']}/qa", json={"enabled": True, **settings}, headers=auth(event)
    )
    assert response.status == 200, response.text
    return event


def ask(client, event: dict, voter: str, text: Any) -> Any:
    body = {"voter": named_voter(client, voter), "text": text}
    _, response = client.post(f"/api/events/{event['code']}/qa/questions", json=body)
    return response


def upvote(client, event: dict, voter: str, question: Any, up: Any = True) -> Any:
    body = {"voter": named_voter(client, voter), "up": up}
    _, response = client.post(f"/api/events/{event['code']}/qa/questions/{question}/votes", json=body)
    return response


def moderate(client, event: dict, question: int, action: str, headers: dict | None = None) -> Any:
    path = f"/api/events/{event['code']}/qa/questions/{question}/{action}"
    _, response = client.post(path, headers=auth(event) if headers is None else headers)
    return response


def board(client, event: dict, presenter: bool = False) -> dict:
    _, response = client.get(f"/api/events/{event['code']}/qa", headers=auth(event) if presenter else {})
    assert response.status == 200, response.text
    return response.json


def texts(board: dict) -> list[str]:
    return [q["text"] for q in board["questions"]]


def page(client, path: str, cookies: dict | None = None) -> str:
    _, response = client.get(path, cookies=cookies or {})
    assert response.status == 200, response.text
    return response.text


def test_qa_is_off_until_the_presenter_switches_it_on(client):
    event = new_event(client, "Town hall", [QUESTION])
    assert board(client, event)["enabled"] is False
    refused = ask(client, event, "phone-a", "Hello?")
    assert refused.status == 409 and refused.json["code"] == "qa_off"
    assert "qa-ask" in page(client, f"/e/{event['code']}")  # the form is there, hidden by the page's CSS
    assert 'data-qa-enabled="false"' in page(client, f"/e/{event['code']}")


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("", "text_empty"),
        ("   ", "text_empty"),
        ("x" * 281, "text_too_long"),
        (None, "text_invalid"),
        (["a"], "text_invalid"),
    ],
)
def test_a_question_outside_the_rules_is_refused_with_a_code(client, text, code):
    event = qa_event(client)
    response = ask(client, event, "phone-a", text)
    assert response.status == 422 and response.json["code"] == code, response.text
    assert board(client, event, presenter=True)["questions"] == []


def test_bad_votes_ids_and_voters_are_refused_with_a_code(client):
    event = qa_event(client)
    asked = ask(client, event, "phone-a", "Why?").json
    assert upvote(client, event, "phone-b", asked["id"], "maybe").json["code"] == "qa_vote_invalid"
    assert upvote(client, event, "phone-b", "abc").json["code"] == "qa_question_invalid"
    assert upvote(client, event, "phone-b", 999_999_999).status == 404
    _, response = client.post(
        f"/api/events/{event['code']}/qa/questions", json={"voter": "made-up", "text": "Why?"}
    )
    assert response.status == 422 and response.json["code"] == "voter_not_issued"
    _, response = client.put(
        f"/api/events/{event['code']}/qa", json={"moderation": "later"}, headers=auth(event)
    )
    assert response.status == 422 and response.json["code"] == "qa_settings_invalid"
    assert moderate(client, event, asked["id"], "pin", headers={}).status == 403


def test_moderation_and_settings_need_the_events_admin_token(client):
    event = qa_event(client)
    asked = ask(client, event, "phone-a", "Why?").json
    wrong = {"Authorization": "Bearer nope"}
    for headers in ({}, wrong, {"X-Admin-Token": "nope"}):
        response = moderate(client, event, asked["id"], "hide", headers=headers)
        assert response.status == 403 and response.json["code"] == "admin_token_invalid"
    _, response = client.put(f"/api/events/{event['code']}/qa", json={"enabled": False})
    assert response.status == 403
    _, response = client.get(f"/api/events/{event['code']}/qa", headers=wrong)
    assert response.status == 403
    assert (
        moderate(client, event, asked["id"], "hide", headers={"X-Admin-Token": event["admin_token"]}).status
        == 200
    )


def test_an_upvote_is_one_per_voter_and_withdrawing_twice_is_zero(client):
    event = qa_event(client)
    asked = ask(client, event, "phone-a", "Can we start later?").json
    first = upvote(client, event, "phone-b", asked["id"]).json
    again = upvote(client, event, "phone-b", asked["id"]).json
    assert first == again == {"question": asked["id"], "upvoted": True, "votes": 1}
    assert upvote(client, event, "phone-c", asked["id"]).json["votes"] == 2
    gone = upvote(client, event, "phone-b", asked["id"], False).json
    gone_again = upvote(client, event, "phone-b", asked["id"], False).json
    assert gone == gone_again == {"question": asked["id"], "upvoted": False, "votes": 1}
    assert board(client, event)["questions"][0]["votes"] == 1


def test_a_repeat_with_the_same_idempotency_key_gets_the_first_answer(client):
    event = qa_event(client)
    body = {"voter": named_voter(client, "phone-k"), "text": "Once only?"}
    headers = {"Idempotency-Key": "qa-ask-once"}
    path = f"/api/events/{event['code']}/qa/questions"
    _, first = client.post(path, json=body, headers=headers)
    _, second = client.post(path, json=body, headers=headers)
    assert first.status == second.status == 201
    assert second.headers.get("Idempotent-Replayed") == "true" and second.json == first.json
    assert texts(board(client, event)) == ["Once only?"]


def test_a_voter_asking_or_voting_too_often_gets_429(client):
    event = qa_event(client)
    for i in range(QUESTIONS_PER_WINDOW):
        assert ask(client, event, "phone-busy", f"Question {i}?").status == 201
    refused = ask(client, event, "phone-busy", "One more?")
    assert refused.status == 429 and refused.json["code"] == "rate_limited"
    assert ask(client, event, "phone-calm", "My first?").status == 201  # another voter is not held back
    target = board(client, event)["questions"][0]["id"]
    statuses = [
        upvote(client, event, "phone-toggle", target, i % 2 == 0).status for i in range(VOTES_PER_WINDOW + 1)
    ]
    assert statuses[:VOTES_PER_WINDOW] == [200] * VOTES_PER_WINDOW and statuses[-1] == 429


def test_pin_one_at_a_time_answered_and_approve(client):
    event = qa_event(client, moderation="approve")
    one = ask(client, event, "phone-a", "First?").json
    two = ask(client, event, "phone-b", "Second?").json
    assert one["state"] == two["state"] == "pending"
    refused = moderate(client, event, one["id"], "pin")
    assert refused.status == 409 and refused.json["code"] == "qa_not_shown"
    for q in (one, two):
        assert moderate(client, event, q["id"], "approve").status == 200
    moderate(client, event, one["id"], "pin")
    pinned = moderate(client, event, two["id"], "pin").json
    assert pinned["pinned"] == two["id"]
    assert [q["id"] for q in pinned["questions"] if q["pinned"]] == [two["id"]]
    answered = moderate(client, event, two["id"], "answer").json
    assert answered["pinned"] is None
    assert [q["answered"] for q in board(client, event)["questions"]] == [False, True]  # answered go last
    assert moderate(client, event, 999_999_999, "hide").status == 404


def test_a_question_with_markup_is_escaped_on_every_page(client):
    event = qa_event(client)
    attack = '<script>alert("qa")</script><img src=x onerror=alert(1)>'
    asked = ask(client, event, "phone-x", attack).json
    moderate(client, event, asked["id"], "pin")
    code = event["code"]
    cookies = {f"polls_admin_{code}": event["admin_token"]}
    for html in (
        page(client, f"/e/{code}"),
        page(client, f"/e/{code}/present"),
        page(client, f"/e/{code}/control", cookies),
    ):
        assert "&lt;script&gt;alert(" in html
        assert "<script>alert(" not in html and "<img src=x" not in html


def test_moderated_questions_reach_the_presenters_pages_and_no_audience_page(client):
    event = qa_event(client, moderation="approve")
    code = event["code"]
    ask(client, event, "phone-p", "SECRET-PENDING question")
    held = ask(client, event, "phone-h", "SECRET-HELD what the fuck").json
    assert held["state"] == "pending"  # the asker is not told it was the filter
    hidden = ask(client, event, "phone-d", "SECRET-HIDDEN question").json
    moderate(client, event, hidden["id"], "approve")
    moderate(client, event, hidden["id"], "hide")
    shown = ask(client, event, "phone-s", "VISIBLE question").json
    moderate(client, event, shown["id"], "approve")
    audience = [
        json.dumps(board(client, event)),
        page(client, f"/e/{code}"),
        page(client, f"/e/{code}?order=new"),
        page(client, f"/e/{code}/present"),
    ]
    for seen in audience:
        assert "VISIBLE question" in seen and "SECRET" not in seen
    presenter = json.dumps(board(client, event, presenter=True))
    control = page(client, f"/e/{code}/control", {f"polls_admin_{code}": event["admin_token"]})
    for seen in (presenter, control):
        assert all(f"SECRET-{kind}" in seen for kind in ("PENDING", "HELD", "HIDDEN"))
    # Without moderation, the filter still holds a profane question back.
    client.put(f"/api/events/{code}/qa", json={"moderation": "off"}, headers=auth(event))
    assert ask(client, event, "phone-h2", "SECRET-HELD2 shit happens").json["state"] == "pending"
    assert ask(client, event, "phone-o", "OPEN question").json["state"] == "shown"
    assert "SECRET" not in json.dumps(board(client, event))


async def recv_until(ws: Any, seen: list[str], marker: str, within: float = 10.0) -> None:
    """Read the socket's messages into `seen` until one holds the marker (or fail at the deadline)."""
    async with asyncio.timeout(within):
        while marker not in (message := await ws.recv()):
            seen.append(message)
        seen.append(message)


async def test_moderated_questions_never_reach_an_audience_socket(replicas):
    one, two = replicas
    async with httpx.AsyncClient(base_url=one.url) as http:
        made = await http.post("/api/events", json={"title": "Sockets", "questions": [QUESTION]})
        event = made.json()
        code, headers = event["code"], auth(event)
        await http.put(
            f"/api/events/{code}/qa", json={"enabled": True, "moderation": "approve"}, headers=headers
        )
        sockets = {
            "json": f"{two.ws_url}/api/events/{code}/qa/live",
            "phone": f"{two.ws_url}/e/{code}/qa/live",
            "phone-new": f"{two.ws_url}/e/{code}/qa/live?order=new",
            "projector": f"{two.ws_url}/e/{code}/present/qa/live",
            "control": f"{two.ws_url}/e/{code}/control/qa/live?token={event['admin_token']}",
        }
        seen: dict[str, list[str]] = {name: [] for name in sockets}
        connected = [await websockets.connect(url) for url in sockets.values()]
        try:
            for ws, name in zip(connected, sockets, strict=True):
                seen[name].append(await ws.recv())  # the snapshot on connecting

            async def asked(text: str) -> int:
                response = await http.post(
                    f"/api/events/{code}/qa/questions", json={"voter": await new_voter(http), "text": text}
                )
                assert response.status_code == 201, response.text
                return int(response.json()["id"])

            await asked("SECRET-PENDING one")
            await asked("SECRET-HELD fuck this")
            # Hidden straight from the queue: approved first, it would have been the audience's for a moment.
            hidden = await asked("SECRET-HIDDEN one")
            hid = await http.post(f"/api/events/{code}/qa/questions/{hidden}/hide", headers=headers)
            assert hid.status_code == 200, hid.text
            last = await asked("LAST-VISIBLE one")
            await http.post(f"/api/events/{code}/qa/questions/{last}/approve", headers=headers)
            await asyncio.gather(
                *(
                    recv_until(ws, seen[name], "LAST-VISIBLE")
                    for ws, name in zip(connected, sockets, strict=True)
                )
            )
        finally:
            for ws in connected:
                await ws.close()
    for name in ("json", "phone", "phone-new", "projector"):
        assert not [m for m in seen[name] if "SECRET" in m], name
    assert any("SECRET-PENDING" in m and "SECRET-HELD" in m for m in seen["control"])
    assert any("SECRET-HIDDEN" in m for m in seen["control"])


async def test_concurrent_questions_and_upvotes_through_both_replicas_count_exactly(replicas, database):
    one, two = replicas
    voters = 40
    async with httpx.AsyncClient(base_url=one.url) as a, httpx.AsyncClient(base_url=two.url) as b:
        made = await a.post("/api/events", json={"title": "Busy", "questions": [QUESTION]})
        event = made.json()
        code = event["code"]
        await a.put(f"/api/events/{code}/qa", json={"enabled": True}, headers=auth(event))
        ids = [await new_voter(a) for _ in range(voters)]

        async def ask_at(http: httpx.AsyncClient, voter: str, i: int) -> int:
            response = await http.post(
                f"/api/events/{code}/qa/questions", json={"voter": voter, "text": f"Q{i}?"}
            )
            assert response.status_code == 201, response.text
            return int(response.json()["id"])

        async def vote_at(http: httpx.AsyncClient, voter: str, question: int, up: bool) -> None:
            response = await http.post(
                f"/api/events/{code}/qa/questions/{question}/votes", json={"voter": voter, "up": up}
            )
            assert response.status_code == 200, response.text

        async with websockets.connect(f"{two.ws_url}/api/events/{code}/qa/live") as screen:
            questions = await asyncio.gather(*(ask_at((a, b)[i % 2], ids[i], i) for i in range(8)))
            rng = random.Random(7)
            plan = [(v, q) for v in ids for q in questions if rng.random() < 0.4]
            started = time.monotonic()
            # Every upvote sent twice, through both replicas at once: a flood of one voter is one vote.
            await asyncio.gather(
                *(vote_at(http, v, q, True) for v, q in plan for http in (a, b)),
            )
            withdrawn = plan[::5]
            await asyncio.gather(*(vote_at((b, a)[i % 2], v, q, False) for i, (v, q) in enumerate(withdrawn)))
            elapsed = time.monotonic() - started
            truth = (await a.get(f"/api/events/{code}/qa")).json()
            async with asyncio.timeout(10):
                while (pushed := json.loads(await screen.recv()))["version"] != truth["version"]:
                    pass
    expected = {q: 0 for q in questions}
    for _, q in set(plan) - set(withdrawn):
        expected[q] += 1
    rows = await database.pool.fetch(
        """SELECT q.id, q.votes, (SELECT count(*) FROM qa_votes v WHERE v.question_id = q.id) AS counted
           FROM qa_questions q JOIN events e ON e.id = q.event_id WHERE e.code = $1""",
        code,
    )
    assert {r["id"]: r["votes"] for r in rows} == {r["id"]: r["counted"] for r in rows} == expected
    assert pushed == {"type": "qa", **truth}
    votes = [q["votes"] for q in truth["questions"]]
    assert votes == sorted(votes, reverse=True)
    assert {q["id"]: q["votes"] for q in truth["questions"]} == expected
    print(f"{2 * len(plan) + len(withdrawn)} votes through two replicas in {elapsed:.2f} s")
