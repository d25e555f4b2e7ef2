"""A rating scale end to end: created with its ends and labels (and refused, with the reason and a code,
outside them), rated by phones statement by statement, its tally (a count per statement and step, the mean
and the median) kept exactly under concurrent ballots and changes through both replicas, pushed to every
screen, and carried through a new round, its undo, and a delete and its undo."""

from __future__ import annotations

import json
import re
from collections import Counter

import asyncpg
import pytest

from tests.api_client import admin, create_event, create_poll, rate
from tests.integration.events import auth
from tests.integration.kinds import admin_results, answered_through_both_replicas
from tests.voters import named_voter

SCALE = {"kind": "scale", "min": 1, "max": 5, "min_label": "Not at all", "max_label": "Very much"}


def new_scale(client, statements=("Pace", "Clarity"), **settings) -> dict:
    body = {"question": "How was the talk?", "options": list(statements), **SCALE, **settings}
    _, response = client.post("/api/polls", json=body)
    assert response.status == 201, response.text
    return response.json


def rate_as(client, code: str, voter: str, ratings: dict) -> object:
    body = {"voter": named_voter(client, voter), "ratings": ratings}
    _, response = client.post(f"/api/polls/{code}/votes", json=body)
    return response


def test_a_scale_is_created_with_its_ends_and_statements(client):
    created = new_scale(client)
    assert created["kind"] == "scale"
    _, response = client.get(f"/api/polls/{created['code']}/results")
    assert response.json["scale"] == {"min": 1, "max": 5, "min_label": "Not at all", "max_label": "Very much"}
    assert [s["counts"] for s in response.json["statements"]] == [[0] * 5, [0] * 5]
    assert [(o["label"], o["votes"]) for o in response.json["options"]] == [("Pace", 0), ("Clarity", 0)]


def test_a_scale_without_statements_rates_its_question(client):
    created = new_scale(client, statements=(), min=0, max=10)
    _, response = client.get(f"/api/polls/{created['code']}/results")
    assert [o["label"] for o in response.json["options"]] == [""]
    assert response.json["statements"][0]["counts"] == [0] * 11


@pytest.mark.parametrize(
    ("settings", "code"),
    [
        ({"min": 5, "max": 1}, "scale_invalid"),
        ({"min": 0, "max": 11}, "scale_invalid"),
        ({"min": -1, "max": 5}, "scale_invalid"),
        ({"min": 1, "max": True}, "scale_invalid"),
        ({"min": "1", "max": 5}, "scale_invalid"),
        ({"min": 3, "max": 3}, "scale_invalid"),
        ({"min_label": "x" * 41}, "text_too_long"),
        ({"max_label": 7}, "text_invalid"),
        ({"options": [f"s{i}" for i in range(11)]}, "options_count"),
        ({"options": ["Same", "same"]}, "options_not_distinct"),
    ],
)
def test_a_scale_outside_its_rules_is_refused_with_a_reason_and_a_code(client, settings, code):
    body = {"question": "Q?", "options": ["a"], **SCALE, **settings}
    _, response = client.post("/api/polls", json=body)
    assert response.status == 422 and response.json["code"] == code, response.json


@pytest.mark.parametrize(
    ("ratings", "code"),
    [
        ({"1": 3}, "rating_missing"),
        ({"1": 3, "2": 6}, "rating_invalid"),
        ({"1": 0, "2": 3}, "rating_invalid"),
        ({"1": 3, "2": 2.5}, "rating_invalid"),
        ({"1": 3, "2": True}, "rating_invalid"),
        ({"1": 3, "2": 3, "9": 1}, "unknown_option"),
        ([3, 3], "ratings_invalid"),
    ],
)
def test_a_rating_outside_the_scale_is_refused_and_loses_nothing(client, ratings, code):
    created = new_scale(client)
    assert rate_as(client, created["code"], "rater-ok", {"1": 4, "2": 5}).status == 200
    response = rate_as(client, created["code"], "rater-bad", ratings)
    assert response.status == 422 and response.json["code"] == code, response.json
    _, tally = client.get(f"/api/polls/{created['code']}/results")
    assert tally.json["voters"] == 1 and [s["counts"] for s in tally.json["statements"]] == [
        [0, 0, 0, 1, 0],
        [0, 0, 0, 0, 1],
    ]


def test_the_tally_has_each_steps_count_the_mean_and_the_median_and_follows_a_changed_answer(client):
    code = new_scale(client)["code"]
    for voter, pace, clarity in (("a", 1, 5), ("b", 2, 5), ("c", 2, 4), ("d", 5, 4)):
        assert rate_as(client, code, f"scale-{voter}", {"1": pace, "2": clarity}).status == 200
    assert rate_as(client, code, "scale-d", {"1": 4, "2": 4}).status == 200  # d changes their mind
    _, tally = client.get(f"/api/polls/{code}/results")
    pace, clarity = tally.json["statements"]
    assert tally.json["voters"] == 4
    assert (pace["counts"], pace["count"], pace["mean"], pace["median"]) == ([1, 2, 0, 1, 0], 4, 2.25, 2.0)
    assert (clarity["counts"], clarity["mean"], clarity["median"]) == ([0, 0, 0, 2, 2], 4.5, 4.5)


async def tally_from_ballots(database_url: str, code: str) -> list[list[int]]:
    """The counts per statement and step recomputed from the stored ballots, not from the tally."""
    connection = await asyncpg.connect(database_url)
    try:
        row = await connection.fetchrow("SELECT id, settings FROM polls WHERE code = $1", code)
        ballots = await connection.fetch("SELECT option_ids FROM ballots WHERE poll_id = $1", row["id"])
    finally:
        await connection.close()
    settings = json.loads(row["settings"])
    low, high = settings["min"], settings["max"]
    per_statement = [Counter(ballot["option_ids"][i] for ballot in ballots) for i in range(2)]
    return [[counter[value] for value in range(low, high + 1)] for counter in per_statement]


async def test_concurrent_ratings_and_changes_through_both_replicas_equal_the_ballots(replicas, database_url):
    code = (await create_poll(replicas[0].url, "Rate it", ("Pace", "Clarity"), **SCALE))["code"]
    truth, pushed = await answered_through_both_replicas(
        replicas,
        code,
        120,
        lambda i: {"ratings": {"1": i % 5 + 1, "2": i * 7 % 5 + 1}},
        lambda i: {"ratings": {"1": 5 - i % 5, "2": 1}},  # a third change both ratings
    )
    assert truth["voters"] == 120
    assert [s["counts"] for s in truth["statements"]] == await tally_from_ballots(database_url, code)
    assert pushed["statements"] == truth["statements"] and pushed["scale"] == truth["scale"]


async def test_a_scale_question_keeps_its_ratings_through_a_new_round_its_undo_and_a_delete_and_its_undo(
    replicas,
):
    one, _ = replicas
    question = {"question": "Rate the venue", "options": ["Food", "Rooms"], **SCALE, "visibility": "always"}
    event = await create_event(one.url, "Offsite", [question])
    code = event["questions"][0]["code"]
    await admin(one.url, event, "PUT", "/live", {"question": code})
    for i in range(4):
        await rate(one.url, code, f"venue-{i}", {1: i + 1, 2: 5})
    before = await admin_results(one.url, event, code)

    reset = await admin(one.url, event, "POST", f"/questions/{code}/reset")
    assert reset["undo"]["action"] == "reset"
    assert [s["counts"] for s in (await admin_results(one.url, event, code))["statements"]] == [[0] * 5] * 2
    await admin(one.url, event, "POST", "/undo")
    assert (await admin_results(one.url, event, code))["statements"] == before["statements"]

    await admin(one.url, event, "DELETE", f"/questions/{code}")
    await admin(one.url, event, "POST", "/undo")
    assert (await admin_results(one.url, event, code))["statements"] == before["statements"]
    await rate(one.url, code, "venue-0", {1: 5, 2: 5})  # a restored ballot changes, counted once
    after = await admin_results(one.url, event, code)
    assert [s["counts"] for s in after["statements"]] == [[0, 1, 1, 1, 1], [0, 0, 0, 0, 4]]


def test_a_phone_rates_from_its_page_and_a_refused_rating_keeps_the_ballot(client):
    code = new_scale(client, statements=("Pace",))["code"]
    _, page = client.get(f"/p/{code}")
    assert page.text.count('name="rating-1"') == 5 and "Not at all" in page.text
    cookie = {"Cookie": f"polls_voter={named_voter(client, 'page-rater')}", "HX-Request": "true"}
    _, refused = client.post(f"/p/{code}/vote", data={}, headers=cookie)
    assert refused.status == 422 and "Rate every statement." in refused.text
    assert refused.text.count('name="rating-1"') == 5  # the ballot stays, with the reason
    _, voted = client.post(f"/p/{code}/vote", data={"rating-1": "4"}, headers=cookie)
    assert voted.status == 200 and re.search(r'name="rating-1" value="4"[^>]*checked', voted.text)
    assert not re.search(r'name="rating-1" value="[1235]"[^>]*checked', voted.text)
    _, tally = client.get(f"/api/polls/{code}/results")
    assert tally.json["statements"][0]["counts"] == [0, 0, 0, 1, 0]


def test_the_export_has_a_row_per_statement_and_step_beside_a_choices_row_per_option(client):
    questions = [
        {"question": "Rate", "options": ["Food"], "kind": "scale", "min": 1, "max": 3},
        {"question": "Pick", "options": ["a", "b"]},
    ]
    _, created = client.post("/api/events", json={"title": "Export", "questions": questions})
    event = created.json
    scale, choice = (q["code"] for q in event["questions"])
    client.put(f"/api/events/{event['code']}/live", json={"question": scale}, headers=auth(event))
    assert rate_as(client, scale, "export-1", {"1": 3}).status == 200
    _, exported = client.get(f"/api/events/{event['code']}/export.json", headers=auth(event))
    rows = [(r["question_code"], r["option"], r["value"], r["votes"]) for r in exported.json["rows"]]
    assert rows == [
        (scale, "Food", 1, 0),
        (scale, "Food", 2, 0),
        (scale, "Food", 3, 1),
        (choice, "a", None, 0),
        (choice, "b", None, 0),
    ]
