"""Audience Q&A of an event: participants ask questions and upvote them; the presenter moderates.

The board is one snapshot per event (QaBoard), versioned by the event's qa_version, which every Q&A change
bumps in its own transaction. The board carries the presenter's view (every question, whatever its state);
the audience channels (phones, projector, public JSON and its socket) are only ever given for_audience(),
which keeps the shown questions alone: a question waiting for approval, held by the profanity filter or
hidden never leaves the presenter's channels. Pure rules only: no web framework, no SQL."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from polls.errors import N_, Conflict, InvalidInput, PollsError
from polls.profanity import is_profane
from polls.text import clean_text, whole_number

TEXT_MAX = 280
QUESTION_TEXT = N_("The question")
MODERATIONS = ("off", "approve")
STATES = ("shown", "pending", "held", "hidden")
ORDERS = ("top", "new")
# What the audience screens list at most (the presenter's view lists every question).
AUDIENCE_MAX = 50
# Per voter and event, within one window of LIMIT_WINDOW seconds (counted in PostgreSQL, so over every
# replica): questions asked, and upvotes given or withdrawn. Per address, HAProxy limits them too.
QUESTIONS_PER_WINDOW = 5
VOTES_PER_WINDOW = 120
LIMIT_WINDOW = 60
# The presenter's actions on one question.
ACTIONS = ("approve", "hide", "answer", "unanswer", "pin", "unpin")


class QaOff(Conflict):
    code = "qa_off"
    message = N_("Questions from the audience are switched off for this event.")


class QaQuestionNotFound(PollsError):
    status_code = 404
    code = "qa_question_not_found"
    message = N_("This event has no such question (any more).")


class QaTooMany(PollsError):
    """A voter asked or voted more often than the limits allow, whatever the replica it reached."""

    status_code = 429
    code = "rate_limited"
    message = N_("Too many questions or votes from this phone; try again in a minute.")


@dataclass(frozen=True)
class QaQuestion:
    id: int
    text: str
    state: str  # shown, pending (approve first), held (the profanity filter) or hidden
    votes: int
    answered: bool
    pinned: bool
    asked_at: datetime
    author: str | None = None  # the asker's nickname, if they chose to show it (and have one)

    def as_dict(self, presenter: bool = False) -> dict[str, Any]:
        body: dict[str, Any] = {
            "id": self.id,
            "text": self.text,
            "author": self.author,
            "votes": self.votes,
            "answered": self.answered,
            "pinned": self.pinned,
            "asked_at": self.asked_at.isoformat(),
        }
        if presenter:
            body["state"] = self.state
        return body


@dataclass(frozen=True)
class QaBoard:
    """An event's Q&A as every screen shows it: on or off, how it is moderated, and its questions."""

    code: str  # the event's
    version: int
    enabled: bool
    moderation: str
    questions: tuple[QaQuestion, ...]

    def for_audience(self) -> QaBoard:
        """Only what the audience may see: the shown questions (never pending, held or hidden ones)."""
        return replace(self, questions=tuple(q for q in self.questions if q.state == "shown"))

    @property
    def pinned(self) -> QaQuestion | None:
        return next((q for q in self.questions if q.pinned and q.state == "shown"), None)

    def in_state(self, state: str) -> list[QaQuestion]:
        return [q for q in self.questions if q.state == state]

    def ordered(self, order: str = "top") -> list[QaQuestion]:
        """The shown questions as a list shows them: the open ones first, then the answered; within each,
        most votes first (ties: the earlier asked), or newest first."""
        shown = [q for q in self.questions if q.state == "shown"]
        if order == "new":
            shown.sort(key=lambda q: (q.answered, -q.id))
        else:
            shown.sort(key=lambda q: (q.answered, -q.votes, q.id))
        return shown

    def as_dict(self, presenter: bool = False) -> dict[str, Any]:
        """The board as the API and the bus carry it; the audience's without what only the presenter sees."""
        board = self if presenter else self.for_audience()
        pinned = board.pinned
        questions = board.questions if presenter else tuple(board.ordered()[:AUDIENCE_MAX])
        return {
            "code": self.code,
            "version": self.version,
            "enabled": self.enabled,
            "moderation": self.moderation,
            "pinned": pinned.id if pinned else None,
            "questions": [q.as_dict(presenter) for q in questions],
        }


def board_from_dict(data: dict[str, Any]) -> QaBoard:
    """A board as the bus carried it (the presenter's as_dict)."""
    return QaBoard(
        str(data["code"]),
        int(data["version"]),
        bool(data["enabled"]),
        str(data["moderation"]),
        tuple(
            QaQuestion(
                int(q["id"]),
                str(q["text"]),
                str(q["state"]),
                int(q["votes"]),
                bool(q["answered"]),
                bool(q["pinned"]),
                datetime.fromisoformat(q["asked_at"]),
                q.get("author"),
            )
            for q in data["questions"]
        ),
    )


@dataclass(frozen=True)
class QaSettings:
    enabled: bool | None  # None: unchanged
    moderation: str | None


def parse_text(value: Any) -> str:
    """A question as it is stored and shown: cleaned as every text is, in Unicode NFC."""
    return unicodedata.normalize("NFC", clean_text(value, QUESTION_TEXT, TEXT_MAX))


def state_of_new(text: str, moderation: str) -> str:
    """Where a new question goes: held if the profanity filter matches it (moderation on or off), waiting
    for approval under approve-first, else straight to every screen."""
    if is_profane(text):
        return "held"
    return "pending" if moderation == "approve" else "shown"


def parse_settings(body: Any) -> QaSettings:
    """{"enabled": true|false, "moderation": "off"|"approve"}: either or both."""
    if not isinstance(body, dict) or not ({"enabled", "moderation"} & body.keys()):
        raise InvalidInput(
            N_('The body must be {"enabled": true or false, "moderation": "off" or "approve"}.'),
            code="qa_settings_invalid",
        )
    enabled = body.get("enabled")
    if enabled is not None and not isinstance(enabled, bool):
        raise InvalidInput(N_("enabled must be true or false."), code="qa_settings_invalid")
    moderation = body.get("moderation")
    if moderation is not None and moderation not in MODERATIONS:
        raise InvalidInput(N_("moderation must be 'off' or 'approve'."), code="qa_settings_invalid")
    return QaSettings(enabled, moderation)


def parse_up(value: Any) -> bool:
    """Whether a vote upvotes (true) or withdraws the voter's upvote (false); a form sends the words."""
    if isinstance(value, bool):
        return value
    if value in ("true", "false"):
        return bool(value == "true")
    raise InvalidInput(N_("up must be true (upvote) or false (withdraw)."), code="qa_vote_invalid")


def parse_named(value: Any) -> bool:
    """Whether a question is asked with the asker's nickname ("named": true or false)."""
    if not isinstance(value, bool):
        raise InvalidInput(N_("named must be true or false."), code="qa_named_invalid")
    return value


def parse_question_id(value: Any) -> int:
    """A question's id, as a number in JSON or the text of a form or a path."""
    number = value if isinstance(value, int) and not isinstance(value, bool) else None
    if isinstance(value, str):
        number = whole_number(value)
    if number is None or not 0 < number < 2**63:
        raise InvalidInput(N_("question must be the id of a question."), code="qa_question_invalid")
    return number


def parse_action(value: Any) -> str:
    if value not in ACTIONS:
        raise InvalidInput(
            N_("action must be one of %(choices)s."), code="action_unknown", choices=", ".join(ACTIONS)
        )
    return str(value)


def parse_order(value: Any) -> str:
    """A list's order (a page's ?order=): by votes ("top", the default) or newest first ("new")."""
    return "new" if value == "new" else "top"
