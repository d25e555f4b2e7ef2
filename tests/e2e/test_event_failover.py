"""The failover test, for an event: a replica is killed with SIGKILL while phones vote on the live question
and the presenter switches to the next one; nothing is lost and every screen follows.

Screens watch the event's JSON socket through HAProxy; phones vote steadily on whatever question is live.
Right after web-1 is killed (before HAProxy has noticed), the presenter puts the next question live
through the API, and the phones go on voting on it. Then the presenter closes that question (its results
are shown only after voting closes), and runs a third one to the end. At each step every screen must show
the live question and its results (or none while they are hidden); the versions never go back on a
connection; every acknowledged vote is in the database exactly once; no phone is left with an error.
The figures measured are written to tests/artifacts/event_failover.json.
"""

from __future__ import annotations

import asyncio
import json
import random
import time
from dataclasses import dataclass, field

import httpx
import pytest

from tests.e2e.clients import Voter
from tests.e2e.events import EventScreen, Presenter, wait_until_screens_show
from tests.e2e.test_end_to_end import database_tally
from tests.e2e.test_failover import ballots_of

pytestmark = pytest.mark.e2e

SCREENS = 12
PHONES = 16
VOTERS_PER_PHONE = 15  # 240 people in the room
BALLOTS_AROUND_THE_KILL = 600
KILL_AFTER = 200
BALLOTS_ON_QUESTION_3 = 300
QUESTIONS = [
    {"question": "Failover: which region first?", "options": ["eu", "us", "ap"], "visibility": "always"},
    {
        "question": "Failover: ship on Friday?",
        "options": ["yes", "no", "only with a rollback plan"],
        "visibility": "after_close",
    },
    {
        "question": "Failover: which two dashboards?",
        "options": ["latency", "errors", "saturation", "traffic"],
        "kind": "multiple",
        "max_choices": 2,
        "visibility": "always",
    },
]


@dataclass
class Room:
    """Phones voting steadily on whatever question is live, as far as the room knows."""

    http: httpx.AsyncClient
    live: str
    rng: random.Random
    options: dict[str, int]  # question code -> number of options
    choices: dict[str, int]  # question code -> max choices
    voters: dict[str, dict[str, Voter]] = field(default_factory=dict)  # question -> voter id -> Voter
    cast: int = 0
    given_up: int = 0  # votes that still failed after the phone's retries
    cast_per_question: dict[str, int] = field(default_factory=dict)

    async def vote_steadily(self, ballots: int) -> None:
        """Cast this many ballots from all phones at once; each person votes from one phone only, so
        their ballots of a question are sent one after the other and the last acknowledged one counts."""
        goal = self.cast + ballots
        await asyncio.gather(*(self._phone(n, goal) for n in range(PHONES)))

    async def _phone(self, number: int, goal: int) -> None:
        while self.cast < goal:
            self.cast += 1
            question = self.live
            person = f"phone{number:02d}-person{self.rng.randrange(VOTERS_PER_PHONE):02d}"
            voters = self.voters.setdefault(question, {})
            voter = voters.setdefault(person, Voter(self.http, question, person))
            picked = self.rng.sample(
                range(1, self.options[question] + 1), self.rng.randint(1, self.choices[question])
            )
            self.cast_per_question[question] = self.cast_per_question.get(question, 0) + 1
            if not await voter.vote(sorted(picked)):
                self.given_up += 1
            await asyncio.sleep(0.01)

    def all_voters(self) -> list[Voter]:
        return [voter for voters in self.voters.values() for voter in voters.values()]


async def test_killing_a_replica_while_the_presenter_switches_questions_loses_nothing(
    stack, database_url, artifacts
):
    # Both replicas take websockets before the screens connect, so that the kill drops some of them.
    await asyncio.to_thread(stack.wait_haproxy_view, {"web-1": "UP", "web-2": "UP"}, 30)
    async with httpx.AsyncClient(base_url=stack.url, timeout=5) as http:
        presenter = await Presenter.create(http, "Failover drill", QUESTIONS)
        first, second, third = presenter.questions
        await presenter.go_live(first)
        screens = [
            EventScreen(f"{stack.url.replace('http', 'ws')}/api/events/{presenter.code}/live").start()
            for _ in range(SCREENS)
        ]
        web_1_killed = False
        try:
            await wait_until_screens_show(screens, first, await presenter.results(first), answers=0)
            questions = (await presenter.event())["questions"]
            room = Room(
                http,
                first,
                random.Random(23),
                {q["code"]: len(q["options"]) for q in questions},
                {q["code"]: q["max_choices"] for q in questions},
            )

            # Phones vote on question 1; web-1 is killed and, at once, the presenter goes to question 2.
            voting_started = time.monotonic()
            voting = asyncio.create_task(room.vote_steadily(BALLOTS_AROUND_THE_KILL))
            while room.cast < KILL_AFTER and not voting.done():
                await asyncio.sleep(0.005)
            killed_at, cast_at_kill = time.monotonic(), room.cast
            await asyncio.to_thread(stack.run, "kill", "web-1")
            web_1_killed = True
            haproxy_noticed = asyncio.create_task(asyncio.to_thread(stack.wait_haproxy, "web-1", "DOWN"))
            switch_started = time.monotonic()
            await presenter.go_live(second)
            switch_answered = time.monotonic() - switch_started
            switch_served_by = presenter.served_by
            room.live = second
            cast_at_switch = room.cast
            seconds_to_down = await haproxy_noticed
            switched_everywhere = await wait_until_screens_show(screens, second, None) + switch_answered
            await voting
            seconds_voting_around_the_kill = time.monotonic() - voting_started
            cast_after_switch = room.cast - cast_at_switch

            # Question 2 shows its results only after voting closes: until then only the number of answers.
            hidden = await presenter.results(second)
            await wait_until_screens_show(screens, second, None, answers=hidden["voters"])
            await presenter.act(second, "close")
            await wait_until_screens_show(screens, second, await presenter.results(second))

            # Question 3 runs to the end with web-1 still dead.
            await presenter.go_live(third)
            room.live = third
            voting_started = time.monotonic()
            await room.vote_steadily(BALLOTS_ON_QUESTION_3)
            seconds_voting_after = time.monotonic() - voting_started
            live = (await presenter.event())["live"]["code"]
            final = await presenter.results(live)
            await wait_until_screens_show(screens, live, final, answers=final["voters"])
            dropped = [s for s in screens if any(t >= killed_at for t in s.drops)]
            recovered = [s.reconnected_at - killed_at for s in screens if s.reconnected_at is not None]
        finally:
            for screen in screens:
                await screen.stop()
            if web_1_killed:
                await asyncio.to_thread(stack.run, "start", "web-1")
                await asyncio.to_thread(stack.wait_haproxy, "web-1", "UP", 30)

        truth = {question: await presenter.results(question) for question in presenter.questions}

    voters = room.all_voters()
    stored = {question: await ballots_of(database_url, question) for question in presenter.questions}
    tallies = {question: await database_tally(database_url, question) for question in presenter.questions}
    acknowledged = {
        question: {voter.voter: voter.acked for voter in room.voters.get(question, {}).values()}
        for question in presenter.questions
    }
    figures = {
        "screens": SCREENS,
        "phones": PHONES,
        "ballots_cast": room.cast,
        "ballots_per_question": [room.cast_per_question.get(q, 0) for q in presenter.questions],
        "voters_per_question": [truth[q]["voters"] for q in presenter.questions],
        "ballots_cast_before_the_kill": cast_at_kill,
        "seconds_of_voting_around_the_kill": round(seconds_voting_around_the_kill, 3),
        "seconds_of_voting_on_question_3": round(seconds_voting_after, 3),
        "seconds_until_haproxy_marked_down": round(seconds_to_down, 3),
        "seconds_for_the_switch_request_during_the_kill": round(switch_answered, 3),
        "switch_answered_by": switch_served_by,
        "seconds_until_every_screen_showed_the_new_question": round(switched_everywhere, 3),
        "ballots_cast_on_the_new_question_after_the_switch": cast_after_switch,
        "screens_dropped_by_the_kill": len(dropped),
        "screens_reconnected": len(recovered),
        "seconds_until_last_screen_reconnected": round(max(recovered), 3) if recovered else None,
        "presenter_requests_failed_then_retried": presenter.failed_attempts,
        "presenter_errors_seen": sorted(set(presenter.errors)),
        "vote_requests_failed_then_retried": sum(v.failed_attempts for v in voters),
        "vote_errors_seen": sorted({e for v in voters for e in v.errors}),
        "votes_given_up_after_retries": room.given_up,
        "votes_lost": sum(
            1
            for q in presenter.questions
            for voter_id, acked in acknowledged[q].items()
            if stored[q].get(voter_id) != acked
        ),
        "votes_double_counted": sum(
            sum(counters.values()) - sum(recount.values()) for _, counters, recount in tallies.values()
        ),
        "versions_gone_back": sum(s.went_back for s in screens),
        "screens_showing_the_final_question_and_results": sum(
            s.shows_event(live, final, final["voters"]) for s in screens
        ),
    }
    (artifacts / "event_failover.json").write_text(json.dumps(figures, indent=2))
    print("\nevent failover:", json.dumps(figures, indent=2))

    assert live == third
    assert switch_served_by == "web-2"
    assert figures["votes_given_up_after_retries"] == 0, figures["vote_errors_seen"]
    assert figures["votes_lost"] == 0 and figures["votes_double_counted"] == 0
    for question in presenter.questions:
        voters_in_db, counters, recount = tallies[question]
        assert stored[question] == acknowledged[question]
        assert voters_in_db == truth[question]["voters"] == len(acknowledged[question])
        assert counters == recount == {o["id"]: o["votes"] for o in truth[question]["options"]}
    assert figures["ballots_cast_on_the_new_question_after_the_switch"] > 0
    assert 0 < figures["screens_dropped_by_the_kill"] <= figures["screens_reconnected"]
    assert figures["versions_gone_back"] == 0
    assert figures["screens_showing_the_final_question_and_results"] == SCREENS
