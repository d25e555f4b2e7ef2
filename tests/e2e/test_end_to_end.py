"""The whole system: votes through HAProxy on any replica; every screen on every replica shows the tally."""

from __future__ import annotations

import asyncio
import os
import random
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import asyncpg
import httpx
import pytest

from tests.e2e.clients import Screen, Voter, wait_until_shown

pytestmark = pytest.mark.e2e


async def database_tally(database_url: str, code: str) -> tuple[int, dict[int, int], dict[int, int]]:
    """Voters, the per-option counters, and the same counts recounted from the ballots."""
    connection = await asyncpg.connect(database_url)
    try:
        voters = await connection.fetchval(
            "SELECT count(*) FROM ballots b JOIN polls p ON p.id = b.poll_id WHERE p.code = $1", code
        )
        rows = await connection.fetch(
            """SELECT o.id, o.votes, count(b.voter) AS recount FROM options o JOIN polls p ON p.id = o.poll_id
               LEFT JOIN ballots b ON b.poll_id = p.id AND o.id = ANY (b.option_ids)
               WHERE p.code = $1 GROUP BY o.id, o.votes ORDER BY o.id""",
            code,
        )
    finally:
        await connection.close()
    return voters, {r["id"]: r["votes"] for r in rows}, {r["id"]: r["recount"] for r in rows}


@contextmanager
def stalling(pids: list[int], stall: float, turns: int) -> Iterator[None]:
    """Processes that stop answering (SIGSTOP) for `stall` seconds at a time, taking turns: while one runs,
    the others are stopped. Like replicas on a machine so busy that one probe of them may outlast its timeout,
    and in a pattern that defeats a single probe: whichever answered last is the one that stalls next."""
    done = threading.Event()

    def take_turns() -> None:
        try:
            for turn in range(turns):
                for i, pid in enumerate(pids):
                    os.kill(pid, signal.SIGCONT if i == turn % len(pids) else signal.SIGSTOP)
                if done.wait(stall):
                    return
        finally:
            for pid in pids:
                os.kill(pid, signal.SIGCONT)

    worker = threading.Thread(target=take_turns, daemon=True)
    worker.start()
    try:
        yield
    finally:
        done.set()
        worker.join()


def test_both_replicas_serve_through_haproxy(stack):
    stack.wait_haproxy_view({"web-1": "UP", "web-2": "UP"})
    seen = {httpx.get(f"{stack.url}/healthz").headers["X-Instance"] for _ in range(12)}
    assert seen == {"web-1", "web-2"}


def test_stack_up_again_changes_nothing(stack):
    pids = {name: stack.pid(name) for name in ("web-1", "web-2", "haproxy")}
    result = stack.run("up")
    assert "starting" not in result.stderr
    assert {name: stack.pid(name) for name in pids} == pids


def test_stack_up_waits_out_replicas_that_answer_slowly(stack):
    # Each stall is longer than one probe's timeout, so `up` passes only if it retries until a deadline.
    with stalling([stack.pid("web-1"), stack.pid("web-2")], stall=4.0, turns=5):
        result = stack.run("up")
    assert "up: 2 replicas behind HAProxy" in result.stderr
    stack.wait_haproxy_view({"web-1": "UP", "web-2": "UP"})


def test_stack_up_that_gives_up_says_what_it_saw(stack):
    env = {**stack.env, "POLLS_STACK_WAIT": "2"}
    with stalling([stack.pid("web-1"), stack.pid("haproxy")], stall=8.0, turns=1):
        result = stack.run("up", env=env, check=False)
    assert result.returncode != 0
    assert "HAProxy does not" in result.stderr and "gave up after" in result.stderr
    assert "last probe:" in result.stderr
    stack.wait_haproxy_view({"web-1": "UP", "web-2": "UP"})


def test_stack_status_shows_what_runs_and_what_haproxy_sees(stack):
    out = stack.run("status").stdout
    assert "haproxy    running" in out
    assert "web-1      running" in out and "web-2      running" in out
    assert out.count("HAProxy sees it UP") == 2


async def test_concurrent_votes_converge_on_every_screen_of_every_replica(stack, database_url):
    async with httpx.AsyncClient(base_url=stack.url, timeout=10) as http:
        created = (
            await http.post("/api/polls", json={"question": "Which?", "options": ["a", "b", "c", "d"]})
        ).json()
        code = created["code"]
        direct = [
            f"{stack.replica_url(n).replace('http', 'ws')}/api/polls/{code}/live" for n in ("web-1", "web-2")
        ]
        balanced = f"{stack.url.replace('http', 'ws')}/api/polls/{code}/live"
        screens = [Screen(url).start() for url in direct * 3 + [balanced] * 6]
        try:
            await wait_until_shown(screens, (await http.get(f"/api/polls/{code}/results")).json())
            rng = random.Random(7)
            voters = [Voter(http, code, f"room-{i:05d}") for i in range(300)]
            gate = asyncio.Semaphore(64)

            async def cast(voter: Voter) -> None:
                async with gate:
                    assert await voter.vote([rng.randint(1, 4)])

            await asyncio.gather(*(cast(v) for v in voters))
            final = (await http.get(f"/api/polls/{code}/results")).json()
            await wait_until_shown(screens, final)
        finally:
            for screen in screens:
                await screen.stop()
    voters_in_db, counters, recount = await database_tally(database_url, code)
    assert voters_in_db == final["voters"] == 300
    assert counters == recount == {o["id"]: o["votes"] for o in final["options"]}
    assert all(screen.went_back == 0 for screen in screens)
    assert all(v.failed_attempts == 0 for v in voters)
