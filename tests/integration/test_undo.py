"""A presenter's Delete and New round can be undone for a few seconds: everything comes back as it was (the
question, its place, its ballots, counts and earlier rounds; the round's votes), and after the window, or
once the new round has votes, the undo is refused with 409 and changes nothing."""

from __future__ import annotations

import asyncio
from datetime import datetime

import asyncpg
import pytest

from polls.event import UNDO_SECONDS
from tests.api_client import codes
from tests.integration.events import auth, new_event, vote

QUESTIONS = [
    {"question": "Coffee or tea?", "options": ["Coffee", "Tea"]},
    {"question": "Which topics?", "options": ["A", "B", "C"], "kind": "multiple", "max_choices": 2},
]


@pytest.fixture
def event(client) -> dict:
    return new_event(client, "Undo", QUESTIONS)


def admin_view(client, event: dict) -> dict:
    _, response = client.get(f"/api/events/{event['code']}", headers=auth(event))
    return response.json


def results(client, event: dict, question: str) -> dict:
    _, response = client.get(f"/api/polls/{question}/results", headers=auth(event))
    return response.json


def undo(client, event: dict):
    _, response = client.post(f"/api/events/{event['code']}/undo", headers=auth(event))
    return response


def go_live(client, event: dict, question: str) -> None:
    client.put(f"/api/events/{event['code']}/live", json={"question": question}, headers=auth(event))


def test_nothing_done_is_nothing_to_undo(client, event):
    assert admin_view(client, event)["undo"] is None
    response = undo(client, event)
    assert response.status == 409 and response.json["code"] == "nothing_to_undo"


def test_an_undone_delete_brings_the_live_question_back_whole(client, event):
    first, second = codes(event)
    go_live(client, event, first)
    assert vote(client, first, "phone-1", 1) == 200
    client.post(f"/api/events/{event['code']}/questions/{first}/reset", headers=auth(event))
    assert vote(client, first, "phone-1", 2) == 200 and vote(client, first, "phone-2", 2) == 200
    before = results(client, event, first)

    _, deleted = client.delete(f"/api/events/{event['code']}/questions/{first}", headers=auth(event))
    assert codes(deleted.json) == [second] and deleted.json["live"] is None
    offered = deleted.json["undo"]
    assert (offered["action"], offered["question"], offered["text"]) == ("delete", first, "Coffee or tea?")
    assert (
        0
        < (datetime.fromisoformat(offered["until"]) - datetime.now().astimezone()).total_seconds()
        <= (UNDO_SECONDS)
    )
    assert vote(client, first, "phone-3", 1) == 404

    response = undo(client, event)
    assert response.status == 200, response.text
    assert codes(response.json) == [first, second] and response.json["live"]["code"] == first
    assert response.json["undo"]["action"] == "reset"  # the earlier new round may be undone next
    after = results(client, event, first)
    assert (after["voters"], after["options"], after["status"]) == (
        before["voters"],
        before["options"],
        before["status"],
    )
    _, exported = client.get(f"/api/events/{event['code']}/export.json", headers=auth(event))
    rows = [r for r in exported.json["rows"] if r["question_code"] == first]
    assert {(r["round"], r["option"], r["votes"]) for r in rows} == {
        (1, "Coffee", 1),
        (1, "Tea", 0),
        (2, "Coffee", 0),
        (2, "Tea", 2),
    }
    # The restored ballots are the voters' own: changing one moves the count, nothing counted twice.
    assert vote(client, first, "phone-2", 1) == 200
    assert [o["votes"] for o in results(client, event, first)["options"]] == [1, 1]


def test_an_undone_new_round_brings_back_its_votes_and_status(client, event):
    first = codes(event)[0]
    go_live(client, event, first)
    for number, option in enumerate((1, 1, 2)):
        assert vote(client, first, f"phone-{number}", option) == 200
    client.post(f"/api/events/{event['code']}/questions/{first}/close", headers=auth(event))
    before = results(client, event, first)

    _, reset = client.post(f"/api/events/{event['code']}/questions/{first}/reset", headers=auth(event))
    assert reset.json["questions"][0]["round"] == 2 and reset.json["undo"]["action"] == "reset"
    assert results(client, event, first)["voters"] == 0

    response = undo(client, event)
    assert response.status == 200, response.text
    question = response.json["questions"][0]
    assert (question["round"], question["status"]) == (1, "closed")
    after = results(client, event, first)
    assert (after["voters"], after["options"]) == (before["voters"], before["options"])
    assert after["version"] > before["version"]
    assert response.json["undo"] is None
    _, exported = client.get(f"/api/events/{event['code']}/export.json", headers=auth(event))
    assert {r["round"] for r in exported.json["rows"] if r["question_code"] == first} == {1}


def test_a_new_round_with_votes_in_it_is_not_undone(client, event):
    first = codes(event)[0]
    go_live(client, event, first)
    assert vote(client, first, "phone-1", 1) == 200
    client.post(f"/api/events/{event['code']}/questions/{first}/reset", headers=auth(event))
    assert vote(client, first, "phone-2", 2) == 200

    response = undo(client, event)
    assert response.status == 409 and response.json["code"] == "round_has_votes"
    now = results(client, event, first)
    assert now["voters"] == 1 and [o["votes"] for o in now["options"]] == [0, 1]
    assert admin_view(client, event)["questions"][0]["round"] == 2


async def age(database_url: str, question: str, seconds: float) -> None:
    """Make a deletion as old as if it had happened `seconds` ago."""
    connection = await asyncpg.connect(database_url)
    try:
        await connection.execute(
            "UPDATE deleted_questions SET deleted_at = now() - make_interval(secs => $1) WHERE code = $2",
            seconds,
            question,
        )
    finally:
        await connection.close()


def test_after_the_window_there_is_nothing_to_undo(client, event, database_url):
    first, second = codes(event)
    client.delete(f"/api/events/{event['code']}/questions/{first}", headers=auth(event))
    asyncio.run(age(database_url, first, UNDO_SECONDS + 1))
    assert admin_view(client, event)["undo"] is None
    response = undo(client, event)
    assert response.status == 409 and response.json["code"] == "nothing_to_undo"
    assert codes(admin_view(client, event)) == [second]
