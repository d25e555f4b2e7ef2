"""HAProxy reloaded while a room votes and watches: no phone sees an error, no screen is cut.

`scripts/stack reload` starts a new HAProxy that takes the listening sockets over from the running one and
tells it to finish: the old process serves what it holds (open requests, websocket tunnels) and exits when
they are done. The pid file names the new process at once.
"""

from __future__ import annotations

import asyncio
import os
import re
import time

import httpx
import pytest

from tests.api_client import create_poll, results
from tests.e2e.clients import wait_until_shown
from tests.e2e.test_end_to_end import database_tally
from tests.e2e.test_failover import ballots_of
from tests.faults.load import (
    Phones,
    record_figures,
    seconds_until,
    stop_screens,
    wait_until,
    watching_screens,
)

pytestmark = pytest.mark.e2e

RATE = 60
SCREENS = 12
RELOADS = 3


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def stats_pid(stats_url: str) -> int | None:
    """The pid of the HAProxy that serves the stats page."""
    try:
        page = httpx.get(stats_url, timeout=3).text
    except httpx.HTTPError:
        return None
    found = re.search(r"Statistics Report for pid (\d+)", page)
    return int(found.group(1)) if found else None


async def test_reloading_haproxy_while_voting_gives_no_client_an_error(stack, database_url, artifacts):
    code = (await create_poll(stack.url, "Reload?"))["code"]
    screens = await watching_screens(stack, code, SCREENS)
    phones = Phones(stack.url, code, rate=RATE, limit=RATE * 120, seconds=120, prefix="reload").start()
    await wait_until(lambda: len(phones.acknowledged) >= RATE, 20, "votes acknowledged before the reloads")

    replaced: list[int] = []
    reload_seconds = []
    for _ in range(RELOADS):
        old = stack.pid("haproxy")
        start = time.monotonic()
        await asyncio.to_thread(stack.run, "reload")
        reload_seconds.append(round(time.monotonic() - start, 3))
        new = stack.pid("haproxy")
        assert new != old and alive(new)
        await wait_until(lambda n=new: stats_pid(stack.stats_url) == n, 10, "the new HAProxy serves")
        replaced.append(old)
        ballots = len(phones.acknowledged)
        await wait_until(lambda b=ballots: len(phones.acknowledged) >= b + RATE, 20, "votes after the reload")
    phones.stop()
    await phones.finish()

    final = await results(stack.url, code)
    converged = await wait_until_shown(screens, final, within=20)
    connections = sum(screen.connections for screen in screens)
    old_still_serving = sum(1 for pid in replaced if alive(pid))
    closed_at = time.monotonic()
    await stop_screens(screens)
    old_gone = await seconds_until(
        lambda: not any(alive(pid) for pid in replaced), closed_at, 30, "the replaced HAProxies exit"
    )
    stored = await ballots_of(database_url, code)
    voters_in_db, counters, recount = await database_tally(database_url, code)
    acknowledged = phones.acknowledged
    figures = {
        "reloads": RELOADS,
        "seconds_per_reload": reload_seconds,
        "ballots_sent": len(phones.attempts),
        "ballots_per_second": phones.rate_achieved(),
        "outcomes": phones.outcomes,
        "client_visible_errors": len(phones.errors),
        "screens": SCREENS,
        "screen_connections_cut": connections - SCREENS,
        "seconds_until_every_screen_showed_the_final_tally": round(converged, 3),
        "replaced_haproxies_still_serving_screens": old_still_serving,
        "seconds_until_replaced_haproxies_exited_after_the_screens_left": old_gone,
        "ballots_acknowledged": len(acknowledged),
        "acknowledged_ballots_lost": sum(1 for v, chosen in acknowledged.items() if stored.get(v) != chosen),
        "votes_double_counted": sum(counters.values()) - sum(recount.values()),
    }
    record_figures(artifacts, "haproxy_reload", figures)

    assert phones.errors == [], [vars(a) for a in phones.errors[:5]]
    assert figures["screen_connections_cut"] == 0
    assert figures["acknowledged_ballots_lost"] == 0 and figures["votes_double_counted"] == 0
    assert voters_in_db == len(acknowledged) == final["voters"]
    assert counters == recount == {o["id"]: o["votes"] for o in final["options"]}
    assert all(screen.went_back == 0 for screen in screens)
