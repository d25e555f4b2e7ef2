"""The JSON API of an event's audience Q&A: /api/events/{code}/qa. Handlers parse, call the Q&A service,
render JSON. The audience's answers never hold a question that waits for approval, was held by the
profanity filter or is hidden; the presenter's (with the event's admin token) hold every question."""

from __future__ import annotations

from typing import Any

from sanic import Blueprint, Request
from sanic.response import HTTPResponse, json
from sanic_ext import openapi

from polls.errors import EventNotFound, NotAnObject
from polls.event_service import EventAdmin, EventService
from polls.qa import parse_action, parse_named, parse_question_id, parse_settings, parse_text, parse_up
from polls.qa_live import QaHub
from polls.qa_service import QaService
from polls.web import schema
from polls.web.api import bearer_token, json_body, once_per_key
from polls.web.idempotency import Idempotency
from polls.web.live import live_route, serve_live

qa_api = Blueprint("qa_api", url_prefix="/api/events")

_ERRORS = {"application/json": schema.Error}


def presenters_token(request: Request) -> str | None:
    """The event's admin token, as Authorization: Bearer or as the control view's X-Admin-Token."""
    return bearer_token(request) or request.headers.get("X-Admin-Token")


async def authorised(request: Request, code: str, events: EventService) -> EventAdmin:
    return await events.authorise(code, presenters_token(request))


def body_of(request: Request) -> dict[str, Any]:
    body = json_body(request)
    if not isinstance(body, dict):
        raise NotAnObject()
    return body


@qa_api.get("/<code:str>/qa")
@openapi.response(200, {"application/json": schema.QaBoardOut}, "The board")
@openapi.response(404, _ERRORS, "Unknown code")
async def board(request: Request, code: str, qa: QaService, events: EventService) -> HTTPResponse:
    """The Q&A board: the shown questions, most votes first; every question with its state for the
    presenter (with the event's admin token)"""
    presenter = presenters_token(request) is not None
    if presenter:
        await authorised(request, code, events)
    return json((await qa.board(code)).as_dict(presenter=presenter))


@qa_api.put("/<code:str>/qa")
@openapi.secured("token")
@openapi.body({"application/json": schema.QaSettingsIn}, required=True)
@openapi.response(200, {"application/json": schema.QaBoardOut}, "The board, as the presenter sees it")
@openapi.response(422, _ERRORS, "A rule is broken")
@once_per_key
async def settings(
    request: Request, code: str, qa: QaService, events: EventService, once: Idempotency
) -> HTTPResponse:
    """Switch Q&A on or off ({"enabled"}) and choose its moderation ({"moderation": "off" or "approve"})"""

    async def change() -> HTTPResponse:
        admin = await authorised(request, code, events)
        board = await qa.set_settings(admin, parse_settings(json_body(request)))
        return json(board.as_dict(presenter=True))

    return await once(request, change)


@qa_api.post("/<code:str>/qa/questions")
@openapi.body({"application/json": schema.QaQuestionIn}, required=True)
@openapi.response(201, {"application/json": schema.QaAsked}, "The question, shown or waiting for review")
@openapi.response(409, _ERRORS, "Q&A is switched off")
@openapi.response(422, _ERRORS, "A rule is broken (empty, too long, a voter id not issued)")
@openapi.response(429, _ERRORS, "Too many questions from this voter or address")
@once_per_key
async def ask(request: Request, code: str, qa: QaService, once: Idempotency) -> HTTPResponse:
    """Ask a question ({"voter", "text"}: 1 to 280 characters; "named": true shows the voter's nickname)"""

    async def submit() -> HTTPResponse:
        body = body_of(request)
        named = parse_named(body.get("named", False))
        question = await qa.ask(code, str(body.get("voter", "")), parse_text(body.get("text")), named)
        # Held by the filter or waiting for approval: either way it waits for the presenter.
        state = "shown" if question.state == "shown" else "pending"
        return json({"id": question.id, "text": question.text, "state": state}, status=201)

    return await once(request, submit)


@qa_api.post("/<code:str>/qa/questions/<question:str>/votes")
@openapi.body({"application/json": schema.QaVoteIn}, required=True)
@openapi.response(200, {"application/json": schema.QaVoteOut}, "Whether this voter's upvote is on it now")
@openapi.response(404, _ERRORS, "No such shown question")
@openapi.response(429, _ERRORS, "Too many votes from this voter or address")
@once_per_key
async def vote(request: Request, code: str, question: str, qa: QaService, once: Idempotency) -> HTTPResponse:
    """Upvote a question ({"voter", "up": true}) or withdraw the upvote ({"up": false}); once per voter"""

    async def cast() -> HTTPResponse:
        body = body_of(request)
        state = await qa.vote(
            code, str(body.get("voter", "")), parse_question_id(question), parse_up(body.get("up", True))
        )
        return json({"question": state.question, "upvoted": state.upvoted, "votes": state.votes})

    return await once(request, cast)


@qa_api.post("/<code:str>/qa/questions/<question:str>/<action:approve|hide|answer|unanswer|pin|unpin>")
@openapi.secured("token")
@openapi.response(200, {"application/json": schema.QaBoardOut}, "The board, as the presenter sees it")
@openapi.response(403, _ERRORS, "No admin token, or a wrong one")
@once_per_key
async def moderate(
    request: Request,
    code: str,
    question: str,
    action: str,
    qa: QaService,
    events: EventService,
    once: Idempotency,
) -> HTTPResponse:
    """Approve (show), hide, mark answered or not, pin (one per event) or unpin a question"""

    async def act() -> HTTPResponse:
        admin = await authorised(request, code, events)
        board = await qa.moderate(admin, parse_question_id(question), parse_action(action))
        return json(board.as_dict(presenter=True))

    return await once(request, act)


@live_route(qa_api, "/<code:str>/qa/live")
async def live(request: Request, code: str, qa_hub: QaHub) -> None:
    """The audience's Q&A board as JSON: at once, then after each change (coalesced)"""
    await serve_live(request, code, "json", qa_hub, EventNotFound)
