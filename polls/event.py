"""An event: a titled, ordered list of questions that a presenter moves through live; its pure rules."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from polls.domain import NewPoll, Poll, Results, parse_new_poll
from polls.errors import N_, InvalidInput, NotAnObject
from polls.kinds import kind_of
from polls.quiz import Leaderboard
from polls.text import clean_text

TITLE_MAX = 200
TITLE_TEXT = N_("The title")
QUESTIONS_MAX = 50
COUNTDOWN_MAX = 3600
VISIBILITIES = ("always", "after_vote", "after_close", "presenter")
# How long a presenter may undo a Delete or a New round (the control view offers it that long).
UNDO_SECONDS = 15


@dataclass(frozen=True)
class Question:
    """A poll as one question of an event, with how it is presented."""

    poll: Poll
    position: int
    visibility: str
    revealed: bool
    closes_at: datetime | None
    round: int

    @property
    def code(self) -> str:
        return self.poll.code

    @property
    def status(self) -> str:
        return self.poll.status

    @property
    def timed(self) -> bool:
        """A quiz question: the presenter starts it; it runs for its time limit on the database's clock."""
        return kind_of(self.poll.kind).timed

    def as_dict(self, presenter: bool = False) -> dict[str, Any]:
        """The question as the API shows it; for the presenter (and the bus, which carries the presenter's
        view to every replica; bus.messages reads it back) with the settings no audience is sent."""
        poll = self.poll
        sealed = () if presenter else kind_of(poll.kind).sealed_settings
        return {
            "code": poll.code,
            "position": self.position,
            "question": poll.question,
            "kind": poll.kind,
            "max_choices": poll.max_choices,
            # the kind's own (a scale's ends), {} for a choice
            "settings": {key: value for key, value in poll.settings.items() if key not in sealed},
            "status": poll.status,
            "options": [{"id": o.id, "label": o.label} for o in poll.options],
            "visibility": self.visibility,
            "revealed": self.revealed,
            "closes_at": self.closes_at.isoformat() if self.closes_at else None,
            "round": self.round,
        }


@dataclass(frozen=True)
class Undo:
    """The latest change of an event that may still be undone: a question deleted ("delete") or a new round
    started ("reset"), until the given moment."""

    action: str
    question: str  # the question's poll code
    text: str  # the question, as the presenter wrote it
    until: datetime

    def as_dict(self) -> dict[str, Any]:
        return {
            "action": self.action,
            "question": self.question,
            "text": self.text,
            "until": self.until.isoformat(),
        }


@dataclass(frozen=True)
class Event:
    code: str
    title: str
    version: int
    live: str | None  # the code of the live question's poll
    questions: tuple[Question, ...]
    ended: bool = False  # the presenter ended it: every screen says so, no question is live
    undo: Undo | None = None  # what the presenter may still undo (the control view offers it)

    def question(self, poll_code: str) -> Question | None:
        return next((q for q in self.questions if q.code == poll_code), None)

    @property
    def quiz(self) -> bool:
        """Whether any of its questions is a quiz's: then it has a leaderboard, and players nicknames."""
        return any(q.timed for q in self.questions)

    @property
    def live_question(self) -> Question | None:
        return self.question(self.live) if self.live else None


@dataclass(frozen=True)
class EventView:
    """What every screen of an event shows, pushed live: the event's state and its live question's results.

    Its version orders views: a change to the event bumps the first part, a vote the second; a switch of
    question bumps the first, so the new question's smaller results version still counts as newer."""

    event: Event
    results: Results | None
    # The quiz's leaderboard, while every screen shows it: after a quiz question closed and was revealed,
    # and (its podium) once the event ended. Read with the view; no vote changes it then.
    board: Leaderboard | None = None

    @property
    def code(self) -> str:
        return self.event.code

    @property
    def version(self) -> tuple[int, int]:
        return (self.event.version, self.results.version if self.results else 0)

    @property
    def question(self) -> Question | None:
        return self.event.live_question

    def with_results(self, results: Results) -> EventView:
        return replace(self, results=results)

    @property
    def audience_sees_results(self) -> bool:
        """Whether the projector may show the results now (and a phone, once it voted, where the question's
        results are for those who voted)."""
        question = self.question
        if question is None or self.results is None or not question.revealed:
            return False
        if question.timed and question.status == "open":  # a quiz's tally tells its answer
            return False
        if question.visibility in ("always", "after_vote"):
            return True
        return question.visibility == "after_close" and question.status == "closed"

    @property
    def results_public(self) -> bool:
        """Whether anyone may see the results now, a phone that has not voted and any API client too."""
        question = self.question
        return self.audience_sees_results and question is not None and question.visibility != "after_vote"

    def participant_sees_results(self, voted: bool) -> bool:
        """Whether a participant's phone is sent the results: when everyone may see them, or, where the
        question shows them to those who voted (after_vote), once this phone's voter has a ballot."""
        return self.results_public or (voted and self.audience_sees_results)


@dataclass(frozen=True)
class NewQuestion:
    """A question to add to an event: the poll it asks, and who sees its results (VISIBILITIES)."""

    poll: NewPoll
    visibility: str


@dataclass(frozen=True)
class NewEvent:
    """A new event: its title and its questions, in order."""

    title: str
    questions: tuple[NewQuestion, ...]


def parse_new_question(body: Any) -> NewQuestion:
    poll = parse_new_poll(body)
    visibility = body.get("visibility", "always")
    if visibility not in VISIBILITIES:
        raise InvalidInput(
            N_("visibility must be one of %(choices)s."),
            code="visibility_unknown",
            choices=", ".join(VISIBILITIES),
        )
    return NewQuestion(poll, visibility)


def parse_new_event(body: Any) -> NewEvent:
    if not isinstance(body, dict):
        raise NotAnObject()
    title = clean_text(body.get("title"), TITLE_TEXT, TITLE_MAX)
    questions = body.get("questions", [])
    if not isinstance(questions, list) or len(questions) > QUESTIONS_MAX:
        raise InvalidInput(
            N_("questions must be a list of at most %(max)s questions."),
            code="questions_invalid",
            max=QUESTIONS_MAX,
        )
    parsed = []
    for number, question in enumerate(questions, start=1):
        try:
            parsed.append(parse_new_question(question))
        except InvalidInput as exc:
            raise InvalidInput(
                N_("Question %(number)s: %(reason)s"), code=exc.code, number=number, reason=exc
            ) from None
    return NewEvent(title, tuple(parsed))


def parse_countdown(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= COUNTDOWN_MAX:
        raise InvalidInput(
            N_("The countdown must be a whole number of seconds from 1 to %(max)s."),
            code="countdown_invalid",
            max=COUNTDOWN_MAX,
        )
    return value


def parse_title(body: Any) -> str:
    """A rename: {"title": ...}."""
    if not isinstance(body, dict):
        raise NotAnObject()
    return clean_text(body.get("title"), TITLE_TEXT, TITLE_MAX)


def parse_live(body: Any) -> tuple[str | None, bool]:
    """{"question": code or null, "open": true}: the question to put live, and whether to open its voting."""
    if not isinstance(body, dict) or "question" not in body:
        raise InvalidInput(N_('The body must be {"question": code or null}.'), code="live_invalid")
    question = body["question"]
    if question is not None and not isinstance(question, str):
        raise InvalidInput(N_("question must be a question code or null."), code="live_invalid")
    return question, body.get("open", True) is not False


def parse_order(body: Any) -> list[str]:
    """{"order": [question codes]}: a new order of the event's questions."""
    value = body.get("order") if isinstance(body, dict) else None
    if not isinstance(value, list) or not all(isinstance(code, str) for code in value):
        raise InvalidInput(N_("order must be a list of question codes."), code="order_invalid")
    return value


def check_order(order: list[str], current: tuple[Question, ...]) -> list[str]:
    """The order names each of the event's questions exactly once."""
    if sorted(order) != sorted(q.code for q in current):
        raise InvalidInput(
            N_("order must name every question of the event exactly once."), code="order_invalid"
        )
    return order
