"""One error handler: a JSON error under /api, a fragment for htmx, a page otherwise; never a traceback."""

from __future__ import annotations

import logging

import asyncpg
from sanic import Request, Sanic
from sanic.exceptions import BadRequest, MethodNotAllowed, NotFound, PayloadTooLarge, SanicException
from sanic.response import HTTPResponse, json

from polls.errors import PollsError, Unavailable
from polls.web.render import Templates

log = logging.getLogger("polls.web")

_FRIENDLY = {
    NotFound: "Nothing lives at this address.",
    MethodNotAllowed: "This address does not take that method.",
    PayloadTooLarge: "The request body is too large.",
}
_UNAVAILABLE = (OSError, TimeoutError, asyncpg.PostgresConnectionError, asyncpg.InterfaceError)


def describe(exception: Exception) -> tuple[int, str]:
    """The status and the message a person may see for an exception."""
    if isinstance(exception, PollsError):
        return exception.status_code, str(exception) or exception.message
    for kind, message in _FRIENDLY.items():
        if isinstance(exception, kind):
            return exception.status_code, message
    if isinstance(exception, BadRequest):
        return 400, "The request is malformed."
    if isinstance(exception, SanicException) and exception.status_code < 500:
        return exception.status_code, str(exception) or "The request could not be handled."
    if isinstance(exception, _UNAVAILABLE):
        log.warning("a dependency failed: %r", exception)
        return Unavailable.status_code, Unavailable.message
    log.exception("unexpected error", exc_info=exception)
    return 500, "Something went wrong on our side; the request was not completed."


def setup_errors(app: Sanic, templates: Templates) -> None:
    def render_error(request: Request, exception: Exception) -> HTTPResponse:
        status, message = describe(exception)
        if request.path.startswith("/api") or request.headers.get("Accept", "").startswith(
            "application/json"
        ):
            response = json({"error": message}, status=status)
        else:
            response = templates.respond(
                request, "error.html", "_error.html", status=status, status_code=status, message=message
            )
        if isinstance(exception, MethodNotAllowed):
            response.headers.update(exception.headers)
        return response

    app.error_handler.add(Exception, render_error)
