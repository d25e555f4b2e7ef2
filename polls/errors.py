"""Errors as types: each carries its HTTP status and a message that is safe to show a person.

Plain exceptions: the domain, the store and the services raise them without knowing any web framework; only
polls.web turns them into answers (a JSON error, a fragment, a page, a websocket close)."""

from __future__ import annotations


class PollsError(Exception):
    status_code = 400
    message = "The request could not be handled."
    quiet = True  # a person's mistake, not ours: not logged (Sanic's error handler reads this attribute)

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message or self.message)


class InvalidInput(PollsError):
    """The request is well-formed but breaks a rule (a question too long, an unknown option...)."""

    status_code = 422
    message = "The request breaks a rule."


class MalformedRequest(PollsError):
    status_code = 400
    message = "The request body must be a JSON object."


class PollNotFound(PollsError):
    status_code = 404
    message = "There is no poll with that code."


class PollClosed(PollsError):
    status_code = 409
    message = "This poll is closed; it takes no more votes."


class Forbidden(PollsError):
    status_code = 403
    message = "A valid admin token is required (Authorization: Bearer <admin_token>)."


class Unavailable(PollsError):
    """A dependency failed; the request may be retried after `retry_after` seconds (every 503 says so in
    its Retry-After header). Never carries a database message."""

    status_code = 503
    message = "The service is briefly unavailable; please try again."
    quiet = False
    retry_after = 1


class Conflict(PollsError):
    """The request contradicts the current state (e.g. editing the options of a question with votes)."""

    status_code = 409
    message = "That is not possible in the current state."


class EventNotFound(PollsError):
    status_code = 404
    message = "There is no event with that code."


class EventQuestion(PollNotFound):
    """A question of an event is reached through its event, whose rules say who sees its results."""

    message = "That code is a question of an event; join the event with the event's code instead."


class ResultsSealed(PollsError):
    """The presenter has not let this audience see these results (yet)."""

    status_code = 403
    message = "These results are not shown to the audience now; the presenter decides when."
