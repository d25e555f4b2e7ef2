"""The rules of a poll and a ballot, and how results read."""

from __future__ import annotations

import pytest

from polls.domain import (
    CODE_ALPHABET,
    Option,
    OptionResult,
    Poll,
    Results,
    new_join_code,
    normalise_code,
    parse_ballot,
    parse_new_poll,
)
from polls.errors import InvalidInput
from polls.voters import VoterIds

POLL = Poll(
    "ABCDEF", "Lunch?", "multiple", 2, "open", (Option(1, "Pizza"), Option(2, "Tacos"), Option(3, "Sushi"))
)
SINGLE = Poll("ABCDEG", "Yes?", "single", 1, "open", (Option(1, "Yes"), Option(2, "No")))
VOTER = VoterIds(b"a key of thirty-two bytes or more").issue()


def test_a_valid_poll_is_normalised():
    new = parse_new_poll({"question": "  Lunch   today? ", "options": ["Pizza", " Tacos "]})
    assert new.question == "Lunch today?"
    assert new.labels == ("Pizza", "Tacos")
    assert (new.kind, new.max_choices) == ("single", 1)


def test_a_multiple_choice_poll_defaults_to_every_option():
    new = parse_new_poll({"question": "Q", "options": ["a", "b", "c"], "kind": "multiple"})
    assert new.max_choices == 3


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ([], "must be a JSON object"),
        ({"options": ["a", "b"]}, "question must be a string"),
        ({"question": "   ", "options": ["a", "b"]}, "question must not be empty"),
        ({"question": "q" * 301, "options": ["a", "b"]}, "at most 300"),
        ({"question": "Q", "options": "a,b"}, "options must be a list"),
        ({"question": "Q", "options": ["a"]}, "2 to 20 options"),
        ({"question": "Q", "options": [str(i) for i in range(21)]}, "2 to 20 options"),
        ({"question": "Q", "options": ["a", "x" * 121]}, "at most 120"),
        ({"question": "Q", "options": ["a", 2]}, "option must be a string"),
        ({"question": "Q", "options": ["Yes", "yes"]}, "different from each other"),
        ({"question": "Q", "options": ["a", "b"], "kind": "ranked"}, "kind must be"),
        ({"question": "Q", "options": ["a", "b"], "max_choices": 2}, "only to polls of kind 'multiple'"),
        ({"question": "Q", "options": ["a", "b"], "kind": "multiple", "max_choices": 3}, "between 1 and 2"),
        ({"question": "Q", "options": ["a", "b"], "kind": "multiple", "max_choices": "2"}, "whole number"),
        ({"question": "Q", "options": ["a", "b"], "kind": "multiple", "max_choices": True}, "whole number"),
    ],
)
def test_an_invalid_poll_is_refused_with_a_reason(body, message):
    with pytest.raises(InvalidInput, match=message):
        parse_new_poll(body)


def test_a_ballot_keeps_each_chosen_option_once_in_order():
    ballot = parse_ballot(POLL, {"voter": VOTER, "options": [3, 1, 3]})
    assert ballot.answer == (1, 3)


@pytest.mark.parametrize(
    ("poll", "body", "message"),
    [
        (POLL, {"voter": "phone-0001", "options": [1]}, "voter must be an id issued by POST /api/voters"),
        (POLL, {"voter": VOTER + " ", "options": [1]}, "voter must be an id issued"),
        (POLL, {"voter": VOTER.replace(".", ""), "options": [1]}, "voter must be an id issued"),
        (POLL, {"options": [1]}, "voter must be an id issued"),
        (POLL, {"voter": VOTER, "options": []}, "at least one"),
        (POLL, {"voter": VOTER, "options": ["1"]}, "list of option ids"),
        (POLL, {"voter": VOTER, "options": [True]}, "list of option ids"),
        (POLL, {"voter": VOTER, "options": [4]}, "Unknown option"),
        (POLL, {"voter": VOTER, "options": [1, 2, 3]}, "at most 2 options"),
        (SINGLE, {"voter": VOTER, "options": [1, 2]}, "choose one option"),
    ],
)
def test_an_invalid_ballot_is_refused_with_a_reason(poll, body, message):
    with pytest.raises(InvalidInput, match=message):
        parse_ballot(poll, body)


def test_join_codes_avoid_characters_that_are_misread():
    codes = {new_join_code() for _ in range(200)}
    assert all(len(code) == 6 and set(code) <= set(CODE_ALPHABET) for code in codes)
    assert not set("0O1IL") & set(CODE_ALPHABET)


@pytest.mark.parametrize(
    ("typed", "code"), [(" k7qh3m ", "K7QH3M"), ("K7Q H3M", "K7QH3M"), ("K7QH3", None), ("K0QH3M", None)]
)
def test_a_typed_code_is_read_as_a_person_means_it(typed, code):
    assert normalise_code(typed) == code


def test_percentages_are_shares_of_voters():
    results = Results(
        "ABCDEF", 5, 4, "open", (OptionResult(1, "a", 3), OptionResult(2, "b", 1), OptionResult(3, "c", 0))
    )
    assert [results.percent(o) for o in results.options] == [75, 25, 0]
    assert results.leading_votes == 3


def test_percentages_before_anyone_voted_are_zero():
    results = Results("ABCDEF", 0, 0, "open", (OptionResult(1, "a", 0),))
    assert results.percent(results.options[0]) == 0


def test_a_ballot_says_what_of_it_the_profanity_filter_holds_as_it_is_read():
    def question(kind: str, **settings) -> Poll:
        return Poll("ABCDEF", "Q?", kind, 3, "open", (Option(1, ""),), settings=settings)

    cloud = question("wordcloud", entries=3, max_length=40, filter=True, top=100)
    ballot = parse_ballot(cloud, {"voter": VOTER, "entries": ["Nice", "SHIT", "fine"]})
    assert ballot.answer == ("nice", "shit", "fine") and ballot.held == ("shit",)
    unfiltered = question("wordcloud", entries=3, max_length=40, filter=False, top=100)
    assert parse_ballot(unfiltered, {"voter": VOTER, "entries": ["shit"]}).held == ()
    text = question("text", max_length=200, moderation="off", filter=True)
    assert parse_ballot(text, {"voter": VOTER, "text": "what a shit show"}).held == (VOTER,)
    assert parse_ballot(text, {"voter": VOTER, "text": "Scunthorpe"}).held == ()
