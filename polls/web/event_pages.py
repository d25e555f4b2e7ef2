"""The pages of an event: join by code, the participant's phone, the projection and the presenter's control.

Each live region is one fragment template, rendered once per version and language by the event hub and
pushed over the page's websocket; the full page includes the same fragment."""

from __future__ import annotations

from sanic import Blueprint, Request
from sanic.response import HTTPResponse, empty, redirect

from polls.domain import normalise_code, parse_action, parse_ballot
from polls.errors import N_, Conflict, EventNotFound, InvalidInput, NotInEvent, PollNotFound
from polls.event import QUESTIONS_MAX, parse_countdown, parse_new_event, parse_new_question
from polls.event_live import PresenceBoard
from polls.event_service import EventAdmin, EventService
from polls.kinds import Answer
from polls.qa import parse_order
from polls.qa_service import QaService
from polls.quiz_service import QuizService
from polls.service import PollService
from polls.voters import VoterIds
from polls.web.errors import wants_json
from polls.web.forms import Draft, Form, ballot_form, event_drafts, event_form, form_number, question_form
from polls.web.idempotency import Idempotency
from polls.web.pages import keep_voter, phone_page, presenters_items, voter_of
from polls.web.qa_render import qa_context
from polls.web.render import Templates, absolute_url, qr_svg, url
from polls.web.security import admin_token, remember_admin

event_pages = Blueprint("event_pages")
# What the home page says to a code that is no event's and no poll's.
NO_SUCH_CODE = N_("There is no event or poll with that code.")


def is_htmx(request: Request) -> bool:
    return request.headers.get("HX-Request") == "true"


@event_pages.get(r"/<code:[A-Za-z2-9]{6}>")
async def join_by_code(request: Request, code: str, events: EventService, polls: PollService) -> HTTPResponse:
    """The short join link: /<code> opens the event (or the single poll) with that code"""
    return redirect(await join_target(request, code, events, polls), status=303)


@event_pages.get("/join")
async def join(
    request: Request, events: EventService, polls: PollService, templates: Templates
) -> HTTPResponse:
    """Go to the event (or poll) with the code a person typed on the home page; a code that is no event's
    or poll's brings the home page back with the reason beside the code, as typed"""
    typed = request.args.get("code", "")
    try:
        return redirect(await join_target(request, typed, events, polls), status=303)
    except EventNotFound as missing:
        if wants_json(request):
            raise
        return templates.respond(request, "home.html", status=404, join_error=missing, typed=typed)


async def join_target(request: Request, raw_code: str, events: EventService, polls: PollService) -> str:
    code = normalise_code(raw_code)
    if code is None:
        raise EventNotFound(NO_SUCH_CODE)
    try:
        return url(request, "event_pages.participant", code=(await events.get_event(code)).code)
    except EventNotFound:
        pass
    try:
        return url(request, "pages.vote_page", code=(await polls.get_poll(code)).code)
    except PollNotFound:
        raise EventNotFound(NO_SUCH_CODE) from None


@event_pages.post("/events")
async def create_event(request: Request, events: EventService, once: Idempotency) -> HTTPResponse:
    """Create an event from the home page's form and go to its control page"""

    async def create() -> HTTPResponse:
        event, token = await events.create_event(parse_new_event(event_form(Form(request))))
        control = url(request, "event_pages.control", code=event.code, token=token)
        if is_htmx(request):
            return empty(status=204, headers={"HX-Redirect": control})
        return redirect(control, status=303)

    return await once(request, create)


@event_pages.post("/events/form")
async def event_form_with_one_more(
    request: Request, templates: Templates, polls: PollService, events: EventService
) -> HTTPResponse:
    """The home page's event form with one more question, everything typed so far kept"""
    form = Form(request)
    return templates.respond(
        request,
        "home.html",
        "_event_form_questions.html",
        drafts=[*event_drafts(form)[: QUESTIONS_MAX - 1], Draft()],
        added=True,
        mine=await presenters_items(request, polls, events),
        title=form.text("title"),
    )


@event_pages.get("/e/<code:str>")
async def participant(
    request: Request,
    code: str,
    events: EventService,
    polls: PollService,
    templates: Templates,
    voter_ids: VoterIds,
    players: QuizService,
    qa: QaService,
) -> HTTPResponse:
    """The participant's phone: follows the live question and the Q&A (?order=new: newest first) by itself"""
    view = await events.view(code)
    voter = voter_of(request, voter_ids)
    chosen: Answer = ()
    if view.question is not None:
        chosen = await polls.choices_of(view.question.code, voter)
    board = qa_context(
        await qa.board(view.code),
        parse_order(request.args.get("order")),
        mine=await qa.voted_by(view.code, voter),
        known=True,
    )
    # Players name themselves for the quiz's leaderboard and, if they like, beside their questions.
    named = view.event.quiz or board["board"].enabled
    nickname = await players.nickname(view.code, voter) if named else None
    return phone_page(
        request,
        templates,
        voter,
        "event_participant.html",
        view=view,
        chosen=chosen,
        voted=bool(chosen),
        nickname=nickname,
        qa=board,
    )


@event_pages.post("/e/<code:str>/vote")
async def vote(
    request: Request,
    code: str,
    events: EventService,
    polls: PollService,
    templates: Templates,
    voter_ids: VoterIds,
) -> HTTPResponse:
    """Cast or change this phone's answer to a question of the event"""
    event = await events.get_event(code)
    form = Form(request)
    question = event.question(form.text("question"))
    if question is None:
        raise NotInEvent()
    voter = voter_of(request, voter_ids)
    ballot = parse_ballot(question.poll, ballot_form(form, voter, question.poll))
    await polls.cast_ballot(question.poll, ballot)
    if not is_htmx(request):  # a form posted without htmx: back to the page, which shows the answer
        participant = url(request, "event_pages.participant", code=event.code)
        return keep_voter(request, redirect(participant, status=303), voter)
    received = ballot.answer
    return phone_page(
        request, templates, voter, "_event_vote_received.html", question=question, chosen=received
    )


@event_pages.get("/e/<code:str>/present")
async def present(
    request: Request,
    code: str,
    events: EventService,
    board: PresenceBoard,
    templates: Templates,
    qa: QaService,
) -> HTTPResponse:
    """The projection: the live question, the join code and QR code, the results when revealed, and the
    audience's questions (a pinned one large)"""
    view = await events.view(code)
    join_url = absolute_url(request, "event_pages.join_by_code", code=view.code)
    joined = board.participants(view.code)
    return templates.respond(
        request,
        "event_present.html",
        view=view,
        join_url=join_url,
        qr=qr_svg(join_url),
        joined=joined,
        qa=qa_context(await qa.board(view.code)),
    )


@event_pages.get("/e/<code:str>/present/joined")
async def joined(
    request: Request, code: str, events: EventService, board: PresenceBoard, templates: Templates
) -> HTTPResponse:
    """How many phones are in the event now (all replicas), for the projection's join panel"""
    event_code = await events.event_code(code)
    return templates.respond(
        request,
        "_event_joined.html",
        "_event_joined.html",
        code=event_code,
        joined=board.participants(event_code),
    )


@event_pages.get("/e/<code:str>/control")
async def control(
    request: Request,
    code: str,
    events: EventService,
    board: PresenceBoard,
    templates: Templates,
    qa: QaService,
) -> HTTPResponse:
    """The presenter's control view: the secret link (?token=) is exchanged for a cookie, then a clean URL"""
    if "token" in request.args:
        token = request.args.get("token", "")
        event_code = (await events.authorise(code, token)).code
        clean = redirect(url(request, "event_pages.control", code=event_code), status=303)
        return remember_admin(request, clean, event_code, token)
    token = admin_token(request, code) or ""
    event_code = (await events.authorise(code, token)).code
    view = await events.view(code)
    join_url = absolute_url(request, "event_pages.join_by_code", code=view.code)
    response = templates.respond(
        request,
        "event_control.html",
        view=view,
        token=token,
        join_url=join_url,
        participants=board.participants(event_code),
        control_url=absolute_url(request, "event_pages.control", code=event_code),
        qa=qa_context(await qa.board(event_code), presenter=True),
    )
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


@event_pages.get("/e/<code:str>/control/counts")
async def counts(
    request: Request, code: str, events: EventService, board: PresenceBoard, templates: Templates
) -> HTTPResponse:
    """Participants connected (all replicas) and answers to the live question, for the control view"""
    event_code = (await events.authorise(code, request.headers.get("X-Admin-Token"))).code
    view = await events.view(event_code)
    return templates.respond(
        request, "_event_counts.html", view=view, participants=board.participants(event_code)
    )


@event_pages.post("/e/<code:str>/control/<action:str>")
async def control_action(
    request: Request, code: str, action: str, events: EventService, templates: Templates, once: Idempotency
) -> HTTPResponse:
    """One presenter action from the control view; the control region is pushed to every control screen"""

    async def act() -> HTTPResponse:
        form = Form(request)
        admin = await events.authorise(code, request.headers.get("X-Admin-Token") or form.text("token"))
        question = form.text("question")
        try:
            await run_control(admin, action, question, form, events)
        except (InvalidInput, Conflict, PollNotFound) as refused:
            if not is_htmx(request) or wants_json(request):
                raise
            # The control region stays, every question and button in it, with the reason on top.
            view = await events.view(code)
            return templates.respond(
                request, "_event_control.html", status=refused.status_code, view=view, error=refused
            )
        if not is_htmx(request):
            return redirect(url(request, "event_pages.control", code=normalise_code(code)), status=303)
        return templates.respond(request, "_event_control.html", view=await events.view(code))

    return await once(request, act)


async def run_control(
    admin: EventAdmin, action: str, question: str, form: Form, events: EventService
) -> None:
    """What one control form asks of the event."""
    match action:
        case "go-live":
            await events.set_live(admin, question or None)
        case "countdown":
            await events.start_countdown(admin, question, parse_countdown(form_number(form.text("seconds"))))
        case "delete":
            await events.delete_question(admin, question)
        case "add":
            await events.add_question(admin, parse_new_question(question_form(form)))
        case "edit":
            await events.edit_question(admin, question, parse_new_question(question_form(form)))
        case "end":
            await events.end(admin)
        case "undo":
            await events.undo(admin)
        case "moderate":
            await events.moderate(admin, question, form.text("entry"), form.text("do"))
        case "move-up" | "move-down":
            await events.move(admin, question, -1 if action == "move-up" else 1)
        case _:  # the question actions of the API: open, close, reveal, hide, reset
            await events.act(admin, question, parse_action(action))
