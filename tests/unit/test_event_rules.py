"""An event's rules, without a server: who sees a question's results when, and what a presenter's request
must hold (a title, questions, an order, a countdown, the live question)."""

from __future__ import annotations

import pytest

from polls.domain import Option, OptionResult, Poll, Results
from polls.errors import InvalidInput
from polls.event import (
    COUNTDOWN_MAX,
    QUESTIONS_MAX,
    Event,
    EventView,
    Question,
    check_order,
    parse_countdown,
    parse_live,
    parse_new_event,
    parse_order,
    parse_title,
)

QUESTION_OPTIONS = (Option(1, "Yes"), Option(2, "No"))
RESULTS = Results("QQQQQQ", 3, 2, "open", (OptionResult(1, "Yes", 1), OptionResult(2, "No", 1)))


def view(visibility: str, revealed: bool = True, status: str = "open", live: bool = True) -> EventView:
    question = Question(
        Poll("QQQQQQ", "Q?", "single", 1, status, QUESTION_OPTIONS, True), 1, visibility, revealed, None, 1
    )
    event = Event("EVENTS", "Town hall", 4, "QQQQQQ" if live else None, (question,))
    return EventView(event, RESULTS if live else None)


# Who sees the results: (visibility, status) -> (the projector, a phone that voted, a phone that did not,
# any API client), while the presenter has them revealed.
SEEN = {
    ("always", "open"): (True, True, True, True),
    ("always", "closed"): (True, True, True, True),
    ("after_vote", "open"): (True, True, False, False),
    ("after_vote", "closed"): (True, True, False, False),
    ("after_close", "open"): (False, False, False, False),
    ("after_close", "closed"): (True, True, True, True),
    ("presenter", "open"): (False, False, False, False),
    ("presenter", "closed"): (False, False, False, False),
}


@pytest.mark.parametrize(("visibility", "status"), SEEN)
def test_the_results_are_seen_only_where_the_questions_visibility_allows(visibility, status):
    shown = view(visibility, status=status)
    projector, voted, not_voted, anyone = SEEN[visibility, status]
    assert shown.audience_sees_results is projector
    assert shown.participant_sees_results(voted=True) is voted
    assert shown.participant_sees_results(voted=False) is not_voted
    assert shown.results_public is anyone


@pytest.mark.parametrize(("visibility", "status"), SEEN)
def test_hidden_results_are_seen_by_no_audience_whatever_the_visibility(visibility, status):
    hidden = view(visibility, revealed=False, status=status)
    assert not hidden.audience_sees_results
    assert not hidden.participant_sees_results(voted=True)
    assert not hidden.results_public


def test_with_no_live_question_nobody_sees_results():
    idle = view("always", live=False)
    assert idle.question is None
    assert not idle.audience_sees_results and not idle.results_public


def test_a_vote_or_a_change_to_the_event_makes_a_newer_view_and_a_switch_of_question_too():
    before = view("always")
    assert before.version == (4, 3)
    voted = before.with_results(Results("QQQQQQ", 4, 3, "open", RESULTS.options))
    assert voted.version > before.version
    switched = EventView(
        Event("EVENTS", "Town hall", 5, "QQQQQQ", before.event.questions), Results("QQQQQQ", 0, 0, "open", ())
    )
    assert switched.version > voted.version


def test_a_new_event_is_cleaned_and_its_questions_numbered_in_errors():
    new = parse_new_event(
        {"title": "  Town   hall ", "questions": [{"question": "Q?", "options": ["a", "b"]}]}
    )
    assert new.title == "Town hall"
    assert [q.visibility for q in new.questions] == ["always"]
    with pytest.raises(InvalidInput, match="Question 2: A question needs 2 to 20 options"):
        parse_new_event(
            {
                "title": "T",
                "questions": [
                    {"question": "Q?", "options": ["a", "b"]},
                    {"question": "Q?", "options": ["a"]},
                ],
            }
        )
    with pytest.raises(InvalidInput, match="visibility must be one of"):
        parse_new_event(
            {"title": "T", "questions": [{"question": "Q?", "options": ["a", "b"], "visibility": "x"}]}
        )
    with pytest.raises(InvalidInput, match=f"at most {QUESTIONS_MAX} questions"):
        parse_new_event(
            {"title": "T", "questions": [{"question": "Q?", "options": ["a", "b"]}] * (QUESTIONS_MAX + 1)}
        )


@pytest.mark.parametrize(
    ("seconds", "valid"),
    [
        (1, True),
        (COUNTDOWN_MAX, True),
        (0, False),
        (COUNTDOWN_MAX + 1, False),
        (True, False),
        ("30", False),
        (None, False),
    ],
)
def test_a_countdown_is_a_whole_number_of_seconds_within_limits(seconds, valid):
    if valid:
        assert parse_countdown(seconds) == seconds
    else:
        with pytest.raises(InvalidInput, match="countdown must be a whole number of seconds"):
            parse_countdown(seconds)


def test_an_order_names_each_question_exactly_once():
    questions = view("always").event.questions
    assert check_order(parse_order({"order": ["QQQQQQ"]}), questions) == ["QQQQQQ"]
    for body in ({"order": "QQQQQQ"}, {"order": [1]}, ["QQQQQQ"], {}):
        with pytest.raises(InvalidInput, match="order must be a list"):
            parse_order(body)
    for order in ([], ["QQQQQQ", "QQQQQQ"], ["AAAAAA"]):
        with pytest.raises(InvalidInput, match="exactly once"):
            check_order(order, questions)


def test_the_live_question_is_a_code_or_null_and_opens_by_default():
    assert parse_live({"question": "QQQQQQ"}) == ("QQQQQQ", True)
    assert parse_live({"question": None, "open": False}) == (None, False)
    for body in ({}, {"question": 5}, [], None):
        with pytest.raises(InvalidInput):
            parse_live(body)


def test_a_title_is_cleaned_text():
    assert parse_title({"title": " New   name "}) == "New name"
    for body in ({"title": ""}, {"title": 5}, [], {"title": "x" * 201}):
        with pytest.raises(InvalidInput):
            parse_title(body)
