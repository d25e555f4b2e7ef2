"""The rules of a poll and a ballot as properties, tried by hypothesis on inputs nobody thought to write down.

For each rule: what it accepts keeps the documented limits; what keeps them is accepted; a body that breaks
one limit is refused; and whatever a client sends, the only failure is InvalidInput (a 422), never another
exception (a 500).
"""

from __future__ import annotations

import string
import unicodedata
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from polls.domain import (
    CODE_ALPHABET,
    CODE_LENGTH,
    LABEL_MAX,
    OPTIONS_MAX,
    OPTIONS_MIN,
    QUESTION_MAX,
    NewPoll,
    Option,
    OptionResult,
    Poll,
    Results,
    hash_token,
    new_join_code,
    normalise_code,
    parse_ballot,
    parse_new_poll,
    token_matches,
)
from polls.errors import InvalidInput
from polls.kinds import KINDS as REGISTRY
from polls.kinds.choice import Choice

# No example database: a run does not replay the failures of earlier runs, each starts afresh (hypothesis
# still keeps a cache of its own, ignored by git, in .hypothesis/).
# The choice kinds, whose rules these properties are (a scale's are in test_scale.py).
KINDS = tuple(name for name, kind in REGISTRY.items() if isinstance(kind, Choice))

rules = settings(database=None, max_examples=100, deadline=None)

VOTER_ALPHABET = string.ascii_letters + string.digits + "_-"

# Text as a client may send it: any code point, lone surrogates and NUL included (a list of characters,
# joined: st.text() would drop the surrogates).
ANY_TEXT = st.lists(st.characters() | st.sampled_from(["\x00", "\ud800", "\udfff"]), max_size=40).map("".join)
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | ANY_TEXT,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(ANY_TEXT, inner, max_size=4),
    max_leaves=10,
)

# Text a person writes: letters, digits, punctuation, symbols, and spaces between the words.
PRINTABLE = st.characters(categories=["L", "N", "P", "S"])
WORD = st.text(PRINTABLE, min_size=1, max_size=10)


def text_of(max_length: int) -> st.SearchStrategy[str]:
    """A few words, or one as long as the limit allows."""
    return st.lists(WORD, min_size=1, max_size=5).map(" ".join) | st.text(
        PRINTABLE, min_size=max_length, max_size=max_length
    )


def is_clean(text: str, limit: int) -> bool:
    """The documented limits of any text: trimmed, single spaces, 1..limit characters, no control
    characters (nor anything PostgreSQL cannot store)."""
    return (
        0 < len(text) <= limit
        and text == " ".join(text.split())
        and not any(unicodedata.category(char) in ("Cc", "Cs") for char in text)
    )


def outcome(parse, *args: Any) -> Any:
    """The parsed value, or the InvalidInput it raised; any other exception fails the test."""
    try:
        return parse(*args)
    except InvalidInput as exc:
        return exc


# --- a new poll ------------------------------------------------------------------------------------------


@st.composite
def valid_new_polls(draw) -> dict[str, Any]:
    """A create-poll body within every documented limit."""
    labels = draw(
        st.lists(text_of(LABEL_MAX), min_size=OPTIONS_MIN, max_size=OPTIONS_MAX, unique_by=str.casefold)
    )
    body: dict[str, Any] = {"question": draw(text_of(QUESTION_MAX)), "options": labels}
    kind = draw(st.sampled_from([None, *KINDS]))
    if kind is not None:
        body["kind"] = kind
    if kind == "multiple":
        body["max_choices"] = draw(st.none() | st.integers(1, len(labels)))
    elif draw(st.booleans()):
        body["max_choices"] = draw(st.sampled_from([None, 1]))
    return body


def replace_last(labels: list[str], label: Any) -> list[Any]:
    return [*labels[:-1], label]


# Each documented limit of a new poll: how to break it alone, and what the refusal says.
POLL_LIMITS: dict[str, tuple[Callable[[dict[str, Any]], dict[str, Any]], str]] = {
    "question too long": (lambda b: {**b, "question": "q" * (QUESTION_MAX + 1)}, "at most 300 characters"),
    "question blank": (lambda b: {**b, "question": " \t\n "}, "question must not be empty"),
    "question not text": (lambda b: {**b, "question": 42}, "question must be a string"),
    "NUL in the question": (
        lambda b: {**b, "question": b["question"][:-1] + "\x00"},
        "question must not contain control",
    ),
    "lone surrogate in a label": (
        lambda b: {**b, "options": replace_last(b["options"], b["options"][-1][:-1] + "\ud800")},
        "Each option must not contain control",
    ),
    "too few options": (lambda b: {**b, "options": b["options"][:1]}, "2 to 20 options"),
    "too many options": (lambda b: {**b, "options": [f"o{i}" for i in range(OPTIONS_MAX + 1)]}, "2 to 20"),
    "label too long": (
        lambda b: {**b, "options": replace_last(b["options"], "o" * (LABEL_MAX + 1))},
        "at most 120 characters",
    ),
    "label blank": (lambda b: {**b, "options": replace_last(b["options"], "   ")}, "must not be empty"),
    "label not text": (lambda b: {**b, "options": replace_last(b["options"], 7)}, "must be a string"),
    "labels equal but for case": (
        lambda b: {**b, "options": [*b["options"][:-2], "Pizza", "PIZZA"]},
        "different from each other",
    ),
    "unknown kind": (lambda b: {**b, "kind": "ranked"}, "kind must be"),
    "single with more choices": (
        lambda b: {**b, "kind": "single", "max_choices": 2},
        "only to polls of kind",
    ),
    "single with a true choice": (
        lambda b: {**b, "kind": "single", "max_choices": True},
        "only to polls of kind",
    ),
    "more choices than options": (
        lambda b: {**b, "kind": "multiple", "max_choices": len(b["options"]) + 1},
        "between 1 and",
    ),
    "no choice": (lambda b: {**b, "kind": "multiple", "max_choices": 0}, "between 1 and"),
    "fractional choices": (lambda b: {**b, "kind": "multiple", "max_choices": 1.5}, "whole number"),
    "choices not a number": (lambda b: {**b, "kind": "multiple", "max_choices": "2"}, "whole number"),
}


@rules
@given(JSON | st.fixed_dictionaries({}, optional={"question": JSON, "options": JSON, "kind": JSON}))
def test_whatever_the_body_a_new_poll_is_parsed_or_refused_as_invalid_input(body):
    outcome(parse_new_poll, body)


@rules
@given(
    st.fixed_dictionaries(
        {
            "question": ANY_TEXT | text_of(QUESTION_MAX + 10),
            "options": st.lists(ANY_TEXT | text_of(LABEL_MAX + 10), max_size=OPTIONS_MAX + 2),
        },
        optional={"kind": st.sampled_from([*KINDS, "other"]), "max_choices": JSON | st.integers(-1, 22)},
    )
)
def test_an_accepted_poll_keeps_every_documented_limit(body):
    new = outcome(parse_new_poll, body)
    if isinstance(new, InvalidInput):
        return
    assert is_clean(new.question, QUESTION_MAX)
    assert OPTIONS_MIN <= len(new.labels) <= OPTIONS_MAX
    assert all(is_clean(label, LABEL_MAX) for label in new.labels)
    assert len({label.casefold() for label in new.labels}) == len(new.labels)
    assert new.kind in KINDS
    assert 1 <= new.max_choices <= len(new.labels)
    assert new.kind == "multiple" or new.max_choices == 1


@rules
@given(valid_new_polls())
def test_a_poll_within_the_limits_is_accepted_as_written(body):
    new = parse_new_poll(body)
    kind = body.get("kind", "single")
    expected_choices = (body.get("max_choices") or len(body["options"])) if kind == "multiple" else 1
    assert new == NewPoll(body["question"], tuple(body["options"]), kind, expected_choices)


@rules
@given(valid_new_polls(), st.sampled_from(sorted(POLL_LIMITS)))
def test_a_poll_that_breaks_one_limit_is_refused_for_that_limit(body, limit):
    break_it, reason = POLL_LIMITS[limit]
    with pytest.raises(InvalidInput, match=reason):
        parse_new_poll(break_it(body))


# --- a ballot --------------------------------------------------------------------------------------------


@st.composite
def polls(draw) -> Poll:
    ids = draw(st.lists(st.integers(1, 10_000), min_size=OPTIONS_MIN, max_size=OPTIONS_MAX, unique=True))
    kind = draw(st.sampled_from(KINDS))
    max_choices = draw(st.integers(1, len(ids))) if kind == "multiple" else 1
    options = tuple(Option(option_id, f"option {option_id}") for option_id in ids)
    return Poll("ABCDEF", "Question?", kind, max_choices, "open", options)


PART = st.text(st.sampled_from(VOTER_ALPHABET), min_size=22, max_size=22)
# The shape of an id the server issues (polls.voters): two parts of 22 characters of the alphabet, a dot
# between them. Whether it was issued is the service's check (tests/unit/test_voters.py), not the parser's.
VALID_VOTERS = st.builds(lambda random_part, tag: f"{random_part}.{tag}", PART, PART)
# One character from outside the alphabet, a space or a line break as likely as any other.
FOREIGN = st.sampled_from([" ", "\n", "\t", "\x00", ".", "é", "٣"]) | st.characters().filter(
    lambda char: char not in VOTER_ALPHABET
)


def is_valid_voter(voter: Any) -> bool:
    """The voter rule as documented: 22 characters of A-Z, a-z, 0-9, '_' or '-', a dot, 22 more."""
    if not isinstance(voter, str) or voter.count(".") != 1:
        return False
    return all(len(part) == 22 and set(part) <= set(VOTER_ALPHABET) for part in voter.split("."))


# Near misses: a part a character too short or too long, no dot, or one character from outside the alphabet.
VOTERS = (
    VALID_VOTERS
    | st.builds(lambda voter, at: voter[:at] + voter[at + 1 :], VALID_VOTERS, st.integers(0, 44))
    | st.builds(
        lambda voter, extra, at: voter[:at] + extra + voter[at:], VALID_VOTERS, PART, st.integers(0, 45)
    )
    | st.builds(
        lambda voter, extra, at: voter[:at] + extra + voter[at:],
        VALID_VOTERS,
        FOREIGN,
        st.integers(0, 45) | st.just(45),  # 45: at the end
    )
    | JSON
)


@rules
@given(VOTERS)
def test_a_voter_is_accepted_exactly_when_it_keeps_the_voter_rule(voter):
    poll = Poll("ABCDEF", "Q", "single", 1, "open", (Option(1, "a"), Option(2, "b")))
    accepted = not isinstance(outcome(parse_ballot, poll, {"voter": voter, "options": [1]}), InvalidInput)
    assert accepted == is_valid_voter(voter)


@rules
@given(VALID_VOTERS, st.sampled_from([" ", "\n", "\r\n", "\t"]), st.booleans())
def test_a_voter_with_whitespace_around_it_is_refused_not_trimmed(voter, space, before):
    """A voter id is compared as sent: with a line break after it, it would be another voter."""
    poll = Poll("ABCDEF", "Q", "single", 1, "open", (Option(1, "a"), Option(2, "b")))
    with pytest.raises(InvalidInput, match="voter must be"):
        parse_ballot(poll, {"voter": space + voter if before else voter + space, "options": [1]})


@st.composite
def valid_ballots(draw, poll: Poll) -> dict[str, Any]:
    """A ballot body within the rules of the poll: 1..max_choices known options, repeats allowed."""
    chosen = draw(
        st.lists(st.sampled_from(sorted(poll.option_ids)), min_size=1, max_size=poll.max_choices, unique=True)
    )
    repeated = draw(st.lists(st.sampled_from(chosen), max_size=3))
    return {"voter": draw(VALID_VOTERS), "options": draw(st.permutations(chosen + repeated))}


@rules
@given(polls(), JSON | st.fixed_dictionaries({}, optional={"voter": VOTERS, "options": JSON}))
def test_whatever_the_body_a_ballot_is_parsed_or_refused_as_invalid_input(poll, body):
    outcome(parse_ballot, poll, body)


@rules
@given(
    polls().flatmap(
        lambda poll: st.tuples(
            st.just(poll),
            st.fixed_dictionaries(
                {
                    "voter": VOTERS,
                    "options": st.lists(
                        st.sampled_from(sorted(poll.option_ids)) | st.integers() | st.booleans(), max_size=25
                    ),
                }
            ),
        )
    )
)
def test_an_accepted_ballot_has_one_to_max_choices_distinct_known_options(poll_and_body):
    poll, body = poll_and_body
    ballot = outcome(parse_ballot, poll, body)
    if isinstance(ballot, InvalidInput):
        return
    assert 1 <= len(ballot.answer) <= poll.max_choices
    assert list(ballot.answer) == sorted(set(ballot.answer))
    assert set(ballot.answer) <= poll.option_ids
    assert set(ballot.answer) == set(body["options"])
    assert is_valid_voter(ballot.voter)


@rules
@given(polls().flatmap(lambda poll: st.tuples(st.just(poll), valid_ballots(poll))))
def test_a_ballot_within_the_rules_is_accepted_once_per_option(poll_and_body):
    poll, body = poll_and_body
    ballot = parse_ballot(poll, body)
    assert ballot.voter == body["voter"]
    assert ballot.answer == tuple(sorted(set(body["options"])))


@rules
@given(
    polls().flatmap(lambda poll: st.tuples(st.just(poll), valid_ballots(poll))),
    st.sampled_from(["no option", "unknown option", "too many", "not an id", "a bool", "bad voter"]),
    VOTERS.filter(lambda voter: not is_valid_voter(voter)),
)
def test_a_ballot_that_breaks_one_rule_is_refused(poll_and_body, rule, bad_voter):
    poll, body = poll_and_body
    options = list(body["options"])
    match rule:
        case "no option":
            options = []
        case "unknown option":
            options.append(max(poll.option_ids) + 1)
        case "too many":
            options = sorted(poll.option_ids)[: poll.max_choices + 1]
            if len(options) <= poll.max_choices:  # every option is allowed: one unknown instead
                options.append(max(poll.option_ids) + 1)
        case "not an id":
            options.append(str(options[0]))
        case "a bool":
            options.append(True)
        case "bad voter":
            body = {**body, "voter": bad_voter}
    with pytest.raises(InvalidInput):
        parse_ballot(poll, {**body, "options": options})


# --- codes and tokens ------------------------------------------------------------------------------------


@rules
@given(ANY_TEXT)
def test_a_typed_code_is_read_as_a_code_or_not_at_all(typed):
    code = normalise_code(typed)
    assert code is None or (len(code) == CODE_LENGTH and set(code) <= set(CODE_ALPHABET))


@rules
@given(st.text(st.sampled_from(CODE_ALPHABET), min_size=CODE_LENGTH, max_size=CODE_LENGTH), st.data())
def test_a_code_is_read_whatever_its_case_and_spacing(code, data):
    typed = "".join(
        data.draw(st.sampled_from([char, char.lower()])) + data.draw(st.sampled_from(["", " ", "\t"]))
        for char in code
    )
    assert normalise_code(typed) == code
    assert normalise_code(new_join_code()) is not None


@rules
@given(ANY_TEXT, ANY_TEXT)
def test_an_admin_token_matches_its_own_hash_only(token, other):
    """Any header or form field may be the token, bytes that were not UTF-8 included."""
    assert token_matches(hash_token(token), token) == bool(token)
    if other != token:
        assert not token_matches(hash_token(token), other)


# --- results ---------------------------------------------------------------------------------------------


@st.composite
def results(draw) -> Results:
    voters = draw(st.integers(0, 10_000))
    single = draw(st.booleans())
    count = draw(st.integers(OPTIONS_MIN, OPTIONS_MAX))
    if single and voters:  # every voter chose one option: the votes add up to the voters
        cuts = sorted(draw(st.lists(st.integers(0, voters), min_size=count - 1, max_size=count - 1)))
        votes = [b - a for a, b in zip([0, *cuts], [*cuts, voters], strict=True)]
    else:
        votes = draw(st.lists(st.integers(0, voters), min_size=count, max_size=count))
    options = tuple(OptionResult(i + 1, f"option {i + 1}", n) for i, n in enumerate(votes))
    return Results("ABCDEF", draw(st.integers(0, 10**6)), voters, "open", options)


@rules
@given(results())
def test_a_percentage_is_the_rounded_share_of_voters(results):
    for option in results.options:
        percent = results.percent(option)
        assert 0 <= percent <= 100
        if results.voters:
            assert abs(percent - 100 * option.votes / results.voters) <= 0.5
        else:
            assert percent == 0


@rules
@given(results())
def test_more_votes_never_show_a_smaller_percentage(results):
    by_votes = sorted(results.options, key=lambda option: option.votes)
    percents = [results.percent(option) for option in by_votes]
    assert percents == sorted(percents)
    assert results.leading_votes == by_votes[-1].votes


@rules
@given(results())
def test_the_percentages_of_a_single_choice_poll_add_up_to_100_within_rounding(results):
    """Each is rounded on its own (three equal thirds show 33 % each), so the sum is 100 give or take
    half a point per option, or 0 before anyone voted."""
    if sum(option.votes for option in results.options) != results.voters:
        return  # not a single-choice tally
    total = sum(results.percent(option) for option in results.options)
    if results.voters == 0:
        assert total == 0
    else:
        assert abs(total - 100) <= len(results.options) / 2
