"""Serving one live websocket: take the connection over, register it with the hub, and let it be.

A live URL is a plain GET route whose handler upgrades the connection itself (polls.web.pushsocket): no task
or handler coroutine stays behind per socket; the hub writes to it, and its end unregisters it."""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from sanic import Blueprint, Request
from sanic_ext import openapi

from polls.domain import code_or_not_found
from polls.errors import Forbidden, PollNotFound, PollsError
from polls.live import Hub
from polls.web.errors import is_fault
from polls.web.pushsocket import PushSocket, PushSockets, accept_key, push_only

log = logging.getLogger("polls.live")

# Close codes an htmx client does not reconnect after (4000-4999 are the application's own).
CLOSE_UNKNOWN_POLL = 4404
CLOSE_FORBIDDEN = 4403
# Codes a page's hx-ws does reconnect after: a fault here (try again later), a bug of ours.
CLOSE_TRY_AGAIN_LATER = 1013
CLOSE_INTERNAL_ERROR = 1011


def live_route(blueprint: Blueprint, uri: str) -> Callable[[Any], Any]:
    """A live URL: GET with an upgrade to a push-only websocket. Left out of the OpenAPI document (which
    cannot describe a websocket; its description lists them)."""

    def register(handler: Any) -> Any:
        return blueprint.get(uri)(openapi.exclude()(push_only(handler)))

    return register


async def serve_live(
    request: Request,
    raw_code: str,
    fmt: str,
    hub: Hub,
    not_found: type[PollsError] = PollNotFound,
    admit: Callable[[str], Awaitable[object]] | None = None,
    audience: str | None = None,
    authorise: Callable[[str], Awaitable[object]] | None = None,
) -> None:
    """Upgrade the request and put its socket on the hub. `authorise` may refuse the presenter's sockets
    (closed with 4403); `admit` may refuse the topic (raising `not_found`: told, then closed with 4404)
    before it is watched; `audience` is who watches (a voter id), for topics whose payload depends on it."""
    accept = accept_key(request)  # 426 before anything else when this is not a websocket upgrade
    sockets: PushSockets = request.app.ctx.push_sockets
    socket = sockets.take_over(request, accept)
    try:
        if authorise is not None and not await _authorised(authorise, raw_code, not_found):
            await socket.close(CLOSE_FORBIDDEN, "admin token required")
            return
        code = code_or_not_found(raw_code, not_found)
        if admit is not None:
            await admit(code)
        watcher = await hub.watch(code, fmt, socket.send, socket.write, audience)
    except not_found as exc:
        await socket.send(json.dumps({"type": "error", "error": exc.text(), "code": exc.code}))
        await socket.close(CLOSE_UNKNOWN_POLL, "unknown poll")
        return
    except Exception as exc:
        await _close_after(socket, request, exc)
        return
    if socket.closing:  # the client left while its snapshot was read
        hub.unwatch(watcher)
    else:
        socket.on_lost = lambda: hub.unwatch(watcher)


async def _authorised(
    authorise: Callable[[str], Awaitable[object]], code: str, not_found: type[PollsError]
) -> bool:
    """A presenter's socket without a valid token, or for a topic that does not exist, learns only that it
    needs the token."""
    try:
        await authorise(code)
    except (Forbidden, not_found):
        return False
    return True


async def _close_after(socket: PushSocket, request: Request, exc: Exception) -> None:
    # Never 1000 (normal closure), after which a page's hx-ws does not reconnect: a screen that connected
    # during a database restart would stay dark for good.
    if is_fault(exc):
        log.warning("websocket %s: a dependency failed: %r", request.path, exc)
        await socket.close(CLOSE_TRY_AGAIN_LATER, "service briefly unavailable")
    else:
        log.exception("websocket %s failed", request.path, exc_info=exc)
        await socket.close(CLOSE_INTERNAL_ERROR, "internal error")
