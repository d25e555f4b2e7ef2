"""Idempotency-Key: a write sent again with the same key is done once, and answered as the first time."""

from __future__ import annotations

import asyncio
import uuid

import asyncpg
import pytest

QUESTIONS = [
    {"question": "One?", "options": ["a", "b"]},
    {"question": "Two?", "options": ["c", "d"]},
    {"question": "Three?", "options": ["e", "f"]},
]


def key() -> dict[str, str]:
    return {"Idempotency-Key": uuid.uuid4().hex}


def count(database_url: str, sql: str, *args: object) -> int:
    async def query() -> int:
        connection = await asyncpg.connect(database_url)
        try:
            return await connection.fetchval(sql, *args)
        finally:
            await connection.close()

    return asyncio.run(query())


@pytest.fixture
def event(client) -> dict:
    _, response = client.post("/api/events", json={"title": "Keys", "questions": QUESTIONS})
    assert response.status == 201
    return response.json


def admin(event: dict, extra: dict[str, str] | None = None) -> dict[str, str]:
    return {"Authorization": f"Bearer {event['admin_token']}", **(extra or {})}


def test_a_poll_created_twice_with_one_key_is_created_once_and_answered_the_same(client, database_url):
    question = f"Made once {uuid.uuid4().hex[:8]}?"
    headers = key()
    _, first = client.post("/api/polls", json={"question": question, "options": ["a", "b"]}, headers=headers)
    _, again = client.post("/api/polls", json={"question": question, "options": ["a", "b"]}, headers=headers)
    assert first.status == again.status == 201
    assert again.json == first.json  # the same code, and the same admin token
    assert again.headers["Idempotent-Replayed"] == "true" and "Idempotent-Replayed" not in first.headers
    assert count(database_url, "SELECT count(*) FROM polls WHERE question = $1", question) == 1


def test_without_a_key_each_request_is_its_own_write(client, database_url):
    question = f"Made twice {uuid.uuid4().hex[:8]}?"
    for _ in range(2):
        _, response = client.post("/api/polls", json={"question": question, "options": ["a", "b"]})
        assert response.status == 201
    assert count(database_url, "SELECT count(*) FROM polls WHERE question = $1", question) == 2


def test_a_key_reused_for_another_request_is_refused(client):
    headers = key()
    _, first = client.post("/api/polls", json={"question": "First?", "options": ["a", "b"]}, headers=headers)
    _, other = client.post("/api/polls", json={"question": "Other?", "options": ["a", "b"]}, headers=headers)
    assert first.status == 201
    assert other.status == 422 and "another request" in other.json["error"]


@pytest.mark.parametrize("bad", ["", "x" * 256, "space in it"])
def test_a_malformed_key_is_a_clear_400(client, bad):
    _, response = client.post(
        "/api/polls", json={"question": "Q?", "options": ["a", "b"]}, headers={"Idempotency-Key": bad}
    )
    assert response.status == 400 and "Idempotency-Key" in response.json["error"]


def test_a_refused_write_leaves_its_key_free_for_the_corrected_request(client):
    headers = key()
    _, refused = client.post("/api/polls", json={"question": "", "options": ["a", "b"]}, headers=headers)
    assert refused.status == 422
    _, corrected = client.post("/api/polls", json={"question": "Q?", "options": ["a", "b"]}, headers=headers)
    assert corrected.status == 201 and "Idempotent-Replayed" not in corrected.headers


def test_a_new_round_asked_twice_with_one_key_is_one_new_round(client, event, database_url):
    first = event["questions"][0]["code"]
    headers = admin(event, key())
    for _ in range(2):
        _, response = client.post(f"/api/events/{event['code']}/questions/{first}/reset", headers=headers)
        assert response.status == 200
    assert count(database_url, "SELECT round FROM polls WHERE code = $1", first) == 2


def test_a_question_added_twice_with_one_key_is_added_once(client, event):
    headers = admin(event, key())
    body = {"question": "Added once?", "options": ["y", "n"]}
    for _ in range(2):
        _, response = client.post(f"/api/events/{event['code']}/questions", json=body, headers=headers)
        assert response.status == 201
    assert [q["question"] for q in response.json["questions"]].count("Added once?") == 1


def test_a_move_from_the_control_page_sent_twice_with_one_key_moves_once(client, event):
    first = event["questions"][0]["code"]
    headers = {"HX-Request": "true", **key()}
    form = {"token": event["admin_token"], "question": first}
    for _ in range(2):
        _, response = client.post(f"/e/{event['code']}/control/move-down", data=form, headers=headers)
        assert response.status == 200
    _, read = client.get(f"/api/events/{event['code']}", headers=admin(event))
    assert [q["code"] for q in read.json["questions"]].index(first) == 1


def test_a_delete_sent_twice_with_one_key_answers_the_same_both_times(client, event):
    second = event["questions"][1]["code"]
    headers = admin(event, key())
    answers = [
        client.delete(f"/api/events/{event['code']}/questions/{second}", headers=headers)[1] for _ in "12"
    ]
    assert [a.status for a in answers] == [200, 200]
    assert answers[0].json == answers[1].json and len(answers[1].json["questions"]) == 2
