"""The websockets of a replica: live JSON for API clients, live HTML fragments for the pages.

Each upgrades its request to a push-only socket and registers it with a hub (polls.web.live.serve_live).
They are left out of the OpenAPI document (which cannot describe a websocket); its description lists them."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from sanic import Blueprint, Request

from polls.errors import EventNotFound
from polls.event_live import EventHub
from polls.event_service import EventService
from polls.live import Hub
from polls.service import PollService
from polls.voters import VoterIds
from polls.web.i18n import negotiate
from polls.web.live import live_route, serve_live
from polls.web.pages import VOTER_COOKIE
from polls.web.security import admin_token

sockets = Blueprint("sockets")
Authorise = Callable[[str, str | None], Awaitable[object]]


def language(request: Request) -> str:
    """A page's socket speaks the page's language, which the page puts in its URL (?lang=)."""
    return negotiate(None, request.args.get("lang"))


def presenter(request: Request, authorise: Authorise) -> Callable[[str], Awaitable[object]]:
    """A presenter's socket is opened with the admin token: the browser's cookie, or ?token= for API
    clients; `authorise` (a service's) checks it against the poll's or event's."""

    async def check(code: str) -> None:
        await authorise(code, admin_token(request, code) or request.args.get("token"))

    return check


@live_route(sockets, "/api/polls/<code:str>/live")
async def poll_results(request: Request, code: str, hub: Hub, polls: PollService) -> None:
    """Live results as JSON: a snapshot at once, then one message per change"""
    await serve_live(request, code, "json", hub, admit=polls.check_standalone)


@live_route(sockets, "/api/events/<code:str>/live")
async def event_state(request: Request, code: str, event_hub: EventHub) -> None:
    """Every change an audience screen needs, as JSON: question switched, opened, closed, revealed, results"""
    await serve_live(request, code, "json", event_hub, EventNotFound)


@live_route(sockets, "/p/<code:str>/live")
async def poll_fragments(request: Request, code: str, hub: Hub, polls: PollService) -> None:
    """Live results as HTML fragments for a poll's present and admin pages"""
    await serve_live(request, code, f"html:{language(request)}", hub, admit=polls.check_standalone)


@live_route(sockets, "/p/<code:str>/admin/live")
async def poll_admin_fragments(request: Request, code: str, hub: Hub, polls: PollService) -> None:
    """Live results as HTML fragments for a poll's admin page, with its moderation: only with its token"""
    fmt = f"admin:{language(request)}"
    authorise = presenter(request, polls.authorise)
    await serve_live(request, code, fmt, hub, admit=polls.check_standalone, authorise=authorise)


@live_route(sockets, "/e/<code:str>/live")
async def participant_region(request: Request, code: str, event_hub: EventHub, voter_ids: VoterIds) -> None:
    """The participant's region, pushed on every change; results only as this phone's voter may see them"""
    cookie = request.cookies.get(VOTER_COOKIE)
    voter = cookie if voter_ids.issued(cookie) else None
    fmt = f"participant:{language(request)}"
    await serve_live(request, code, fmt, event_hub, EventNotFound, audience=voter)


@live_route(sockets, "/e/<code:str>/present/live")
async def projection_region(request: Request, code: str, event_hub: EventHub) -> None:
    """The projection's region, pushed on every change"""
    await serve_live(request, code, f"present:{language(request)}", event_hub, EventNotFound)


@live_route(sockets, "/e/<code:str>/control/live")
async def control_region(request: Request, code: str, event_hub: EventHub, events: EventService) -> None:
    """The control region, pushed on every change: only with the event's admin token"""
    fmt = f"control:{language(request)}"
    authorise = presenter(request, events.authorise)
    await serve_live(request, code, fmt, event_hub, EventNotFound, authorise=authorise)
