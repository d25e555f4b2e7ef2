"""The Q&A board's pure rules: who sees what, in which order, and how it travels on the bus."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from polls.bus.messages import decode, encode
from polls.errors import InvalidInput
from polls.qa import (
    QaBoard,
    QaQuestion,
    parse_question_id,
    parse_settings,
    parse_text,
    parse_up,
    state_of_new,
)

AT = datetime(2025, 1, 1, tzinfo=UTC)


def question(id: int, votes: int = 0, state: str = "shown", answered: bool = False, pinned: bool = False):
    return QaQuestion(id, f"question {id}", state, votes, answered, pinned, AT)


BOARD = QaBoard(
    "ABCDEF",
    7,
    True,
    "approve",
    (
        question(1, 3),
        question(2, 5),
        question(3, 9, state="pending"),
        question(4, 9, state="held"),
        question(5, 9, state="hidden"),
        question(6, 5, answered=True),
        question(7, 3, pinned=True),
    ),
)


def test_the_audience_board_holds_only_shown_questions():
    assert [q.id for q in BOARD.for_audience().questions] == [1, 2, 6, 7]
    public = BOARD.as_dict()
    assert [q["id"] for q in public["questions"]] == [2, 1, 7, 6]
    assert all("state" not in q for q in public["questions"])
    assert public["pinned"] == 7


def test_the_presenters_board_holds_every_question_with_its_state():
    states = [q["state"] for q in BOARD.as_dict(presenter=True)["questions"]]
    assert states == ["shown", "shown", "pending", "held", "hidden", "shown", "shown"]


def test_questions_are_ordered_by_votes_then_age_or_newest_first_answered_last():
    assert [q.id for q in BOARD.ordered("top")] == [2, 1, 7, 6]
    assert [q.id for q in BOARD.ordered("new")] == [7, 2, 1, 6]


def test_a_board_travels_the_bus_unchanged():
    assert decode(encode(BOARD)) == BOARD


def test_a_profane_question_is_held_even_without_moderation():
    assert state_of_new("what the fuck", "off") == "held"
    assert state_of_new("When is lunch?", "off") == "shown"
    assert state_of_new("When is lunch?", "approve") == "pending"


@pytest.mark.parametrize(
    ("parse", "value", "code"),
    [
        (parse_text, "", "text_empty"),
        (parse_text, "x" * 281, "text_too_long"),
        (parse_text, None, "text_invalid"),
        (parse_up, "maybe", "qa_vote_invalid"),
        (parse_question_id, "12a", "qa_question_invalid"),
        (parse_question_id, True, "qa_question_invalid"),
        (parse_settings, {}, "qa_settings_invalid"),
        (parse_settings, {"moderation": "later"}, "qa_settings_invalid"),
        (parse_settings, {"enabled": "yes"}, "qa_settings_invalid"),
    ],
)
def test_bad_input_is_refused_with_a_stable_code(parse, value, code):
    with pytest.raises(InvalidInput) as refused:
        parse(value)
    assert refused.value.code == code


def test_a_question_is_cleaned_like_every_text():
    assert parse_text("  Why   so\n late? ") == "Why so late?"
    assert parse_up("true") is True and parse_up(False) is False
    assert parse_question_id("42") == 42
