"""The bus's wire format round-trips every snapshot type, and a reader drops what it cannot read."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from polls.bus import MessageError, Presence, decode, encode
from polls.domain import Option, OptionResult, Poll, Results
from polls.event import Event, EventView, Question

RESULTS = Results("ABCDEF", 7, 3, "open", (OptionResult(1, "Pizza <b>", 2), OptionResult(2, "Tacos", 1)))
QUESTION = Question(
    Poll("QQQQQQ", "Lunch?", "single", 1, "open", (Option(1, "a"), Option(2, "b")), in_event=True),
    1,
    "after_close",
    False,
    datetime(2026, 11, 28, 12, 0, tzinfo=UTC),
    2,
)
VIEW = EventView(Event("EVENTS", "Town hall", 5, "QQQQQQ", (QUESTION,)), RESULTS)


@pytest.mark.parametrize(
    "snapshot",
    [RESULTS, VIEW, EventView(Event("EVENTS", "Empty", 1, None, ()), None), Presence("web-1", {"EVENTS": 3})],
)
def test_every_snapshot_round_trips(snapshot):
    assert decode(encode(snapshot)) == snapshot


def test_a_snapshot_carries_its_schema_and_type():
    data = json.loads(encode(RESULTS))
    assert (data["schema"], data["type"], data["version"]) == (1, "results", 7)


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"[]",
        json.dumps({"schema": 2, "type": "results"}).encode(),
        json.dumps({"schema": 1, "type": "other"}).encode(),
        json.dumps({"schema": 1, "type": "results", "code": "ABCDEF"}).encode(),
        json.dumps({**json.loads(encode(RESULTS)), "version": "seven"}).encode(),
        json.dumps({"schema": 1, "type": "event", "code": "EVENTS"}).encode(),
        json.dumps(
            {"schema": 1, "type": "presence", "instance": "web-1", "participants": {"E": "x"}}
        ).encode(),
    ],
)
def test_an_unreadable_message_is_refused(body):
    with pytest.raises(MessageError):
        decode(body)
