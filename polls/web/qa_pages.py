"""The Q&A of an event's pages: a phone asks and upvotes, the presenter moderates from the control view, and
each page's Q&A region is pushed over a socket of its own (the event's region keeps its own socket).

A pushed region is rendered once per format, not per phone, so it cannot say which questions this phone
upvoted: the vote's answer does (the button's new state), and the page's script remembers it and marks the
buttons again after each push."""

from __future__ import annotations

from sanic import Blueprint, Request
from sanic.response import HTTPResponse, redirect

from polls.domain import code_or_not_found
from polls.errors import Conflict, EventNotFound, InvalidInput
from polls.event_service import EventService
from polls.qa import QaSettings, parse_action, parse_order, parse_question_id, parse_text, parse_up
from polls.qa_live import QaHub
from polls.qa_service import QaService
from polls.voters import VoterIds
from polls.web.errors import wants_json
from polls.web.event_pages import is_htmx
from polls.web.forms import Form
from polls.web.idempotency import Idempotency
from polls.web.live import live_route, serve_live
from polls.web.pages import VOTER_COOKIE, keep_voter, phone_page, voter_of
from polls.web.qa_render import CONTROL_FRAGMENT, qa_context
from polls.web.render import Templates, url
from polls.web.ws import language, presenter

qa_pages = Blueprint("qa_pages")


def event_code(raw_code: str) -> str:
    return code_or_not_found(raw_code, EventNotFound)


# The control view's settings buttons: what each sets.
SETTINGS = {
    "on": QaSettings(True, None),
    "off": QaSettings(False, None),
    "approve-first": QaSettings(None, "approve"),
    "moderation-off": QaSettings(None, "off"),
}


@qa_pages.post("/e/<code:str>/qa/ask")
async def ask(
    request: Request, code: str, qa: QaService, templates: Templates, voter_ids: VoterIds, once: Idempotency
) -> HTTPResponse:
    """Ask a question from a phone; it says whether the question shows or waits for the presenter"""

    async def submit() -> HTTPResponse:
        voter = voter_of(request, voter_ids)
        form = Form(request)
        question = await qa.ask(code, voter, parse_text(form.text("text")), form.has("named"))
        if not is_htmx(request):
            participant = url(request, "event_pages.participant", code=event_code(code))
            return keep_voter(request, redirect(participant, status=303), voter)
        return phone_page(request, templates, voter, "_qa_asked.html", question=question)

    return await once(request, submit)


@qa_pages.post("/e/<code:str>/qa/vote")
async def vote(
    request: Request, code: str, qa: QaService, templates: Templates, voter_ids: VoterIds, once: Idempotency
) -> HTTPResponse:
    """Upvote a question from a phone, or take the upvote back; the answer is the button's new state"""

    async def cast() -> HTTPResponse:
        form = Form(request)
        voter = voter_of(request, voter_ids)
        state = await qa.vote(
            code, voter, parse_question_id(form.text("question")), parse_up(form.text("up"))
        )
        if not is_htmx(request):
            participant = url(request, "event_pages.participant", code=event_code(code))
            return keep_voter(request, redirect(participant, status=303), voter)
        return phone_page(
            request,
            templates,
            voter,
            "_qa_vote.html",
            code=event_code(code),
            question=state.question,
            votes=state.votes,
            upvoted=state.upvoted,
            known=True,
        )

    return await once(request, cast)


@qa_pages.post("/e/<code:str>/control/qa/<action:str>")
async def control_action(
    request: Request,
    code: str,
    action: str,
    qa: QaService,
    events: EventService,
    templates: Templates,
    once: Idempotency,
) -> HTTPResponse:
    """One presenter's Q&A action from the control view; the region is pushed to every control screen"""

    async def act() -> HTTPResponse:
        form = Form(request)
        admin = await events.authorise(code, request.headers.get("X-Admin-Token") or form.text("token"))
        try:
            if action in SETTINGS:
                board = await qa.set_settings(admin, SETTINGS[action])
            else:
                board = await qa.moderate(
                    admin, parse_question_id(form.text("question")), parse_action(action)
                )
        except (InvalidInput, Conflict) as refused:
            if not is_htmx(request) or wants_json(request):
                raise
            context = qa_context(await qa.board(admin.code), presenter=True, error=refused)
            return templates.respond(request, CONTROL_FRAGMENT, status=refused.status_code, **context)
        if not is_htmx(request):
            return redirect(url(request, "event_pages.control", code=admin.code), status=303)
        return templates.respond(request, CONTROL_FRAGMENT, **qa_context(board, presenter=True))

    return await once(request, act)


@live_route(qa_pages, "/e/<code:str>/qa/live")
async def participant_board(request: Request, code: str, qa_hub: QaHub, voter_ids: VoterIds) -> None:
    """The phones' Q&A region, pushed on every change: shown questions only, in the phone's order"""
    fmt = f"participant-{parse_order(request.args.get('order'))}:{language(request)}"
    cookie = request.cookies.get(VOTER_COOKIE)
    await serve_live(
        request, code, fmt, qa_hub, EventNotFound, audience=cookie if voter_ids.issued(cookie) else None
    )


@live_route(qa_pages, "/e/<code:str>/present/qa/live")
async def projection_board(request: Request, code: str, qa_hub: QaHub) -> None:
    """The projection's Q&A region, pushed on every change: the pinned question large, then the top ones"""
    fmt = f"present-{parse_order(request.args.get('order'))}:{language(request)}"
    await serve_live(request, code, fmt, qa_hub, EventNotFound)


@live_route(qa_pages, "/e/<code:str>/control/qa/live")
async def control_board(request: Request, code: str, qa_hub: QaHub, events: EventService) -> None:
    """The control view's Q&A region with the queue and the hidden questions: only with the admin token"""
    fmt = f"control:{language(request)}"
    await serve_live(
        request, code, fmt, qa_hub, EventNotFound, authorise=presenter(request, events.authorise)
    )
