"""The poll's data and its pure rules: what a valid poll and a valid ballot are, and how results read."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any

from polls.errors import N_, InvalidInput, NotAnObject
from polls.kinds import Answer, OptionResult, kind_of
from polls.kinds.choice import OPTIONS_RANGE
from polls.text import clean_text
from polls.voters import VOTER_ID

QUESTION_MAX = 300
LABEL_MAX = 120
OPTIONS_MIN, OPTIONS_MAX = OPTIONS_RANGE  # a choice question's

# Join codes avoid characters that are confused when read aloud or from a projector (0/O, 1/I/L).
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 6
_CODE = re.compile(rf"^[{CODE_ALPHABET}]{{{CODE_LENGTH}}}$")


class Action(StrEnum):
    """What a presenter does to a question, by the name the APIs and the control forms use: one table for a
    standalone poll and an event's question (a standalone poll takes open and close)."""

    OPEN = "open"
    CLOSE = "close"
    REVEAL = "reveal"
    HIDE = "hide"
    RESET = "reset"

    @property
    def status(self) -> str:
        """The voting status that open and close set."""
        return "open" if self is Action.OPEN else "closed"


class VoterNotIssued(InvalidInput):
    """A ballot from a voter id this system did not issue (see polls.voters)."""

    code = "voter_not_issued"
    message = N_("voter must be an id issued by POST /api/voters.")


def parse_action(name: str) -> Action:
    try:
        return Action(name)
    except ValueError:
        raise InvalidInput(
            N_("Unknown action %(action)s."), code="action_unknown", action=repr(name)
        ) from None


@dataclass(frozen=True)
class Option:
    id: int
    label: str


@dataclass(frozen=True)
class Poll:
    code: str
    question: str
    kind: str
    max_choices: int
    status: str
    options: tuple[Option, ...]
    # A question of an event can be edited while it has no votes, so it is never cached.
    in_event: bool = False
    settings: Mapping[str, Any] = field(default_factory=dict)  # its kind's own (a scale's ends...)

    @property
    def option_ids(self) -> frozenset[int]:
        return frozenset(option.id for option in self.options)


@dataclass(frozen=True)
class NewPoll:
    question: str
    labels: tuple[str, ...]
    kind: str
    max_choices: int
    settings: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Ballot:
    voter: str
    answer: Answer  # as its kind stores it: option ids, ratings, a ranking; entries, a text
    held: tuple[str, ...] = ()  # what of it the profanity filter holds for review (its kind's keys)
    final: bool = False  # its kind's answers are final: once stored, another answer of its voter is refused


@dataclass(frozen=True)
class Committed:
    """A batch of ballots as committed: the results as of its commit, and the voters whose ballot was
    refused (a final answer of theirs was already stored, and this one differs)."""

    results: Results
    refused: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Results:
    code: str
    version: int
    voters: int
    status: str
    options: tuple[OptionResult, ...]
    kind: str = "single"  # the question's kind: which template shows the tally (not part of the API's JSON)
    detail: Mapping[str, Any] = field(default_factory=dict)  # the kind's own figures beside its lines

    def percent(self, option: OptionResult) -> int:
        """Share of voters who chose the option, rounded; 0 before anyone voted."""
        return round(100 * option.votes / self.voters) if self.voters else 0

    @property
    def leading_votes(self) -> int:
        return max((option.votes for option in self.options), default=0)

    def as_dict(self, presenter: bool = False) -> dict[str, Any]:
        """The results as the API and the bus carry them; only for the presenter (and the bus, which
        carries the presenter's view to every replica) with what the audience is never sent: the entries
        waiting for review and the hidden ones (see for_audience)."""
        shown = self if presenter else self.for_audience()
        return {
            "code": self.code,
            "version": self.version,
            "voters": self.voters,
            "status": self.status,
            "options": [{"id": o.id, "label": o.label, "votes": o.votes} for o in self.options],
            **shown.detail,
        }

    def for_audience(self) -> Results:
        """The results without what only the presenter is sent (its kind's moderation names it)."""
        moderation = kind_of(self.kind).moderation
        if moderation is None:
            return self
        private = moderation.presenter_only
        return replace(self, detail={k: v for k, v in self.detail.items() if k not in private})


def new_join_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def new_admin_token() -> str:
    return secrets.token_urlsafe(24)


def hash_token(token: str) -> str:
    """Admin tokens are stored hashed: a leaked database does not leak control of the polls."""
    # surrogatepass: a header or form field that was not UTF-8 reaches here with surrogates in it; it
    # must hash (and not match) rather than fail.
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def token_matches(expected_hash: str, token: str | None) -> bool:
    return bool(token) and bool(expected_hash) and hmac.compare_digest(expected_hash, hash_token(token or ""))


def normalise_code(raw: str) -> str | None:
    """A code as a person types it (any case, spaces) -> the canonical code, or None if it cannot be one."""
    code = "".join(str(raw).split()).upper()
    return code if _CODE.match(code) else None


def code_or_not_found(raw: str, not_found: type[Exception]) -> str:
    """The canonical code, or the given not-found error if the text cannot be a code."""
    code = normalise_code(raw)
    if code is None:
        raise not_found()
    return code


# The texts a person writes, as the messages about them name them.
QUESTION_TEXT = N_("The question")
OPTION_TEXT = N_("Each option")


def parse_new_poll(body: Any) -> NewPoll:
    """Validate a create-poll request (JSON or form, already decoded into a dict)."""
    if not isinstance(body, dict):
        raise NotAnObject()
    question = clean_text(body.get("question"), QUESTION_TEXT, QUESTION_MAX)
    kind = kind_of(body.get("kind", "single"))
    fewest, most = kind.options_range
    raw_options = body.get("options", [] if fewest == 0 else None)
    if not isinstance(raw_options, list):
        raise InvalidInput(N_("options must be a list of strings."), code="options_invalid")
    labels = tuple(clean_text(o, OPTION_TEXT, LABEL_MAX) for o in raw_options)
    if labels and most == 0:
        raise InvalidInput(
            N_("A question of this kind is answered in words: leave its options empty."),
            code="options_not_taken",
        )
    if not fewest <= len(labels) <= most:
        raise InvalidInput(
            N_("A question needs %(min)s to %(max)s options."), code="options_count", min=fewest, max=most
        )
    if len({label.casefold() for label in labels}) != len(labels):
        raise InvalidInput(N_("Options must be different from each other."), code="options_not_distinct")
    max_choices, settings = kind.settings(body, labels)
    # A kind that may take no options (a scale that rates its question) has one line, without a label.
    return NewPoll(question, labels or ("",), kind.name, max_choices, settings)


def parse_ballot(poll: Poll, body: Any) -> Ballot:
    """Validate a vote against the poll it is for."""
    if not isinstance(body, dict):
        raise NotAnObject()
    voter = body.get("voter")
    if not isinstance(voter, str) or not VOTER_ID.fullmatch(voter):
        raise VoterNotIssued()
    kind = kind_of(poll.kind)
    answer = kind.choices(poll, body)
    held = kind.moderation.held(voter, answer, poll.settings) if kind.moderation is not None else ()
    return Ballot(voter, answer, held, kind.final_answers)
