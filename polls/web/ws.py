"""The websockets of a replica: live JSON for API clients, live HTML fragments for the pages.

Each registers its socket with a hub and holds it until the client leaves (polls.web.live.serve_live). They
are left out of the OpenAPI document (which cannot describe a websocket); its description lists them."""

from __future__ import annotations

from typing import Any

from sanic import Blueprint, Request

from polls.errors import EventNotFound, Forbidden, PollNotFound
from polls.event_live import EventHub
from polls.event_service import EventService
from polls.live import Hub
from polls.service import PollService
from polls.voters import VoterIds
from polls.web.i18n import negotiate
from polls.web.live import serve_live
from polls.web.pages import VOTER_COOKIE
from polls.web.security import admin_token

sockets = Blueprint("sockets")


def language(request: Request) -> str:
    """A page's socket speaks the page's language, which the page puts in its URL (?lang=)."""
    return negotiate(None, request.args.get("lang"))


@sockets.websocket("/api/polls/<code:str>/live")
async def poll_results(request: Request, ws: Any, code: str, hub: Hub, polls: PollService) -> None:
    """Live results as JSON: a snapshot at once, then one message per change"""
    await serve_live(ws, code, "json", hub, admit=polls.check_standalone)


@sockets.websocket("/api/events/<code:str>/live")
async def event_state(request: Request, ws: Any, code: str, event_hub: EventHub) -> None:
    """Every change an audience screen needs, as JSON: question switched, opened, closed, revealed, results"""
    await serve_live(ws, code, "json", event_hub, EventNotFound)


@sockets.websocket("/p/<code:str>/live")
async def poll_fragments(request: Request, ws: Any, code: str, hub: Hub, polls: PollService) -> None:
    """Live results as HTML fragments for a poll's present and admin pages"""
    await serve_live(ws, code, f"html:{language(request)}", hub, admit=polls.check_standalone)


@sockets.websocket("/p/<code:str>/admin/live")
async def poll_admin_fragments(request: Request, ws: Any, code: str, hub: Hub, polls: PollService) -> None:
    """Live results as HTML fragments for a poll's admin page, with its moderation: only with its token"""
    try:
        await polls.authorise(code, admin_token(request, code) or request.args.get("token"))
    except (Forbidden, PollNotFound):
        await ws.close(code=4403, reason="admin token required")
        return
    await serve_live(ws, code, f"admin:{language(request)}", hub, admit=polls.check_standalone)


@sockets.websocket("/e/<code:str>/live")
async def participant_region(
    request: Request, ws: Any, code: str, event_hub: EventHub, voter_ids: VoterIds
) -> None:
    """The participant's region, pushed on every change; results only as this phone's voter may see them"""
    cookie = request.cookies.get(VOTER_COOKIE)
    voter = cookie if voter_ids.issued(cookie) else None
    fmt = f"participant:{language(request)}"
    await serve_live(ws, code, fmt, event_hub, EventNotFound, audience=voter)


@sockets.websocket("/e/<code:str>/present/live")
async def projection_region(request: Request, ws: Any, code: str, event_hub: EventHub) -> None:
    """The projection's region, pushed on every change"""
    await serve_live(ws, code, f"present:{language(request)}", event_hub, EventNotFound)


@sockets.websocket("/e/<code:str>/control/live")
async def control_region(
    request: Request, ws: Any, code: str, event_hub: EventHub, events: EventService
) -> None:
    """The control region, pushed on every change: only with the event's admin token"""
    try:
        await events.authorise(code, admin_token(request, code) or request.args.get("token"))
    except (Forbidden, EventNotFound):
        await ws.close(code=4403, reason="admin token required")
        return
    await serve_live(ws, code, f"control:{language(request)}", event_hub, EventNotFound)
