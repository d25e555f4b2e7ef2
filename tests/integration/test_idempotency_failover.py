"""A replica that dies between the commit of a write and its answer: the write sent again with its
Idempotency-Key (as HAProxy replays it on another replica) is answered from what the first one kept, and
the write is done exactly once. Each write that is not idempotent by itself is tried."""

from __future__ import annotations

import asyncio
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg
import httpx
import pytest

from tests.api_client import new_event
from tests.processes import Replica

PAUSE = 15.0  # the paused replica's time between commit and answer: it is killed in it


@dataclass
class Write:
    """One write: how to send it (method, path, and httpx arguments) and how to count its effect."""

    method: str
    path: str
    send: dict = field(default_factory=dict)
    effect_sql: str = ""
    effect_args: tuple = ()


def effect(database_url: str, write: Write) -> int:
    async def query() -> int:
        connection = await asyncpg.connect(database_url)
        try:
            return await connection.fetchval(write.effect_sql, *write.effect_args)
        finally:
            await connection.close()

    return asyncio.run(query())


@pytest.fixture(scope="module")
def survivor(database_url, amqp_url, exchange_name, tmp_path_factory) -> Iterator[Replica]:
    replica = Replica("survivor-1", database_url, amqp_url, exchange_name, tmp_path_factory.mktemp("logs"))
    replica.start()
    try:
        yield replica
    finally:
        replica.stop()


@pytest.fixture
def doomed(database_url, amqp_url, exchange_name, tmp_path) -> Iterator[Replica]:
    replica = Replica("doomed-1", database_url, amqp_url, exchange_name, tmp_path)
    replica.env["POLLS_TEST_PAUSE_AFTER_COMMIT"] = str(PAUSE)
    replica.start()
    try:
        yield replica
    finally:
        replica.stop()


def drill(base: str) -> dict:
    return new_event(base, "Drill", [{"question": f"Q{i}?", "options": ["a", "b"]} for i in range(3)])


def writes(base: str, kind: str) -> Write:
    """The write of this kind, on fresh data made through `base`; its effect counts 1 if done once."""
    marker = uuid.uuid4().hex[:10]
    match kind:
        case "create a poll (API)":
            return Write(
                "POST",
                "/api/polls",
                {"json": {"question": f"API {marker}?", "options": ["a", "b"]}},
                "SELECT count(*) FROM polls WHERE question = $1",
                (f"API {marker}?",),
            )
        case "create a poll (page form)":
            form = {"question": f"Form {marker}?", "options": "a\nb", "kind": "single"}
            return Write(
                "POST",
                "/polls",
                {"data": form, "headers": {"HX-Request": "true"}},
                "SELECT count(*) FROM polls WHERE question = $1",
                (f"Form {marker}?",),
            )
        case "create an event (API)":
            return Write(
                "POST",
                "/api/events",
                {"json": {"title": f"Event {marker}", "questions": []}},
                "SELECT count(*) FROM events WHERE title = $1",
                (f"Event {marker}",),
            )
        case "create an event (page form)":
            return Write(
                "POST",
                "/events",
                {"data": {"title": f"Page {marker}"}, "headers": {"HX-Request": "true"}},
                "SELECT count(*) FROM events WHERE title = $1",
                (f"Page {marker}",),
            )
    event = drill(base)
    auth = {"Authorization": f"Bearer {event['admin_token']}"}
    first = event["questions"][0]["code"]
    match kind:
        case "add a question":
            body = {"question": f"Added {marker}?", "options": ["a", "b"]}
            return Write(
                "POST",
                f"/api/events/{event['code']}/questions",
                {"json": body, "headers": auth},
                "SELECT count(*) FROM polls WHERE question = $1",
                (f"Added {marker}?",),
            )
        case "start a new round":
            return Write(
                "POST",
                f"/api/events/{event['code']}/questions/{first}/reset",
                {"headers": auth},
                "SELECT round - 1 FROM polls WHERE code = $1",
                (first,),
            )
        case "move a question (control page)":
            form = {"token": event["admin_token"], "question": first}
            return Write(
                "POST",
                f"/e/{event['code']}/control/move-down",
                {"data": form, "headers": {"HX-Request": "true"}},
                "SELECT position - 1 FROM polls WHERE code = $1",
                (first,),
            )
        case "delete a question":
            return Write(
                "DELETE",
                f"/api/events/{event['code']}/questions/{first}",
                {"headers": auth},
                "SELECT 3 - count(*) FROM polls p JOIN events e ON e.id = p.event_id WHERE e.code = $1",
                (event["code"],),
            )
    raise ValueError(kind)


KINDS = [
    "create a poll (API)",
    "create a poll (page form)",
    "create an event (API)",
    "create an event (page form)",
    "add a question",
    "start a new round",
    "move a question (control page)",
    "delete a question",
]


def wait_for_line(log: Path, text: str, within: float = 15.0) -> None:
    deadline = time.monotonic() + within
    while text not in (log.read_text() if log.exists() else ""):
        assert time.monotonic() < deadline, f"{text!r} never appeared in {log}"
        time.sleep(0.05)


@pytest.mark.parametrize("kind", KINDS)
def test_a_write_whose_replica_died_after_its_commit_is_done_once(kind, doomed, survivor, database_url):
    write = writes(survivor.url, kind)
    headers = {**write.send.get("headers", {}), "Idempotency-Key": uuid.uuid4().hex}
    send = {**write.send, "headers": headers}
    first: list[object] = []

    def to_the_doomed_replica() -> None:
        try:
            first.append(httpx.request(write.method, doomed.url + write.path, timeout=PAUSE + 10, **send))
        except httpx.HTTPError as exc:
            first.append(exc)

    sender = threading.Thread(target=to_the_doomed_replica)
    sender.start()
    wait_for_line(doomed.log, "test hook: committed")
    assert doomed.process is not None
    doomed.process.kill()
    sender.join(timeout=PAUSE)
    assert len(first) == 1 and isinstance(first[0], httpx.HTTPError), "the first answer must be lost"

    again = httpx.request(write.method, survivor.url + write.path, timeout=10, **send)
    assert again.status_code < 400, again.text
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert effect(database_url, write) == 1
