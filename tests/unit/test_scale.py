"""A rating scale's rules: its settings, a ballot read against its statements, and its tally's mean and
median computed from the counts; its snapshot is the same after the bus carried it."""

from __future__ import annotations

import json

import pytest

from polls.bus.messages import decode, encode
from polls.domain import Option, Poll, parse_ballot, parse_new_poll
from polls.errors import InvalidInput
from polls.kinds import KINDS
from polls.kinds.scale import mean, median
from polls.store.polls import results_of

SCALE = KINDS["scale"]
VOTER = "A" * 22 + "." + "B" * 22


@pytest.mark.parametrize(
    ("counts", "expected_mean", "expected_median"),
    [
        ([0, 0, 0, 0, 0], None, None),
        ([1, 0, 0, 0, 0], 1.0, 1.0),
        ([1, 0, 0, 0, 1], 3.0, 3.0),
        ([1, 2, 0, 1, 0], 2.25, 2.0),
        ([0, 0, 0, 2, 2], 4.5, 4.5),
        ([3, 0, 0, 0, 1], 2.0, 1.0),
        ([1, 1, 1], 2.0, 2.0),
    ],
)
def test_the_mean_and_the_median_come_from_the_counts(counts, expected_mean, expected_median):
    assert mean(1, counts) == expected_mean
    assert median(1, counts) == expected_median


def test_a_scale_from_0_to_10_counts_from_its_lower_end():
    counts = [0] * 11
    counts[10], counts[0] = 3, 1
    assert (mean(0, counts), median(0, counts)) == (7.5, 10.0)


def test_a_new_scale_keeps_its_ends_and_labels_and_rates_its_question_without_statements():
    body = {"question": "NPS?", "kind": "scale", "min": 0, "max": 10, "max_label": "  Surely "}
    new = parse_new_poll(body)
    assert (new.labels, new.max_choices) == (("",), 1)
    assert new.settings == {"min": 0, "max": 10, "max_label": "Surely"}
    assert parse_new_poll({"question": "Q", "kind": "scale"}).settings == {"min": 1, "max": 5}


def scale(*statements: str) -> Poll:
    options = tuple(Option(i, label) for i, label in enumerate(statements, start=1))
    return Poll("ABCDEF", "Rate", "scale", 1, "open", options, settings={"min": 1, "max": 5})


def test_a_ballot_is_a_rating_per_statement_in_their_order():
    assert parse_ballot(scale("a", "b"), {"voter": VOTER, "ratings": {"2": 5, "1": 2}}).answer == (2, 5)


@pytest.mark.parametrize(
    "ratings",
    [{"1": 2}, {"1": 2, "2": 9}, {"1": 2, "2": "3"}, {"1": 2, "2": None}, {"1": 1, "2": 1, "3": 1}],
)
def test_a_ballot_that_misses_or_breaks_a_rating_is_refused(ratings):
    with pytest.raises(InvalidInput):
        parse_ballot(scale("a", "b"), {"voter": VOTER, "ratings": ratings})


def test_a_form_reads_a_rating_per_statement_and_keeps_only_a_whole_ballot():
    question = scale("a", "b")
    fields = {"rating-1": ["4"], "rating-2": ["2"]}
    read = SCALE.ballot_from_form(lambda name: fields.get(name, []), question)
    assert read == {"ratings": {"1": 4, "2": 2}}
    assert SCALE.kept(lambda name: fields.get(name, []), question) == (4, 2)
    assert SCALE.kept(lambda name: {"rating-2": ["2"]}.get(name, []), question) == ()


def test_the_snapshot_reads_the_same_from_the_database_and_from_the_bus():
    tally = {
        "options": [{"id": 1, "label": "Pace", "votes": 3}],
        "scale": {"min": 1, "max": 3, "min_label": "Slow"},
        "statements": [{"id": 1, "counts": [1, 0, 2]}],
    }
    row = {"version": 4, "voters": 3, "status": "open", "kind": "scale", "tally": json.dumps(tally)}
    results = results_of("ABCDEF", row)
    (statement,) = results.detail["statements"]
    assert statement == {"id": 1, "counts": [1, 0, 2], "count": 3, "mean": 2.33, "median": 3}
    assert results.as_dict()["scale"] == {"min": 1, "max": 3, "min_label": "Slow"}
    assert decode(encode(results)) == results


def test_an_event_question_keeps_its_scale_on_the_bus():
    from datetime import UTC, datetime

    from polls.event import Event, EventView, Question

    question = Question(scale("a"), 1, "always", True, datetime(2026, 11, 30, tzinfo=UTC), 1)
    view = EventView(Event("EVENTS", "Talk", 3, None, (question,)), None)
    decoded = decode(encode(view))
    assert decoded.event.questions[0].poll.settings == {"min": 1, "max": 5}
