"""A ranking end to end: created to rank every option or the top K (refused outside that, with a reason and
a code), ranked by phones, and counted live: the instant-runoff rounds (with the tie rule), the average rank
and Borda points. Under concurrent ballots and changes through both replicas the count equals the one
recomputed from the stored ballots; no screen is ever sent a ballot."""

from __future__ import annotations

import random
import re

import asyncpg
import pytest

from polls.kinds._irv import borda, instant_runoff
from tests.api_client import create_poll
from tests.integration.events import auth
from tests.integration.kinds import answered_through_both_replicas
from tests.voters import named_voter


def new_ranking(client, options=("Alpha", "Bravo", "Charlie"), **settings) -> dict:
    body = {"question": "Which name?", "options": list(options), "kind": "ranking", **settings}
    _, response = client.post("/api/polls", json=body)
    assert response.status == 201, response.text
    return response.json


def rank_as(client, code: str, voter: str, ranking: list) -> object:
    _, response = client.post(
        f"/api/polls/{code}/votes", json={"voter": named_voter(client, voter), "ranking": ranking}
    )
    return response


@pytest.mark.parametrize(
    ("settings", "code"),
    [
        ({"top": 1}, "top_invalid"),
        ({"top": 4}, "top_invalid"),
        ({"top": "2"}, "top_invalid"),
        ({"top": True}, "top_invalid"),
    ],
)
def test_a_ranking_outside_its_places_is_refused(client, settings, code):
    body = {"question": "Q", "options": ["a", "b", "c"], "kind": "ranking", **settings}
    _, response = client.post("/api/polls", json=body)
    assert response.status == 422 and response.json["code"] == code


@pytest.mark.parametrize(
    ("ranking", "code"),
    [
        ([1, 2], "ranking_incomplete"),
        ([1, 1, 2], "ranking_invalid"),
        ([1, 2, 9], "unknown_option"),
        ("1,2,3", "ranking_invalid"),
        ([1, 2, True], "ranking_invalid"),
    ],
)
def test_a_ranking_ballot_that_is_no_order_of_the_options_is_refused_and_loses_nothing(client, ranking, code):
    poll = new_ranking(client)["code"]
    assert rank_as(client, poll, "ranker-ok", [3, 1, 2]).status == 200
    response = rank_as(client, poll, "ranker-bad", ranking)
    assert response.status == 422 and response.json["code"] == code, response.json
    _, tally = client.get(f"/api/polls/{poll}/results")
    assert tally.json["voters"] == 1 and [o["votes"] for o in tally.json["options"]] == [0, 0, 1]


def test_the_runoff_eliminates_the_fewest_moves_their_ballots_and_says_how_a_tie_was_decided(client):
    poll = new_ranking(client)["code"]
    ballots = [[1, 2, 3]] * 3 + [[2, 3, 1]] * 2 + [[3, 2, 1]] * 2
    for number, ranking in enumerate(ballots):
        assert rank_as(client, poll, f"runoff-{number}", ranking).status == 200
    _, tally = client.get(f"/api/polls/{poll}/results")
    runoff = tally.json["runoff"]
    assert "rankings" not in tally.json  # the count, never the ballots
    first, second = runoff["rounds"]
    assert [v["votes"] for v in first["votes"]] == [3, 2, 2]
    # Bravo and Charlie tie for fewest in round one, with no earlier round: the one listed last goes.
    assert first["eliminated"] == 3 and first["tie"] == {"options": [2, 3], "decided_by_round": None}
    assert first["transfers"] == [{"option": 2, "votes": 2}]
    assert [v["votes"] for v in second["votes"]] == [3, 4] and runoff["winner"] == 2
    ranks = {rank["option"]: (rank["average_rank"], rank["borda"]) for rank in tally.json["ranks"]}
    assert ranks == {1: (15 / 7, 6), 2: (12 / 7, 9), 3: (15 / 7, 6)}
    assert [o["votes"] for o in tally.json["options"]] == [3, 2, 2]  # first preferences
    _, projected = client.get(f"/p/{poll}/present")
    assert projected.status == 200
    assert "Round 1: Charlie is eliminated" in projected.text and "2 → Bravo" in projected.text
    assert re.search(r'<tr data-option="3">.*?class="gone"', projected.text, re.S)  # out in round two


def test_a_top_k_ranking_ranks_k_places_from_the_phones_order(client):
    poll = new_ranking(client, options=("a", "b", "c", "d"), top=2)["code"]
    cookie = {"Cookie": f"polls_voter={named_voter(client, 'top-k')}", "HX-Request": "true"}
    _, page = client.get(f"/p/{poll}", headers=cookie)
    assert page.text.count('name="ranking"') == 4 and page.text.count("unranked") == 2
    _, voted = client.post(f"/p/{poll}/vote", data={"ranking": ["4", "2", "1", "3"]}, headers=cookie)
    assert voted.status == 200
    _, tally = client.get(f"/api/polls/{poll}/results")
    assert [v["votes"] for v in tally.json["runoff"]["rounds"][0]["votes"]] == [0, 0, 0, 1]
    assert tally.json["runoff"]["winner"] == 4


def test_twenty_options_with_two_digit_ids_count_as_their_ballots(client):
    options = [f"option {number}" for number in range(1, 21)]
    poll = new_ranking(client, options=options)["code"]
    rng = random.Random(20)
    # Clustered, as real ballots are: some rankings given by several ballots, most by one.
    orders = [rng.sample(range(1, 21), 20) for _ in range(12)]
    ballots = [
        orders[rng.randrange(12)] if rng.random() < 0.5 else rng.sample(range(1, 21), 20) for _ in range(30)
    ]
    for number, ranking in enumerate(ballots):
        assert rank_as(client, poll, f"twenty-{number}", ranking).status == 200
    _, tally = client.get(f"/api/polls/{poll}/results")
    assert tally.json["runoff"] == instant_runoff(range(1, 21), map(tuple, ballots)).as_dict()


async def count_from_ballots(database_url: str, code: str) -> tuple[dict, dict]:
    """The runoff and the Borda points recounted from the stored ballots, not from the snapshot."""
    connection = await asyncpg.connect(database_url)
    try:
        poll = await connection.fetchval("SELECT id FROM polls WHERE code = $1", code)
        ballots = await connection.fetch("SELECT option_ids FROM ballots WHERE poll_id = $1", poll)
        ids = [row["id"] for row in await connection.fetch("SELECT id FROM options WHERE poll_id = $1", poll)]
    finally:
        await connection.close()
    rankings = [tuple(row["option_ids"]) for row in ballots]
    return instant_runoff(sorted(ids), rankings).as_dict(), borda(sorted(ids), rankings)


async def test_concurrent_rankings_and_changes_through_both_replicas_count_as_the_ballots(
    replicas, database_url
):
    options = ("North", "East", "South", "West", "Centre")
    code = (await create_poll(replicas[0].url, "Where to meet?", options, kind="ranking"))["code"]
    orders = [[1, 2, 3, 4, 5], [2, 1, 5, 4, 3], [3, 5, 1, 2, 4], [5, 4, 3, 2, 1], [2, 3, 4, 5, 1]]
    truth, pushed = await answered_through_both_replicas(
        replicas,
        code,
        100,
        lambda i: {"ranking": orders[i % 5]},
        lambda i: {"ranking": orders[(i + 2) % 5]},
        changes_every=4,
    )
    assert truth["voters"] == 100
    runoff, points = await count_from_ballots(database_url, code)
    assert truth["runoff"] == runoff
    assert {rank["option"]: rank["borda"] for rank in truth["ranks"]} == points
    assert pushed["runoff"] == truth["runoff"] and "rankings" not in pushed


def test_the_export_has_a_row_per_round_and_continuing_option(client):
    questions = [{"question": "Order", "options": ["a", "b", "c"], "kind": "ranking"}]
    _, created = client.post("/api/events", json={"title": "Export", "questions": questions})
    event = created.json
    code = event["questions"][0]["code"]
    client.put(f"/api/events/{event['code']}/live", json={"question": code}, headers=auth(event))
    for number, order in enumerate(([1, 2, 3], [2, 1, 3], [3, 1, 2])):
        assert rank_as(client, code, f"export-{number}", order).status == 200
    _, exported = client.get(f"/api/events/{event['code']}/export.json", headers=auth(event))
    rows = [(r["value"], r["option"], r["votes"]) for r in exported.json["rows"]]
    assert rows == [(1, "a", 1), (1, "b", 1), (1, "c", 1), (2, "a", 2), (2, "b", 1)]


def test_a_new_round_and_a_delete_of_a_ranking_undo_to_the_same_count(client):
    _, created = client.post(
        "/api/events",
        json={
            "title": "Undo",
            "questions": [{"question": "Order", "options": ["a", "b", "c"], "kind": "ranking"}],
        },
    )
    event = created.json
    code, base = event["questions"][0]["code"], f"/api/events/{event['code']}"
    client.put(f"{base}/live", json={"question": code}, headers=auth(event))
    for number, order in enumerate(([1, 2, 3], [2, 1, 3], [3, 2, 1], [2, 3, 1])):
        assert rank_as(client, code, f"undo-{number}", order).status == 200

    def tally() -> dict:
        _, response = client.get(f"/api/polls/{code}/results", headers=auth(event))
        return {key: response.json[key] for key in ("voters", "runoff", "ranks", "options")}

    before = tally()
    client.post(f"{base}/questions/{code}/reset", headers=auth(event))
    assert tally()["runoff"]["winner"] is None
    client.post(f"{base}/undo", headers=auth(event))
    assert tally() == before
    client.delete(f"{base}/questions/{code}", headers=auth(event))
    client.post(f"{base}/undo", headers=auth(event))
    assert tally() == before
