"""The JSON API as the tests use it, against a base URL (a replica, the native stack, the Docker demo): make a
poll or an event, act as its presenter, vote as a named voter, read results. Async functions for tests in an
event loop, and blocking ones (new_poll, new_event, poll_results) for tests outside one."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import httpx

from tests.voters import named_new_voter

EVENT_QUESTIONS = [
    {"question": "First?", "options": ["a", "b"]},
    {"question": "Second?", "options": ["x", "y", "z"], "visibility": "after_close"},
    {"question": "Third?", "options": ["p", "q"], "visibility": "presenter"},
]


def client(base: str) -> httpx.AsyncClient:
    return httpx.AsyncClient(base_url=base, timeout=10)


async def create_poll(
    base: str, question: str = "Lunch?", options: Sequence[str] = ("a", "b", "c"), **settings: Any
) -> dict[str, Any]:
    """A new poll: its JSON, admin token included."""
    async with client(base) as http:
        body = {"question": question, "options": list(options), **settings}
        response = await http.post("/api/polls", json=body)
        assert response.status_code == 201, response.text
        return response.json()


async def create_event(
    base: str, title: str = "Live event", questions: Sequence[dict[str, Any]] = EVENT_QUESTIONS
) -> dict[str, Any]:
    """A new event: its JSON, with its questions' codes and its admin token."""
    async with client(base) as http:
        response = await http.post("/api/events", json={"title": title, "questions": list(questions)})
        assert response.status_code == 201, response.text
        return response.json()


async def admin(
    base: str, event: dict[str, Any], method: str, path: str, body: dict[str, Any] | None = None
) -> dict[str, Any]:
    """A presenter's request to the event's API (`path` under /api/events/{code}), with its admin token."""
    async with client(base) as http:
        response = await http.request(
            method,
            f"/api/events/{event['code']}{path}",
            json=body,
            headers={"Authorization": f"Bearer {event['admin_token']}"},
        )
        assert response.status_code == 200, response.text
        return response.json()


async def vote(base: str, code: str, voter: str, options: Sequence[int]) -> dict[str, Any]:
    """The named voter's ballot (an id the server issued to that name at this address); its answer."""
    async with client(base) as http:
        body = {"voter": await named_new_voter(http, voter), "options": list(options)}
        response = await http.post(f"/api/polls/{code}/votes", json=body)
        assert response.status_code == 200, response.text
        return response.json()


async def rate(base: str, code: str, voter: str, ratings: dict[int, int]) -> dict[str, Any]:
    """The named voter's ratings of a scale question (statement id -> rating); the answer."""
    async with client(base) as http:
        answer = {str(statement): rating for statement, rating in ratings.items()}
        body = {"voter": await named_new_voter(http, voter), "ratings": answer}
        response = await http.post(f"/api/polls/{code}/votes", json=body)
        assert response.status_code == 200, response.text
        return response.json()


async def answer(base: str, code: str, voter: str, **given: Any) -> dict[str, Any]:
    """The named voter's answer of any kind, as its body takes it (entries=[...], text="..."); the reply."""
    async with client(base) as http:
        body = {"voter": await named_new_voter(http, voter), **given}
        response = await http.post(f"/api/polls/{code}/votes", json=body)
        assert response.status_code == 200, response.text
        return response.json()


async def results(base: str, code: str) -> dict[str, Any]:
    async with client(base) as http:
        response = await http.get(f"/api/polls/{code}/results")
        response.raise_for_status()
        return response.json()


def codes(event: dict[str, Any]) -> list[str]:
    """The codes of an event's questions, in the event's order."""
    return [question["code"] for question in event["questions"]]


def new_poll(base: str, question: str = "Lunch?", options: Sequence[str] = ("a", "b", "c")) -> dict[str, Any]:
    """create_poll for a test outside an event loop (or inside one that may block for a moment)."""
    response = httpx.post(
        f"{base}/api/polls", json={"question": question, "options": list(options)}, timeout=10
    )
    assert response.status_code == 201, response.text
    return response.json()


def new_event(
    base: str, title: str = "Live event", questions: Sequence[dict[str, Any]] = EVENT_QUESTIONS
) -> dict[str, Any]:
    body = {"title": title, "questions": list(questions)}
    response = httpx.post(f"{base}/api/events", json=body, timeout=10)
    assert response.status_code == 201, response.text
    return response.json()


def poll_results(base: str, code: str) -> dict[str, Any]:
    response = httpx.get(f"{base}/api/polls/{code}/results", timeout=10)
    response.raise_for_status()
    return response.json()
