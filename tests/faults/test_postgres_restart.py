"""PostgreSQL stops and starts while a room votes: 503s only, then recovery by itself, and nothing lost.

The phones never retry, so every answer counts: each is a 200 or a 503 (from a replica, with Retry-After,
or from HAProxy while no replica is healthy), never a 500 and never a cut connection. While the database
is down every route of a replica is tried directly: each answers 503 with Retry-After and no database
message, or something that needs no database; each websocket closes with 1013, which the pages reconnect
after. Once PostgreSQL is back the same processes serve again (no restart), every screen is current, and
every acknowledged ballot is in the database exactly once.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections import Counter
from collections.abc import Awaitable
from typing import Any

import httpx
import pytest
import websockets

from polls.app import create_app
from polls.config import Config
from polls.errors import Unavailable
from tests.api_client import create_event, create_poll, results
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
from tests.voters import new_voter

pytestmark = pytest.mark.e2e

RATE = 150  # ballots per second, as in the report of ten 500s
SCREENS = 8
MIN_OUTAGE = 2.0  # seconds PostgreSQL stays down at least
VOTING_AFTER = 2.0  # seconds of voting after the recovery
# What a client must never read in an error: the database's own words.
DB_WORDS = re.compile(r"asyncpg|Traceback|Errno|database system|Connect call failed|terminating", re.I)
# A phone's ballot, or its asking for a voter id before it (refused by HAProxy too while every replica's
# health check fails with PostgreSQL down): acknowledged, or an honest 503.
ACCEPTED = {"200"} | {
    f"{asked}503 from {whom}" for asked in ("", "voter id: ") for whom in ("a replica", "HAProxy")
}


def json_body(route: str, question: str, voter: str) -> dict[str, Any]:
    """A valid body for the API routes that need one, so the request gets as far as the database."""
    new_question = {"question": "Q?", "options": ["a", "b"]}
    return {
        "polls.api.create_poll": new_question,
        "polls.api.cast_vote": {"voter": voter, "options": [1]},
        "polls.events_api.create_event": {"title": "T", "questions": [new_question]},
        "polls.events_api.add_question": new_question,
        "polls.events_api.edit_question": new_question,
        "polls.events_api.update_event": {"title": "T2"},
        "polls.events_api.reorder": {"order": [question]},
        "polls.events_api.set_live": {"question": question},
        "polls.events_api.countdown": {"seconds": 30},
    }.get(route, {})


def form_body(route: str, token: str, question: str) -> dict[str, str]:
    """A valid form for the pages' routes (the control actions read `question` as a question's code)."""
    return {
        "polls.pages.create_poll": {"question": "Q?", "options": "a\nb"},
        "polls.event_pages.create_event": {"title": "T", "questions": "Q?\na\nb"},
    }.get(route, {"token": token, "option": "1", "question": question, "status": "open"})


async def sweep(base: str, poll: dict[str, Any], event: dict[str, Any]) -> dict[str, str]:
    """Every route of the app (from its router), on one replica: '<route> <method>[ htmx]' -> what it
    answered. Each gets the admin token and a valid body, so that it gets as far as the database."""
    question = event["questions"][0]["code"]
    seen: dict[str, str] = {}
    app = create_app(Config(instance="sweep"))
    at_once = asyncio.Semaphore(8)

    async def attempt(key: str, answer: Awaitable[str]) -> None:
        async with at_once:
            seen[key] = await answer

    async with httpx.AsyncClient(base_url=base, timeout=15) as http:
        voter = await new_voter(http)  # issued without the database: its key is read at start
        attempts = []
        for route in app.router.routes:
            if route.extra.static:
                continue
            target = event if route.path.startswith(("api/events", "e/")) else poll
            values = {"code": target["code"], "question": question, "action": "open"}
            path = "/" + re.sub(r"<(\w+)(:[^>]*)?>", lambda m, v=values: v[m.group(1)], route.path)
            if route.extra.websocket:
                ws_url = base.replace("http", "ws", 1) + path
                attempts.append(attempt(f"{route.name} websocket", socket_outcome(ws_url)))
                continue
            token = target["admin_token"]
            for method in sorted(route.methods - {"HEAD", "OPTIONS"}):
                for htmx in (False,) if path.startswith("/api") else (False, True):
                    headers = {"Authorization": f"Bearer {token}", "X-Admin-Token": token}
                    if htmx:
                        headers["HX-Request"] = "true"
                    params = {"token": token, "code": poll["code"]}  # /join?code=
                    request: dict[str, Any] = {"params": params, "headers": headers}
                    if method != "GET" and path.startswith("/api"):
                        request["json"] = json_body(route.name, question, voter)
                    elif method != "GET":
                        request["data"] = form_body(route.name, token, question)
                    key = f"{route.name} {method}{' htmx' if htmx else ''}"
                    attempts.append(attempt(key, http_outcome(http, method, path, request)))
        await asyncio.gather(*attempts)
    return seen


async def http_outcome(http: httpx.AsyncClient, method: str, path: str, request: dict[str, Any]) -> str:
    try:
        return answer_outcome(await http.request(method, path, **request))
    except httpx.HTTPError as exc:
        return type(exc).__name__


def answer_outcome(response: httpx.Response) -> str:
    outcome = str(response.status_code)
    if response.status_code == 503:
        if response.headers.get("Retry-After") != str(Unavailable.retry_after):
            outcome += " without Retry-After"
        if DB_WORDS.search(response.text) or (
            not response.url.path.endswith("/healthz") and Unavailable.message not in response.text
        ):
            outcome += f" with another message: {response.text[:200]}"
    return outcome


async def socket_outcome(url: str) -> str:
    """How a websocket ends while the database is down: 'closed 1013' is the clean way."""
    try:
        async with websockets.connect(url, open_timeout=10, close_timeout=5) as ws:
            message = await asyncio.wait_for(ws.recv(), 10)
            return f"message {str(message)[:80]}"
    except websockets.ConnectionClosed as exc:
        return f"closed {exc.rcvd.code if exc.rcvd else 'without a code'}"
    except (OSError, TimeoutError, websockets.InvalidHandshake) as exc:
        return type(exc).__name__


async def test_postgres_stop_and_start_under_load_answers_only_503_and_loses_nothing(
    stack, private_postgres, database_url, artifacts
):
    poll = await create_poll(stack.url, "Restart?")
    event = await create_event(stack.url, "Sweep", [{"question": "Q?", "options": ["a", "b"]}])
    code = poll["code"]
    processes = {name: stack.pid(name) for name in ("haproxy", "web-1", "web-2")}
    screens = await watching_screens(stack, code, SCREENS)
    phones = Phones(stack.url, code, rate=RATE, limit=RATE * 40, seconds=40, prefix="pg-restart").start()
    await wait_until(lambda: len(phones.acknowledged) >= RATE, 20, "votes acknowledged before the stop")

    stopping_at = time.monotonic()
    await asyncio.to_thread(private_postgres.stop)
    stopped_at = time.monotonic()
    swept = await sweep(stack.replica_url("web-1"), poll, event)
    swept_in = time.monotonic() - stopped_at
    await asyncio.sleep(max(0.0, MIN_OUTAGE - (time.monotonic() - stopped_at)))  # the outage's length
    await asyncio.to_thread(private_postgres.start)
    back_at = time.monotonic()
    messages_at_return = [screen.messages for screen in screens]

    everyone_up = {"web-1": "UP", "web-2": "UP"}
    up_after, _, screens_after = await asyncio.gather(
        seconds_until(lambda: stack.haproxy_view() == everyone_up, back_at, 30, "HAProxy sees both UP"),
        seconds_until(lambda: phones.first_success_after(back_at) is not None, back_at, 30, "a vote again"),
        seconds_until(
            lambda: all(s.messages > m for s, m in zip(screens, messages_at_return, strict=True)),
            back_at,
            30,
            "every screen updated after PostgreSQL's return",
        ),
    )
    await asyncio.sleep(VOTING_AFTER)  # the room votes on for a while, then stops
    phones.stop()
    await phones.finish()
    final = await results(stack.url, code)
    await wait_until_shown(screens, final, within=20)
    await stop_screens(screens)

    stored = await ballots_of(database_url, code)
    voters_in_db, counters, recount = await database_tally(database_url, code)
    acknowledged = phones.acknowledged
    outcomes = phones.outcomes
    figures = {
        "ballots_sent": len(phones.attempts),
        "ballots_per_second": phones.rate_achieved(),
        "outcomes": outcomes,
        "errors_other_than_503": sum(n for outcome, n in outcomes.items() if outcome not in ACCEPTED),
        "503s_without_retry_after": sum(
            1 for a in phones.attempts if "503" in a.outcome and a.retry_after is None
        ),
        "seconds_to_stop_postgresql": round(stopped_at - stopping_at, 3),
        "seconds_postgresql_was_down": round(back_at - stopped_at, 3),
        "seconds_until_a_vote_was_acknowledged_again": phones.first_success_after(back_at),
        "seconds_until_haproxy_saw_every_replica_up": up_after,
        "seconds_until_every_screen_was_updated": screens_after,
        "processes_restarted": sorted(n for n, pid in processes.items() if stack.pid(n) != pid),
        "ballots_acknowledged": len(acknowledged),
        "acknowledged_ballots_lost": sum(1 for v, chosen in acknowledged.items() if stored.get(v) != chosen),
        "votes_double_counted": sum(counters.values()) - sum(recount.values()),
        "routes_tried_while_down": len(swept),
        "seconds_to_try_every_route": round(swept_in, 3),
        "route_answers_while_down": dict(sorted(Counter(swept.values()).items())),
        "routes_that_need_no_database": sorted(route for route, seen in swept.items() if seen[0] in "1234"),
    }
    record_figures(artifacts, "postgres_restart", figures)

    unclean = {route: seen for route, seen in swept.items() if not clean_while_down(seen)}
    assert unclean == {}, "routes that failed uncleanly while PostgreSQL was down"
    for route in ("polls.api.cast_vote POST", "polls.pages.vote POST htmx", "polls.pages.present GET"):
        assert swept[route] == "503", route
    assert all(seen == "closed 1013" for route, seen in swept.items() if route.endswith("websocket"))
    assert set(outcomes) <= ACCEPTED, outcomes
    assert figures["503s_without_retry_after"] == 0  # HAProxy's own 503 included
    assert any("503" in outcome for outcome in outcomes), "the outage was not felt"
    assert figures["processes_restarted"] == []
    assert figures["acknowledged_ballots_lost"] == 0 and figures["votes_double_counted"] == 0
    assert len(acknowledged) <= voters_in_db <= len(phones.attempts)
    assert counters == recount == {o["id"]: o["votes"] for o in final["options"]}


def clean_while_down(seen: str) -> bool:
    """An answer a route may give while the database is down: 503 done right, or one that needs no database
    (a page without data, a 4xx for input it refuses before asking), or a websocket closed with 1013."""
    if seen.startswith("closed"):
        return seen == "closed 1013"
    return seen == "503" or (seen.isdigit() and int(seen) < 500)
