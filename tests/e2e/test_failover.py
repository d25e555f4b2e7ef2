"""A replica is killed with SIGKILL in the middle of voting, and nothing is lost.

Every acknowledged vote is in the database exactly once, the voters' requests got no errors (or only errors
they then retried successfully), and every screen reconnected by itself and shows the final tally.
The figures measured are written to tests/artifacts/failover.json and quoted in the README.
"""

from __future__ import annotations

import asyncio
import json
import random
import time

import asyncpg
import httpx
import pytest

from tests.e2e.clients import Screen, Voter, wait_until_shown
from tests.e2e.test_end_to_end import database_tally

pytestmark = pytest.mark.e2e

VOTERS = 600
SCREENS = 24
CONCURRENCY = 24


async def ballots_of(database_url: str, code: str) -> dict[str, list[int]]:
    connection = await asyncpg.connect(database_url)
    try:
        rows = await connection.fetch(
            "SELECT b.voter, b.option_ids FROM ballots b JOIN polls p ON p.id = b.poll_id WHERE p.code = $1",
            code,
        )
    finally:
        await connection.close()
    return {row["voter"]: list(row["option_ids"]) for row in rows}


async def test_killing_a_replica_mid_vote_loses_nothing_and_every_screen_recovers(
    stack, database_url, artifacts
):
    rng = random.Random(11)
    # Both replicas take websockets before the screens connect (after an earlier test restarted one, it may
    # be UP for requests and not yet for websockets).
    await asyncio.to_thread(stack.wait_haproxy_view, {"web-1": "UP", "web-2": "UP"}, 30)
    async with httpx.AsyncClient(base_url=stack.url, timeout=5) as http:
        code = (
            await http.post("/api/polls", json={"question": "Failover?", "options": ["a", "b", "c"]})
        ).json()["code"]
        screens = [
            Screen(f"{stack.url.replace('http', 'ws')}/api/polls/{code}/live").start() for _ in range(SCREENS)
        ]
        await wait_until_shown(screens, (await http.get(f"/api/polls/{code}/results")).json())
        per_replica = {
            n: (await http.get(f"{stack.replica_url(n)}/healthz")).json()["watchers"]
            for n in ("web-1", "web-2")
        }
        assert all(count > 0 for count in per_replica.values()), per_replica

        voters = [Voter(http, code, f"steady-{i:05d}") for i in range(VOTERS)]
        queue: asyncio.Queue[Voter] = asyncio.Queue()
        for voter in voters:
            queue.put_nowait(voter)
        # A third of the room changes its mind later: their second ballot must replace the first.
        for voter in voters[: VOTERS // 3]:
            queue.put_nowait(voter)
        done = 0

        async def phone() -> None:
            nonlocal done
            while not queue.empty():
                voter = queue.get_nowait()
                await voter.vote([rng.randint(1, 3)])
                done += 1
                await asyncio.sleep(0.01)

        phones = [asyncio.create_task(phone()) for _ in range(CONCURRENCY)]
        while done < VOTERS // 3:
            await asyncio.sleep(0.01)
        killed_at, done_at_kill = time.monotonic(), done
        stack.run("kill", "web-1")
        seconds_to_down = await asyncio.to_thread(stack.wait_haproxy, "web-1", "DOWN")
        await asyncio.gather(*phones)

        final = (await http.get(f"/api/polls/{code}/results")).json()
        await wait_until_shown(screens, final, within=20)
        recovered = [s.reconnected_at - killed_at for s in screens if s.reconnected_at is not None]
        for screen in screens:
            await screen.stop()

    unacknowledged = [v.voter for v in voters if v.acked is None]
    stored = await ballots_of(database_url, code)
    voters_in_db, counters, recount = await database_tally(database_url, code)
    figures = {
        "voters": VOTERS,
        "ballots_cast": VOTERS + VOTERS // 3,
        "screens": SCREENS,
        "screens_on_killed_replica": per_replica["web-1"],
        "seconds_until_haproxy_marked_down": round(seconds_to_down, 3),
        "screens_reconnected": len(recovered),
        "seconds_until_last_screen_reconnected": round(max(recovered), 3) if recovered else None,
        "vote_requests_failed_then_retried": sum(v.failed_attempts for v in voters),
        "vote_errors_seen": sorted({e for v in voters for e in v.errors}),
        "votes_unacknowledged": len(unacknowledged),
        "votes_lost": sum(1 for v in voters if v.acked is not None and stored.get(v.voter) != v.acked),
        # The counters against a recount of the ballots: a vote counted twice shows as a difference.
        "votes_double_counted": sum(counters.values()) - sum(recount.values()),
        "ballots_cast_after_the_kill": done - done_at_kill,
    }
    (artifacts / "failover.json").write_text(json.dumps(figures, indent=2))
    print("\nfailover:", json.dumps(figures, indent=2))

    assert unacknowledged == []
    assert figures["votes_lost"] == 0 and figures["votes_double_counted"] == 0
    assert stored == {v.voter: v.acked for v in voters}
    assert voters_in_db == final["voters"] == VOTERS
    assert counters == recount == {o["id"]: o["votes"] for o in final["options"]}
    assert figures["screens_reconnected"] >= per_replica["web-1"]
    assert all(screen.went_back == 0 for screen in screens)

    stack.run("start", "web-1")
    await asyncio.to_thread(stack.wait_haproxy, "web-1", "UP")
