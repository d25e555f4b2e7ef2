"""RabbitMQ stops and starts while a room votes: votes go on, and every screen is current again soon after.

Votes need only PostgreSQL, so the phones (which never retry) get no error while the broker is away. The
screens watch through HAProxy on both replicas; without the broker each replica hears only its own votes,
so the screens fall behind. When the broker is back, each replica reconnects and re-reads the polls its
screens watch from PostgreSQL: every screen must show the database's tally within 5 s of the return.
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
    health,
    record_figures,
    seconds_until,
    stop_screens,
    wait_until,
    watching_screens,
)

pytestmark = pytest.mark.e2e

RATE = 60
SCREENS = 12
MIN_OUTAGE = 3.0  # seconds of voting without the broker, at least
CURRENT_WITHIN = 5.0  # the promise: screens current again this soon after the broker's return
REPLICAS = ("web-1", "web-2")


def bus_states(stack) -> set[str]:
    return {health(stack, name).get("bus", "?") for name in REPLICAS}


async def test_screens_are_current_again_soon_after_rabbitmq_returns_and_votes_never_stop(
    stack, private_rabbitmq, database_url, artifacts
):
    code = (await create_poll(stack.url, "Broker?"))["code"]
    screens = await watching_screens(stack, code, SCREENS)
    phones = Phones(stack.url, code, rate=RATE, limit=RATE * 120, seconds=120, prefix="mq-restart").start()
    await wait_until(lambda: len(phones.acknowledged) >= RATE, 20, "votes acknowledged before the stop")

    stopping_at = time.monotonic()
    await asyncio.to_thread(private_rabbitmq.stop)
    stopped_at = time.monotonic()
    ballots_before_outage = len(phones.attempts)
    await wait_until(lambda: bus_states(stack) == {"reconnecting"}, 30, "both replicas see the broker gone")
    await asyncio.sleep(max(0.0, MIN_OUTAGE - (time.monotonic() - stopped_at)))  # voting without the broker
    phones.stop()
    await phones.finish()
    ballots_during_outage = len(phones.attempts) - ballots_before_outage
    final = await results(stack.url, code)
    behind = sum(1 for screen in screens if not screen.shows(final))

    private_rabbitmq.start()
    boot = await asyncio.to_thread(private_rabbitmq.wait_ready)
    back_at = time.monotonic()
    bus_after, screens_after = await asyncio.gather(
        seconds_until(lambda: bus_states(stack) == {"connected"}, back_at, 30, "both replicas reconnected"),
        seconds_until(lambda: all(s.shows(final) for s in screens), back_at, 30, "every screen current"),
    )
    await wait_until_shown(screens, final)
    await stop_screens(screens)

    stored = await ballots_of(database_url, code)
    voters_in_db, counters, recount = await database_tally(database_url, code)
    acknowledged = phones.acknowledged
    figures = {
        "ballots_sent": len(phones.attempts),
        "ballots_sent_while_rabbitmq_was_down": ballots_during_outage,
        "ballots_per_second": phones.rate_achieved(),
        "outcomes": phones.outcomes,
        "screens": SCREENS,
        "screens_behind_when_rabbitmq_returned": behind,
        "seconds_to_stop_rabbitmq": round(stopped_at - stopping_at, 3),
        "seconds_rabbitmq_took_to_boot": round(boot, 3),
        "seconds_until_both_replicas_reconnected": bus_after,
        "seconds_until_every_screen_was_current": screens_after,
        "ballots_acknowledged": len(acknowledged),
        "acknowledged_ballots_lost": sum(1 for v, chosen in acknowledged.items() if stored.get(v) != chosen),
        "votes_double_counted": sum(counters.values()) - sum(recount.values()),
    }
    record_figures(artifacts, "rabbitmq_restart", figures)

    assert phones.outcomes == {"200": len(phones.attempts)}, [vars(a) for a in phones.errors[:5]]
    assert ballots_during_outage > 0 and behind > 0, "the outage was not felt"
    assert screens_after <= CURRENT_WITHIN
    assert figures["acknowledged_ballots_lost"] == 0 and figures["votes_double_counted"] == 0
    assert voters_in_db == len(acknowledged) == final["voters"]
    assert counters == recount == {o["id"]: o["votes"] for o in final["options"]}
    assert all(screen.went_back == 0 for screen in screens)
