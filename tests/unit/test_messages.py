"""The bus's wire format round-trips, and a reader drops what it cannot read."""

from __future__ import annotations

import json

import pytest

from polls.bus import MessageError, decode_results, encode_results
from polls.domain import OptionResult, Results

RESULTS = Results("ABCDEF", 7, 3, "open", (OptionResult(1, "Pizza <b>", 2), OptionResult(2, "Tacos", 1)))


def test_a_snapshot_round_trips():
    assert decode_results(encode_results(RESULTS)) == RESULTS


def test_a_snapshot_carries_its_schema_and_type():
    data = json.loads(encode_results(RESULTS))
    assert (data["schema"], data["type"], data["version"]) == (1, "results", 7)


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"[]",
        json.dumps({"schema": 2, "type": "results"}).encode(),
        json.dumps({"schema": 1, "type": "other"}).encode(),
        json.dumps({"schema": 1, "type": "results", "code": "ABCDEF"}).encode(),
        json.dumps({**json.loads(encode_results(RESULTS)), "version": "seven"}).encode(),
    ],
)
def test_an_unreadable_message_is_refused(body):
    with pytest.raises(MessageError):
        decode_results(body)
