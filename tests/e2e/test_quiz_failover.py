"""A quiz question survives a replica's death: 120 players answer through HAProxy while web-1 is killed with
SIGKILL mid-question. Every acknowledged answer is stored once, as given (a retry of a committed answer is
a retry, not a change), and the leaderboard every screen is sent equals the one recomputed from the stored
ballots: scores are derived from them, so the players who answered before the kill keep their points to
the point. The figures are written to tests/artifacts/quiz_failover.json."""

from __future__ import annotations

import asyncio
import json
import random

import httpx
import pytest
import websockets

from tests.e2e.clients import Voter
from tests.e2e.events import Presenter
from tests.e2e.test_failover import ballots_of
from tests.quiz_scores import recomputed_standings

pytestmark = pytest.mark.e2e

PLAYERS = 120
QUESTION = {
    "kind": "quiz",
    "question": "Failover quiz: which port does HAProxy listen on here?",
    "options": ["80", "3000", "8404", "5432"],
    "correct": [2],
    "time_limit": 60,
}


async def later(player: Voter, answer: list[int], delay: float) -> bool:
    await asyncio.sleep(delay)
    return await player.vote(answer)


async def test_killing_a_replica_mid_question_changes_no_score(stack, database_url, artifacts):
    await asyncio.to_thread(stack.wait_haproxy_view, {"web-1": "UP", "web-2": "UP"}, 30)
    rng = random.Random(7)
    async with httpx.AsyncClient(base_url=stack.url, timeout=5) as http:
        presenter = await Presenter.create(http, "Failover quiz", [QUESTION])
        question = presenter.questions[0]
        await presenter.go_live(question)
        await presenter.act(question, "open")
        players = [Voter(http, question, f"player-{i}") for i in range(PLAYERS)]
        answers = [[rng.choice([2, 2, 1, 3, 4])] for _ in players]
        half = PLAYERS // 2
        assert all(await asyncio.gather(*(p.vote(answers[i]) for i, p in enumerate(players[:half]))))
        before = {
            voter: points for voter, points, _ in await recomputed_standings(database_url, presenter.code)
        }
        web_1_killed = False
        try:
            # The second half answers over a second while web-1 is killed a fifth of the way in.
            voting = asyncio.gather(
                *(later(p, answers[half + i], rng.random()) for i, p in enumerate(players[half:]))
            )
            await asyncio.sleep(0.2)
            await asyncio.to_thread(stack.run, "kill", "web-1")
            web_1_killed = True
            answered = await voting
            await presenter.act(question, "close")
            revealed = await presenter.act(question, "reveal")
        finally:
            if web_1_killed:
                await asyncio.to_thread(stack.run, "start", "web-1")
                await asyncio.to_thread(stack.wait_haproxy, "web-1", "UP", 30)
    assert all(answered), [p.errors[-3:] for p in players if p.acked is None]

    stored = await ballots_of(database_url, question)
    assert stored == {p.voter: p.acked for p in players}  # every acknowledged answer, once, as given
    expected = await recomputed_standings(database_url, presenter.code)
    after = {voter: points for voter, points, _ in expected}
    assert {voter: after[voter] for voter in before} == before  # no score moved by the kill
    async with websockets.connect(
        f"{stack.url.replace('http', 'ws', 1)}/api/events/{presenter.code}/live"
    ) as screen:
        async with asyncio.timeout(10):
            while (message := json.loads(await screen.recv()))["event_version"] < revealed["version"]:
                pass
    board = message["leaderboard"]
    assert board["players"] == PLAYERS
    assert [(s["points"], s["time_ms"]) for s in board["top"]] == [(p, t) for _, p, t in expected[:10]]
    figures = {
        "players": PLAYERS,
        "answers_retried_after_the_kill": sum(p.failed_attempts for p in players),
        "players_with_an_error_on_the_way": sum(1 for p in players if p.errors),
        "right": sum(1 for p in players if p.acked == QUESTION["correct"]),
    }
    (artifacts / "quiz_failover.json").write_text(json.dumps(figures, indent=2) + "\n")
