"""Quiz: a question of an event with correct options and a time limit, started by the presenter on the
database's clock. Its points follow Kahoot's rule, computed by PostgreSQL from the stored ballots; an answer
is final once locked in, a late one is refused; the correct options reach no audience before the reveal;
players have nicknames (unique per event, filtered, escaped) or animal names; and 200 players answering
through both replicas get the scores and leaderboard that their ballots say."""

from __future__ import annotations

import asyncio
import json
import random
from datetime import timedelta
from typing import Any

import httpx
import pytest
import websockets

from polls.domain import Ballot
from polls.errors import AnswerLate
from polls.event import parse_new_event
from polls.quiz import animal_name
from polls.store import Database, EventStore, PollStore
from tests.api_client import admin, create_event
from tests.integration.events import auth, new_event
from tests.quiz_scores import recomputed_standings
from tests.voters import named_voter, new_voter

CAPITALS = {"question": "The capital of Australia?", "options": ["Sydney", "Canberra", "Melbourne", "Perth"]}
QUIZ = {"kind": "quiz", **CAPITALS, "correct": [2], "time_limit": 20}


def act(client, event: dict, question: str, action: str) -> Any:
    _, response = client.post(
        f"/api/events/{event['code']}/questions/{question}/{action}", headers=auth(event)
    )
    return response


def go_live(client, event: dict, question: str) -> None:
    _, response = client.put(
        f"/api/events/{event['code']}/live", json={"question": question}, headers=auth(event)
    )
    assert response.status == 200, response.text


def answer(client, question: str, voter: str, *options: int) -> Any:
    body = {"voter": named_voter(client, voter), "options": list(options)}
    _, response = client.post(f"/api/polls/{question}/votes", json=body)
    return response


def play_and_reveal(client, event: dict, question: str, voter: str, option: int) -> None:
    """The question live and started, one player's answer, then closed and revealed, as a presenter does."""
    go_live(client, event, question)
    act(client, event, question, "open")
    answer(client, question, voter, option)
    act(client, event, question, "close")
    act(client, event, question, "reveal")


@pytest.mark.parametrize(
    ("right", "seconds", "limit", "points"),
    [
        (True, 0, 20, 1000),  # at once
        (True, 10, 20, 750),  # halfway
        (True, 20, 20, 500),  # at the limit
        (True, 25, 20, 500),  # after it (a commit a moment late): never below 500
        (True, -0.5, 20, 1000),  # a clock a moment behind: never above 1,000
        (True, 5, 120, 979),  # round(1000 * (1 - 5 / 120 / 2))
        (True, 0.123, 5, 988),
        (False, 1, 20, 0),  # wrong: nothing, however fast
    ],
)
async def test_points_follow_kahoots_rule(database: Database, right, seconds, limit, points):
    elapsed = timedelta(seconds=seconds)
    assert await database.pool.fetchval("SELECT quiz_points($1, $2, $3)", right, elapsed, limit) == points


def test_a_quiz_question_belongs_to_an_event(client):
    _, response = client.post("/api/polls", json=QUIZ)
    assert response.status == 422
    assert response.json["code"] == "kind_event_only"
    event = new_event(client, "Pub quiz", [QUIZ])
    assert event["questions"][0]["kind"] == "quiz"
    assert event["questions"][0]["settings"] == {"correct": [2], "time_limit": 20}


@pytest.mark.parametrize(
    ("settings", "code"),
    [
        ({"correct": []}, "correct_invalid"),
        ({"correct": [5]}, "correct_invalid"),  # there are four options
        ({"correct": [2, 2]}, "correct_invalid"),
        ({"correct": "2"}, "correct_invalid"),
        ({"correct": [True]}, "correct_invalid"),
        ({"correct": [2], "time_limit": 4}, "time_limit_invalid"),
        ({"correct": [2], "time_limit": 121}, "time_limit_invalid"),
        ({"correct": [2], "time_limit": 20.5}, "time_limit_invalid"),
    ],
)
def test_a_quiz_question_needs_correct_options_and_a_time_limit(client, settings, code):
    body = {"kind": "quiz", **CAPITALS, **settings}
    _, response = client.post("/api/events", json={"title": "Pub quiz", "questions": [body]})
    assert response.status == 422, response.text
    assert response.json["code"] == code


def test_a_quiz_question_waits_for_its_start_and_then_runs_on_its_clock(client):
    event = new_event(client, "Pub quiz", [QUIZ])
    question = event["questions"][0]["code"]
    go_live(client, event, question)
    assert answer(client, question, "early", 2).status == 409  # live, not started: closed
    response = act(client, event, question, "open")  # a quiz question opens by starting
    assert response.status == 200, response.text
    live = response.json["live"]
    assert live["status"] == "open" and live["revealed"] is False and live["closes_at"] is not None
    _, countdown = client.post(
        f"/api/events/{event['code']}/questions/{question}/countdown",
        json={"seconds": 30},
        headers=auth(event),
    )
    assert countdown.status == 422 and countdown.json["code"] == "countdown_not_for_quiz"
    assert answer(client, question, "ann", 2).status == 200
    again = act(client, event, question, "open")
    assert again.status == 409 and again.json["code"] == "quiz_answered"  # its scores count from one start


def test_an_answer_is_locked_in_and_a_retry_is_not_a_change(client):
    event = new_event(client, "Pub quiz", [QUIZ])
    question = event["questions"][0]["code"]
    go_live(client, event, question)
    act(client, event, question, "open")
    assert answer(client, question, "ann", 3).status == 200
    assert answer(client, question, "ann", 3).status == 200  # the same answer again: a retry
    changed = answer(client, question, "ann", 2)
    assert changed.status == 409
    assert changed.json["code"] == "answer_final"
    _, results = client.get(f"/api/polls/{question}/results", headers=auth(event))
    assert results.json["voters"] == 1
    assert {o["id"]: o["votes"] for o in results.json["options"]} == {1: 0, 2: 0, 3: 1, 4: 0}


async def started_quiz_question(database: Database, started: str, closes: str) -> str:
    """A quiz question of a new event, started and closing at these times (SQL expressions); its code."""
    event = await EventStore(database).create_event(
        "hash", parse_new_event({"title": "Quiz", "questions": [QUIZ]})
    )
    return str(
        await database.pool.fetchval(
            f"""UPDATE polls SET status = 'open', started_at = {started}, closes_at = {closes}
                WHERE event_id = (SELECT id FROM events WHERE code = $1) RETURNING code""",
            event,
        )
    )


async def test_a_late_answer_is_refused_even_before_the_question_is_marked_closed(
    store: PollStore, database: Database
):
    question = await started_quiz_question(
        database, "now() - interval '21 seconds'", "now() - interval '1 second'"
    )
    with pytest.raises(AnswerLate):
        await store.cast_ballots(question, [Ballot("voter-late", (2,), final=True)])


async def test_concurrent_different_answers_of_one_voter_keep_the_first(store: PollStore, database: Database):
    question = await started_quiz_question(database, "now()", "now() + interval '20 seconds'")
    first = await store.cast_ballots(question, [Ballot("voter-twice", (3,), final=True)])
    assert first.refused == frozenset()
    second = await store.cast_ballots(
        question, [Ballot("voter-twice", (1,), final=True), Ballot("voter-other", (2,), final=True)]
    )
    assert second.refused == {"voter-twice"}
    assert second.results.voters == 2
    assert {o.id: o.votes for o in second.results.options} == {1: 0, 2: 1, 3: 1, 4: 0}


def sealed_everywhere_but_the_presenters(client, event: dict, question: str) -> None:
    """The correct option is in no audience channel: the event's public JSON, the participant's page and
    the projection; the presenter's API has it."""
    _, public = client.get(f"/api/events/{event['code']}")
    assert "correct" not in public.json["live"]["settings"]
    _, presenter = client.get(f"/api/events/{event['code']}", headers=auth(event))
    assert presenter.json["live"]["settings"]["correct"] == [2]
    for page in (f"/e/{event['code']}", f"/e/{event['code']}/present"):
        _, response = client.get(page)
        assert "bar correct" not in response.text and "were right" not in response.text, page


def test_the_correct_answer_reaches_the_audience_only_after_closing_and_the_reveal(client):
    event = new_event(client, "Pub quiz", [QUIZ])
    question = event["questions"][0]["code"]
    go_live(client, event, question)
    sealed_everywhere_but_the_presenters(client, event, question)  # live, before its start
    act(client, event, question, "open")
    answer(client, question, "ann", 2)
    answer(client, question, "bob", 1)
    sealed_everywhere_but_the_presenters(client, event, question)
    act(client, event, question, "reveal")  # revealed while still open: its tally would tell the answer
    sealed_everywhere_but_the_presenters(client, event, question)
    act(client, event, question, "close")
    _, projection = client.get(f"/e/{event['code']}/present")
    assert 'class="bar correct"' in projection.text
    assert "1</strong> of 2 answers were right" in projection.text
    assert "Leaderboard" in projection.text


def test_a_presenter_only_quiz_question_shows_its_leaderboard_to_no_audience(client):
    event = new_event(client, "Pub quiz", [{**QUIZ, "visibility": "presenter"}])
    question = event["questions"][0]["code"]
    play_and_reveal(client, event, question, "ann", 2)
    for page in (f"/e/{event['code']}", f"/e/{event['code']}/present"):
        _, response = client.get(page)
        assert "Leaderboard" not in response.text and "bar correct" not in response.text, page
    act(client, event, question, "hide")
    _, ended = client.post(f"/api/events/{event['code']}/end", headers=auth(event))
    assert ended.status == 200
    _, projection = client.get(f"/e/{event['code']}/present")
    assert "Final standings" in projection.text  # the podium at the end is the event's, not the question's


def test_nicknames_are_unique_per_event_filtered_and_escaped(client):
    event = new_event(client, "Pub quiz", [QUIZ])
    code = event["code"]

    def name(voter: str, nickname: Any) -> Any:
        body = {"voter": named_voter(client, voter), "nickname": nickname}
        _, response = client.put(f"/api/events/{code}/nickname", json=body)
        return response

    assert name("ann", "<b>Quizzy</b>").status == 200
    taken = name("bob", "<B>QUIZZY</B>")
    assert taken.status == 409 and taken.json["code"] == "nickname_taken"
    assert name("bob", "x" * 25).json["code"] == "text_too_long"
    assert name("bob", "   ").json["code"] == "text_empty"
    assert name("bob", "shit happens").json["code"] == "nickname_refused"
    assert name("ann", "Quizzy Two").status == 200  # a player may rename
    assert name("bob", "<b>Quizzy</b>").status == 200  # ann's old one is free again
    other = new_event(client, "Another quiz", [QUIZ])
    body = {"voter": named_voter(client, "carl"), "nickname": "Quizzy Two"}
    assert client.put(f"/api/events/{other['code']}/nickname", json=body)[1].status == 200  # per event
    question = event["questions"][0]["code"]
    play_and_reveal(client, event, question, "bob", 2)
    _, projection = client.get(f"/e/{code}/present")
    assert "&lt;b&gt;Quizzy&lt;/b&gt;" in projection.text
    assert "<b>Quizzy</b>" not in projection.text


# --- 200 players through both replicas -------------------------------------------------------------


async def test_200_players_through_both_replicas_score_as_their_ballots_say(replicas, database_url: str):
    one, two = replicas
    questions = [
        {**QUIZ, "question": f"Question {n}?", "correct": [n % 4 + 1], "time_limit": 30} for n in range(3)
    ]
    event = await create_event(one.url, "Pub quiz", questions)
    codes = [q["code"] for q in event["questions"]]
    random.seed(12)
    async with httpx.AsyncClient(base_url=one.url) as a, httpx.AsyncClient(base_url=two.url) as b:
        players = [await new_voter((a, b)[i % 2]) for i in range(200)]
        for i, voter in enumerate(players[:40]):  # some players name themselves
            response = await (a, b)[i % 2].put(
                f"/api/events/{event['code']}/nickname", json={"voter": voter, "nickname": f"Player {i}"}
            )
            assert response.status_code == 200, response.text
        nicknames = {voter: f"Player {i}" for i, voter in enumerate(players[:40])}

        async def play(http: httpx.AsyncClient, voter: str, code: str, option: int) -> None:
            await asyncio.sleep(random.random() * 0.5)  # answers spread over half a second
            response = await http.post(f"/api/polls/{code}/votes", json={"voter": voter, "options": [option]})
            assert response.status_code == 200, response.text

        async with websockets.connect(f"{two.ws_url}/api/events/{event['code']}/live") as screen:
            for code in codes:
                await admin(one.url, event, "PUT", "/live", {"question": code})
                await admin(one.url, event, "POST", f"/questions/{code}/open")
                await asyncio.gather(
                    *(
                        play((a, b)[i % 2], voter, code, random.randint(1, 4))
                        for i, voter in enumerate(players)
                        if i % 10  # one in ten does not answer this question
                    )
                )
                await admin(one.url, event, "POST", f"/questions/{code}/close")
                revealed = await admin(one.url, event, "POST", f"/questions/{code}/reveal")
            expected = await recomputed_standings(database_url, event["code"])
            async with asyncio.timeout(10):  # the leaderboard as the other replica's screen was sent it
                while (message := json.loads(await screen.recv()))["event_version"] < revealed["version"]:
                    pass
    board = message["leaderboard"]
    assert board["players"] == len(expected) == 200 - 20  # 1 in 10 skips each; players 0, 10, ... all
    top = expected[:10]
    assert [(s["points"], s["time_ms"]) for s in board["top"]] == [(p, t) for _, p, t in top]
    # Players alike in points and time (answers in the same commits) share a rank, in any order.
    for s in board["top"]:
        alike = [v for v, p, t in expected if (p, t) == (s["points"], s["time_ms"])]
        assert s["name"] in {nicknames.get(v) or animal_name(v) for v in alike}
        assert s["rank"] == 1 + sum(1 for _, p, t in expected if (p, -t) > (s["points"], -s["time_ms"]))
    # Each phone's own place, as it reads it: rank by the same order (ties by time share a rank).
    for voter in (players[1], players[57], players[199]):
        async with httpx.AsyncClient(base_url=two.url, cookies={"polls_voter": voter}) as phone:
            page = await phone.get(f"/e/{event['code']}/me")
        mine = next(entry for entry in expected if entry[0] == voter)
        rank = 1 + sum(1 for _, p, t in expected if (p, -t) > (mine[1], -mine[2]))
        assert f"place {rank} of 180, {mine[1]:,} points" in page.text
