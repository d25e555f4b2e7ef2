"""Shapes of the JSON API for the OpenAPI page (validation itself is the domain's rules)."""

from __future__ import annotations

from dataclasses import dataclass, field, make_dataclass
from typing import Any, Union

from polls.kinds import KINDS

# The bodies of a new question and of a ballot: one shape per kind (its module's), so the document says
# each kind's settings and answer; a standalone poll is of no timed kind (a quiz is an event's).
NEW_QUESTION: Any = Union[  # noqa: UP007
    tuple(dict.fromkeys(kind.shapes[0] for kind in KINDS.values() if not kind.timed))
]
ANSWER: Any = Union[tuple(dict.fromkeys(kind.shapes[1] for kind in KINDS.values()))]  # noqa: UP007
# An event's question: a new question of its kind, and who sees its results.
EVENT_QUESTION: Any = Union[  # noqa: UP007
    tuple(
        make_dataclass(
            f"Event{shape.__name__}",
            [("visibility", str, field(default="after_vote"))],  # always, after_vote, after_close, presenter
            bases=(shape,),
        )
        for shape in dict.fromkeys(kind.shapes[0] for kind in KINDS.values())
    )
]


@dataclass
class NewEvent:
    title: str
    questions: list[EVENT_QUESTION]  # up to 50, in order


@dataclass
class OptionOut:
    id: int
    label: str


@dataclass
class Urls:
    vote: str
    present: str
    admin: str


@dataclass
class PollOut:
    code: str
    question: str
    kind: str
    max_choices: int
    status: str
    options: list[OptionOut]
    urls: Urls


@dataclass
class CreatedPoll(PollOut):
    admin_token: str


@dataclass
class NewVoter:
    voter: str


@dataclass
class VoteAccepted:
    accepted: bool
    version: int


@dataclass
class OptionResultOut:
    id: int
    label: str
    votes: int


@dataclass
class ResultsOut:
    code: str
    version: int
    voters: int
    status: str
    options: list[OptionResultOut]


@dataclass
class Moderate:
    entry: str  # a word cloud's entry, or an open text's answer id (a number)
    action: str  # "show" or "hide"


@dataclass
class Error:
    error: str  # in English, for a person (the pages say it in the person's language)
    code: str  # stable and machine-readable: "poll_closed", "too_many_choices", "results_sealed", ...


@dataclass
class QaSettingsIn:
    enabled: bool  # Q&A on or off (off when an event is made)
    moderation: str  # "off" (questions show at once) or "approve" (they wait for the presenter)


@dataclass
class QaQuestionIn:
    voter: str  # an id from POST /api/voters
    text: str  # 1 to 280 characters


@dataclass
class QaAsked:
    id: int
    text: str
    state: str  # "shown", or "pending" while it waits for the presenter


@dataclass
class QaVoteIn:
    voter: str
    up: bool = True  # false withdraws this voter's upvote


@dataclass
class QaVoteOut:
    question: int
    upvoted: bool
    votes: int


@dataclass
class QaQuestionOut:
    id: int
    text: str
    votes: int
    answered: bool
    pinned: bool
    asked_at: str
    state: str  # the presenter's only: shown, pending, held (the profanity filter) or hidden


@dataclass
class QaBoardOut:
    code: str
    version: int
    enabled: bool
    moderation: str
    pinned: int | None
    questions: list[QaQuestionOut]
