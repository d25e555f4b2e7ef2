"""What the events' integration tests do through the app's test client: create an event, act as its
presenter, vote as a named phone."""

from __future__ import annotations

from tests.voters import named_voter


def new_event(client, title: str, questions: list[dict]) -> dict:
    """A new event with these questions: the API's answer (codes, admin token, urls)."""
    _, response = client.post("/api/events", json={"title": title, "questions": questions})
    assert response.status == 201, response.text
    return response.json


def auth(event: dict) -> dict:
    """The presenter's Authorization header."""
    return {"Authorization": f"Bearer {event['admin_token']}"}


def vote(client, question: str, voter: str, *options: int) -> int:
    """The named voter's ballot (an id the server issued to that name); the answer's status."""
    body = {"voter": named_voter(client, voter), "options": list(options)}
    _, response = client.post(f"/api/polls/{question}/votes", json=body)
    return response.status
