"""One error handler: a JSON error under /api, a fragment for htmx, a page otherwise; never a traceback.

Every answer is a PollsError: the JSON error is {"error": English message, "code": stable machine-readable
code}; a page or fragment says the message in the request's language (the gettext catalogs).

A fault of a dependency (PostgreSQL stopped, restarting, out of connections, a connection cut) is not a bug:
every route answers it with 503 and `Retry-After`, and a websocket is closed with 1013 (try again later),
which the pages' hx-ws reconnects after. Anything else unexpected is a bug: 500, logged with its traceback.
"""

from __future__ import annotations

import logging

import asyncpg
from sanic import Request
from sanic.exceptions import BadRequest, MethodNotAllowed, NotFound, PayloadTooLarge, SanicException
from sanic.response import HTTPResponse, json

from polls.errors import N_, Phrase, PollsError, Unavailable
from polls.web import App
from polls.web.render import Templates

log = logging.getLogger("polls.web")

# What the framework refuses before a handler runs, as a person is told it.
_FRIENDLY: dict[type[SanicException], tuple[str, Phrase]] = {
    NotFound: ("not_found", N_("Nothing lives at this address.")),
    MethodNotAllowed: ("method_not_allowed", N_("This address does not take that method.")),
    PayloadTooLarge: ("body_too_large", N_("The request body is too large.")),
    BadRequest: ("malformed_request", N_("The request is malformed.")),
}
_REFUSED = N_("The request could not be handled.")
_BUG = N_("Something went wrong on our side; the request was not completed.")

# What asyncpg raises while PostgreSQL stops, restarts or is out of reach (seen in a restart under load:
# ConnectionRefusedError and ConnectionResetError, CannotConnectNowError "the database system is shutting
# down" / "starting up", ConnectionDoesNotExistError "terminating connection due to administrator command",
# InterfaceError "the underlying connection is closed", InternalClientError "cannot switch to state 15").
_FAULTS = (
    OSError,  # refused, reset, unreachable, a host name that does not resolve (but see _NOT_FAULTS)
    TimeoutError,  # asyncpg's command_timeout, a connect that hangs
    asyncpg.PostgresConnectionError,  # SQLSTATE class 08: the connection failed or broke mid-query
    asyncpg.exceptions.InsufficientResourcesError,  # class 53: too many connections, disk full, out of memory
    asyncpg.exceptions.OperatorInterventionError,  # class 57: shutdown, crash, starting up, query cancelled
    asyncpg.exceptions.PostgresSystemError,  # class 58: I/O error
    asyncpg.exceptions.InternalClientError,  # the protocol's state after its connection was cut
)
# Errors of the file system are ours to fix, not a dependency's outage.
_NOT_FAULTS = (FileNotFoundError, FileExistsError, IsADirectoryError, NotADirectoryError, PermissionError)
# asyncpg's InterfaceError itself means a closed connection; its subclasses (DataError,
# ClientConfigurationError, ...) are mistakes of ours and stay 500.
_CONNECTION_CLOSED = asyncpg.InterfaceError


def wants_json(request: Request) -> bool:
    """An error goes to this request as {"error": ...}: an API path, or a client that asks for JSON."""
    return request.path.startswith("/api") or request.headers.get("Accept", "").startswith("application/json")


def is_fault(exception: BaseException) -> bool:
    """True when a dependency failed (the request may succeed if retried), False for a bug."""
    if isinstance(exception, _NOT_FAULTS):
        return False
    return isinstance(exception, _FAULTS) or type(exception) is _CONNECTION_CLOSED


def describe(exception: Exception) -> PollsError:
    """The error a person may be told for an exception: its status, code and message."""
    if isinstance(exception, PollsError):
        return exception
    for kind, (code, message) in _FRIENDLY.items():
        if isinstance(exception, kind):
            return _answer(exception.status_code, code, message)
    if isinstance(exception, SanicException) and exception.status_code < 500:
        return _answer(exception.status_code, "bad_request", _REFUSED)
    if is_fault(exception):
        log.warning("a dependency failed: %r", exception)
        return Unavailable()
    log.exception("unexpected error", exc_info=exception)
    return _answer(500, "internal_error", _BUG)


def _answer(status: int, code: str, message: Phrase) -> PollsError:
    error = PollsError(message, code=code)
    error.status_code = status
    return error


def setup_errors(app: App, templates: Templates) -> None:
    def render_error(request: Request, exception: Exception) -> HTTPResponse:
        error = describe(exception)
        status = error.status_code
        if wants_json(request):
            response: HTTPResponse = json({"error": error.text(), "code": error.code}, status=status)
        else:
            response = templates.respond(
                request, "error.html", "_error.html", status=status, status_code=status, error=error
            )
        if isinstance(exception, SanicException | PollsError):  # Allow of a 405, Upgrade of a 426
            response.headers.update(exception.headers)
        return response

    app.error_handler.add(Exception, render_error)

    @app.on_response
    async def say_when_to_retry(request: Request, response: HTTPResponse) -> None:
        # Every 503 (a fault, or /healthz of a replica that is stopping or cut off) says when to try again.
        if response.status == 503 and "Retry-After" not in response.headers:
            response.headers["Retry-After"] = str(Unavailable.retry_after)
