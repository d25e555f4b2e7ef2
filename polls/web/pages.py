"""The HTML pages: home, vote (phone), present (projector) and admin. Full page or fragment per request."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from sanic import Blueprint, Request
from sanic.response import HTTPResponse, empty, raw, redirect

from polls.domain import Action, Poll, parse_ballot, parse_new_poll
from polls.errors import N_, EventNotFound, InvalidInput, PollClosed, PollNotFound
from polls.event_service import EventService
from polls.service import PollService
from polls.voters import VoterIds
from polls.web.errors import wants_json
from polls.web.forms import Form, ballot_form, poll_form, ticked
from polls.web.idempotency import Idempotency
from polls.web.render import Templates, absolute_url, qr_svg, url
from polls.web.security import admin_token, is_https, presenters_codes, remember_admin

pages = Blueprint("pages")

VOTER_COOKIE = "polls_voter"
VOTER_COOKIE_AGE = 365 * 24 * 3600


def voter_of(request: Request, voter_ids: VoterIds) -> str:
    """The browser's voter id from its cookie, or a new one (set on the response by the caller): also in
    place of a cookie that is no id this service issued, which would otherwise have every ballot of the
    browser refused."""
    cookie = request.cookies.get(VOTER_COOKIE)
    return cookie if isinstance(cookie, str) and voter_ids.issued(cookie) else voter_ids.issue()


def phone_page(
    request: Request, templates: Templates, voter: str, page: str, fragment: str | None = None, **context: Any
) -> HTTPResponse:
    """A phone's page (or its fragment), the phone's voter id kept in its cookie."""
    return keep_voter(request, templates.respond(request, page, fragment, **context), voter)


def keep_voter(request: Request, response: HTTPResponse, voter: str) -> HTTPResponse:
    if request.cookies.get(VOTER_COOKIE) != voter:
        response.add_cookie(
            VOTER_COOKIE,
            voter,
            max_age=VOTER_COOKIE_AGE,
            httponly=True,
            samesite="Lax",
            secure=is_https(request),
        )
    return response


def join_url(request: Request, poll: Poll) -> str:
    return absolute_url(request, "pages.vote_page", code=poll.code)


@pages.get("/")
async def home(
    request: Request, templates: Templates, polls: PollService, events: EventService
) -> HTTPResponse:
    """Create a poll, or join one by code; and the polls and events this browser controls"""
    return templates.respond(request, "home.html", mine=await presenters_items(request, polls, events))


async def presenters_items(
    request: Request, polls: PollService, events: EventService
) -> list[dict[str, str]]:
    """This browser's polls and events (remembered when their secret links were opened here, and still
    under its control): what each is called and where it is run from."""
    items = []
    for code in presenters_codes(request):
        if admin_token(request, code) is None:
            continue  # the control cookie has gone: the link would not open
        try:
            event = await events.get_event(code)
            items.append(
                {"kind": "event", "text": event.title, "url": url(request, "event_pages.control", code=code)}
            )
        except EventNotFound:
            try:
                poll = await polls.get_poll(code)
            except PollNotFound:
                continue  # deleted meanwhile
            items.append(
                {"kind": "poll", "text": poll.question, "url": url(request, "pages.admin", code=code)}
            )
    return items


@pages.post("/polls")
async def create_poll(request: Request, polls: PollService, once: Idempotency) -> HTTPResponse:
    """Create a poll from the home page's form and go to its admin page"""

    async def create() -> HTTPResponse:
        poll, token = await polls.create_poll(parse_new_poll(poll_form(Form(request))))
        admin = url(request, "pages.admin", code=poll.code, token=token)
        if request.headers.get("HX-Request") == "true":
            return empty(status=204, headers={"HX-Redirect": admin})
        return redirect(admin, status=303)

    return await once(request, create)


@pages.get("/p/<code:str>")
async def vote_page(
    request: Request, code: str, polls: PollService, templates: Templates, voter_ids: VoterIds
) -> HTTPResponse:
    """The voting page for a phone"""
    poll = await polls.standalone_poll(code)
    voter = voter_of(request, voter_ids)
    chosen = await polls.choices_of(poll.code, voter)
    return phone_page(request, templates, voter, "vote.html", poll=poll, chosen=chosen, message=None)


@pages.post("/p/<code:str>/vote")
async def vote(
    request: Request, code: str, polls: PollService, templates: Templates, voter_ids: VoterIds
) -> HTTPResponse:
    """Cast or change this browser's ballot from the voting page"""
    poll = await polls.standalone_poll(code)
    voter = voter_of(request, voter_ids)
    form = Form(request)
    try:
        ballot = parse_ballot(poll, ballot_form(form, voter, poll))
        await polls.cast_ballot(poll, ballot)
    except (InvalidInput, PollClosed) as refused:
        # The ballot stays, with the phone's ticks and the reason beside it (a closed poll shows as closed):
        # a person fixes the choice and sends it again, without a reload. A client that asks for JSON gets
        # the API's {"error": ...} instead.
        if wants_json(request):
            raise
        if isinstance(refused, PollClosed):
            poll = replace(poll, status="closed")
        return phone_page(
            request,
            templates,
            voter,
            "vote.html",
            "_ballot.html",
            status=refused.status_code,
            poll=poll,
            chosen=ticked(form, poll),
            message=None,
            error=refused,
        )
    received = ballot.answer
    return phone_page(
        request, templates, voter, "vote.html", "_ballot.html", poll=poll, chosen=received, message="received"
    )


@pages.get("/p/<code:str>/present")
async def present(request: Request, code: str, polls: PollService, templates: Templates) -> HTTPResponse:
    """The live results for a projector"""
    poll = await polls.standalone_poll(code)
    results = await polls.results(poll.code)
    url = join_url(request, poll)
    return templates.respond(
        request, "present.html", "_results.html", poll=poll, results=results, join_url=url, qr=qr_svg(url)
    )


@pages.get("/p/<code:str>/admin")
async def admin(request: Request, code: str, polls: PollService, templates: Templates) -> HTTPResponse:
    """The poll's admin page: the secret link (?token=) is exchanged for a cookie, then a clean URL"""
    poll = await polls.standalone_poll(code)
    if "token" in request.args:
        token = request.args.get("token", "")
        await polls.authorise(poll.code, token)
        clean = redirect(url(request, "pages.admin", code=poll.code), status=303)
        return remember_admin(request, clean, poll.code, token)
    token = admin_token(request, poll.code) or ""
    await polls.authorise(poll.code, token)
    results = await polls.results(poll.code)
    response = templates.respond(
        request,
        "admin.html",
        poll=poll,
        results=results,
        presenter=True,
        token=token,
        join_url=join_url(request, poll),
        control_url=absolute_url(request, "pages.admin", code=poll.code),
    )
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


@pages.post("/p/<code:str>/status")
async def set_status(request: Request, code: str, polls: PollService, templates: Templates) -> HTTPResponse:
    """Open or close the poll from the admin page"""
    form = Form(request)
    action = {"open": Action.OPEN, "closed": Action.CLOSE}.get(form.text("status"))
    if action is None:
        raise InvalidInput(N_("status must be 'open' or 'closed'."), code="status_invalid")
    token = form.text("token")
    poll = await polls.act(await polls.authorise(code, token), action)
    if request.headers.get("HX-Request") != "true":
        return redirect(url(request, "pages.admin", code=poll.code), status=303)
    return templates.respond(request, "admin.html", "_admin_controls.html", poll=poll, token=token)


@pages.post("/p/<code:str>/moderate")
async def moderate(request: Request, code: str, polls: PollService, templates: Templates) -> HTTPResponse:
    """Show or hide an entry of the poll's word cloud or open text, from the admin page"""
    form = Form(request)
    admin = await polls.moderator(code, request.headers.get("X-Admin-Token") or form.text("token"))
    results = await polls.moderate(admin, form.text("entry"), form.text("do"))
    if request.headers.get("HX-Request") != "true":
        return redirect(url(request, "pages.admin", code=admin.code), status=303)
    return templates.respond(request, "admin.html", "_results.html", results=results, presenter=True)


@pages.get("/p/<code:str>/qr.svg")
async def qr(request: Request, code: str, polls: PollService) -> HTTPResponse:
    """The join URL as a QR code"""
    poll = await polls.standalone_poll(code)
    return raw(qr_svg(join_url(request, poll)), content_type="image/svg+xml")
