"""Errors as types: each carries its HTTP status, a stable machine-readable `code`, and a message that is safe
to show a person, in English and through gettext in the person's language.

Plain exceptions: the domain, the store and the services raise them without knowing any web framework; only
polls.web turns them into answers (a JSON error, a fragment, a page, a websocket close).

A message is written once, in English, marked with N_ (or NP_ for one that depends on a number), so that
pybabel finds it (`-k NP_:1,2`) and the German catalog must translate it; a message's variable parts are
%(name)s fields filled when it is shown, and a field's value marked with N_ is itself translated."""

from __future__ import annotations

from collections.abc import Mapping
from typing import NamedTuple, Protocol


class Phrase(str):
    """Text for a person, in English, that gettext translates where it is shown."""


class Plural(NamedTuple):
    """A message whose words depend on a number (its `count`): ngettext picks the form."""

    singular: Phrase
    plural: Phrase


def N_(message: str) -> Phrase:
    return Phrase(message)


def NP_(singular: str, plural: str) -> Plural:
    return Plural(Phrase(singular), Phrase(plural))


class Translations(Protocol):
    """What a message needs of a language's catalog (gettext.NullTranslations and its subclasses)."""

    def gettext(self, message: str, /) -> str: ...

    def ngettext(self, singular: str, plural: str, n: int, /) -> str: ...


class English:
    """The source language: every message as written."""

    @staticmethod
    def gettext(message: str, /) -> str:
        return message

    @staticmethod
    def ngettext(singular: str, plural: str, n: int, /) -> str:
        return singular if n == 1 else plural


ENGLISH = English()
Value = str | int | Phrase


class PollsError(Exception):
    status_code = 400
    code = "bad_request"
    message: Phrase | Plural = N_("The request could not be handled.")
    quiet = True  # a person's mistake, not ours: not logged (Sanic's error handler reads this attribute)
    headers: Mapping[str, str] = {}  # what the answer must carry besides (as Sanic's own errors have)

    def __init__(
        self,
        message: Phrase | Plural | None = None,
        *,
        code: str | None = None,
        count: int | None = None,
        **params: Value | PollsError,
    ) -> None:
        if message is not None:
            self.message = message
        if code is not None:
            self.code = code
        self.count = count
        self.params = params
        super().__init__(self.text())

    def text(self, translations: Translations = ENGLISH) -> str:
        """The message in the catalog's language, its %(name)s fields filled (Phrase values translated)."""
        if isinstance(self.message, Plural):
            count = self.count if self.count is not None else 0
            template = translations.ngettext(*self.message, count)
            values: dict[str, object] = {"num": count}
        else:
            template = translations.gettext(self.message)
            values = {}
        for name, value in self.params.items():
            if isinstance(value, PollsError):
                values[name] = value.text(translations)
            elif isinstance(value, Phrase):
                values[name] = translations.gettext(value)
            else:
                values[name] = value
        return template % values if values else template


class InvalidInput(PollsError):
    """The request is well-formed but breaks a rule (a question too long, an unknown option...)."""

    status_code = 422
    code = "invalid_input"
    message = N_("The request breaks a rule.")


class NotAnObject(InvalidInput):
    code = "body_not_object"
    message = N_("The request body must be a JSON object.")


class MalformedRequest(PollsError):
    status_code = 400
    code = "malformed_request"
    message = N_("The request body must be a JSON object.")


class PollNotFound(PollsError):
    status_code = 404
    code = "poll_not_found"
    message = N_("There is no poll with that code.")


class PollClosed(PollsError):
    status_code = 409
    code = "poll_closed"
    message = N_("This poll is closed; it takes no more votes.")


class Forbidden(PollsError):
    status_code = 403
    code = "admin_token_invalid"
    message = N_(
        "This link or admin token does not give control; use the secret link you got on creating it."
    )


class Unavailable(PollsError):
    """A dependency failed; the request may be retried after `retry_after` seconds (every 503 says so in
    its Retry-After header). Never carries a database message."""

    status_code = 503
    code = "unavailable"
    message = N_("The service is briefly unavailable; please try again.")
    quiet = False
    retry_after = 1


class Conflict(PollsError):
    """The request contradicts the current state (e.g. editing the options of a question with votes)."""

    status_code = 409
    code = "conflict"
    message = N_("That is not possible in the current state.")


class EventNotFound(PollsError):
    status_code = 404
    code = "event_not_found"
    message = N_("There is no event with that code.")


class EventQuestion(PollNotFound):
    """A question of an event is reached through its event, whose rules say who sees its results."""

    code = "event_question"
    message = N_("That code is a question of an event; join the event with the event's code instead.")


class QuestionNotFound(PollNotFound):
    code = "question_not_found"
    message = N_("There is no question with that code in this event.")


class NotInEvent(InvalidInput):
    code = "question_not_in_event"
    message = N_("That question is not part of this event.")


class ResultsSealed(PollsError):
    """The presenter has not let this audience see these results (yet)."""

    status_code = 403
    code = "results_sealed"
    message = N_("These results are not shown to the audience now; the presenter decides when.")


class EntryNotFound(PollsError):
    """A presenter's moderation named an entry the question does not have (any more)."""

    status_code = 404
    code = "entry_not_found"
    message = N_("This question has no such answer (any more).")


class AnswerFinal(Conflict):
    """A second, different answer to a question whose answers are final (a quiz's, once locked in)."""

    code = "answer_final"
    message = N_("Your answer is locked in; it cannot be changed.")


class AnswerLate(InvalidInput):
    """A ballot after the question's time ran out (before the closer marked it closed)."""

    code = "answer_late"
    message = N_("Time is up: this question takes no more answers.")


class NicknameTaken(Conflict):
    code = "nickname_taken"
    message = N_("Someone in this event already has that nickname; please choose another.")
