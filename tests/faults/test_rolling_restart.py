"""Every replica restarted in turn with SIGTERM while a room votes: no phone sees an error.

`scripts/stack restart web-N` sends SIGTERM: the replica fails /healthz while it still serves
(POLLS_DRAIN_SECONDS), HAProxy takes it out of rotation and moves its screens, then it stops gracefully and
starts again. The phones never retry, so a single error anywhere in that sequence fails the test.
"""

from __future__ import annotations

import asyncio
import time

import pytest

from tests.api_client import create_poll, results
from tests.e2e.clients import wait_until_shown
from tests.e2e.test_end_to_end import database_tally
from tests.e2e.test_failover import ballots_of
from tests.faults.load import (
    Phones,
    record_figures,
    stop_screens,
    wait_until,
    watching_screens,
)

pytestmark = pytest.mark.e2e

RATE = 60
SCREENS = 12
REPLICAS = ("web-1", "web-2")


async def test_a_rolling_sigterm_restart_of_every_replica_gives_no_client_an_error(
    stack, database_url, artifacts
):
    code = (await create_poll(stack.url, "Rolling?"))["code"]
    screens = await watching_screens(stack, code, SCREENS)
    phones = Phones(stack.url, code, rate=RATE, limit=RATE * 120, seconds=120, prefix="rolling").start()
    await wait_until(lambda: len(phones.acknowledged) >= RATE, 20, "votes acknowledged before the restarts")

    restarts: dict[str, float] = {}
    old_pids = {name: stack.pid(name) for name in REPLICAS}
    for name in REPLICAS:
        start = time.monotonic()
        await asyncio.to_thread(stack.run, "restart", name)
        restarts[name] = round(time.monotonic() - start, 3)
    ballots_while_restarting = len(phones.attempts)
    await asyncio.sleep(1.0)  # the room votes on for a moment on the restarted replicas, then stops
    phones.stop()
    await phones.finish()

    final = await results(stack.url, code)
    converged = await wait_until_shown(screens, final, within=20)
    await stop_screens(screens)
    stored = await ballots_of(database_url, code)
    voters_in_db, counters, recount = await database_tally(database_url, code)
    acknowledged = phones.acknowledged
    figures = {
        "replicas_restarted": len(REPLICAS),
        "seconds_per_restart": restarts,
        "ballots_sent": len(phones.attempts),
        "ballots_sent_until_the_last_restart_was_done": ballots_while_restarting,
        "ballots_per_second": phones.rate_achieved(),
        "outcomes": phones.outcomes,
        "client_visible_errors": len(phones.errors),
        "screens": SCREENS,
        "screen_reconnections": sum(screen.connections - 1 for screen in screens),
        "seconds_until_every_screen_showed_the_final_tally": round(converged, 3),
        "ballots_acknowledged": len(acknowledged),
        "acknowledged_ballots_lost": sum(1 for v, chosen in acknowledged.items() if stored.get(v) != chosen),
        "votes_double_counted": sum(counters.values()) - sum(recount.values()),
    }
    record_figures(artifacts, "rolling_restart", figures)

    assert all(stack.pid(name) != old_pids[name] for name in REPLICAS), "a replica was not restarted"
    assert phones.errors == [], [vars(a) for a in phones.errors[:5]]
    assert figures["screen_reconnections"] >= SCREENS, "every screen moves at least once"
    assert figures["acknowledged_ballots_lost"] == 0 and figures["votes_double_counted"] == 0
    assert voters_in_db == len(acknowledged) == final["voters"]
    assert counters == recount == {o["id"]: o["votes"] for o in final["options"]}
    assert all(screen.went_back == 0 for screen in screens)
