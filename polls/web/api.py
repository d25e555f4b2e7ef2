"""The JSON API: /api/polls and its live websocket. Handlers parse, call the service, render JSON."""

from __future__ import annotations

import json as jsonlib
from typing import Any, TypeVar

import orjson
from sanic import Blueprint, Request
from sanic.response import HTTPResponse, json
from sanic_ext import openapi

from polls.domain import Action, Poll, parse_ballot, parse_new_poll
from polls.errors import N_, MalformedRequest, NotAnObject
from polls.service import PollService
from polls.voters import VoterIds
from polls.web import schema
from polls.web.idempotency import HEADER, Idempotency
from polls.web.render import absolute_url

api = Blueprint("api", url_prefix="/api")

_ERRORS = {"application/json": schema.Error}
Handler = TypeVar("Handler")


def json_body(request: Request) -> Any:
    if not request.body:
        raise MalformedRequest(N_("The request body is empty; send a JSON object."), code="body_empty")
    try:
        return orjson.loads(request.body)
    except orjson.JSONDecodeError:
        pass
    # orjson is the fast path; what it refuses, the standard parser reads again: it accepts what orjson
    # does not (NaN, integers beyond 64 bits, UTF-16 and UTF-32) and words its errors as the API always has.
    try:
        return jsonlib.loads(request.body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise MalformedRequest(
            N_("The request body is not valid JSON: %(detail)s."), code="body_not_json", detail=str(exc)
        ) from None


def bearer_token(request: Request) -> str | None:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def once_per_key(handler: Handler) -> Handler:
    """Document the Idempotency-Key header of a write that is done once per key (polls.web.idempotency)."""
    return openapi.parameter(
        HEADER,
        str,
        "header",
        description="Any new value (e.g. a UUID) per write: a repeat with the same key and body is not done "
        "again, it gets the first answer (marked Idempotent-Replayed). Keys are kept for a day.",
    )(handler)


def poll_json(request: Request, poll: Poll, admin_token: str | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "code": poll.code,
        "question": poll.question,
        "kind": poll.kind,
        "max_choices": poll.max_choices,
        "status": poll.status,
        "options": [{"id": o.id, "label": o.label} for o in poll.options],
        "urls": {
            "vote": absolute_url(request, "pages.vote_page", code=poll.code),
            "present": absolute_url(request, "pages.present", code=poll.code),
        },
    }
    if admin_token is not None:
        body["admin_token"] = admin_token
        body["urls"]["admin"] = absolute_url(request, "pages.admin", code=poll.code, token=admin_token)
    return body


@api.post("/polls")
@openapi.body({"application/json": schema.NEW_QUESTION}, required=True)
@openapi.response(201, {"application/json": schema.CreatedPoll}, "The poll, with its secret admin token")
@openapi.response(422, _ERRORS, "A rule is broken (lengths, option count, duplicates, kind)")
@once_per_key
async def create_poll(request: Request, polls: PollService, once: Idempotency) -> HTTPResponse:
    """Create a poll"""

    async def create() -> HTTPResponse:
        poll, token = await polls.create_poll(parse_new_poll(json_body(request)))
        return json(poll_json(request, poll, token), status=201)

    return await once(request, create)


@api.get("/polls/<code:str>")
@openapi.response(200, {"application/json": schema.PollOut}, "The poll")
@openapi.response(404, _ERRORS, "Unknown code")
async def get_poll(request: Request, code: str, polls: PollService) -> HTTPResponse:
    """Read a poll"""
    return json(poll_json(request, await polls.get_poll(code)))


@api.post("/voters")
@openapi.response(201, {"application/json": schema.NewVoter}, "A new voter id, for every ballot of one voter")
@openapi.response(
    429, _ERRORS, "Too many new voters from this address (HAProxy's limit); Retry-After says when"
)
async def new_voter(request: Request, voter_ids: VoterIds) -> HTTPResponse:
    """Get a voter id: ask once per voter, then send it with each of that voter's ballots"""
    return json({"voter": voter_ids.issue()}, status=201)


@api.post("/polls/<code:str>/votes")
@openapi.body({"application/json": schema.ANSWER}, required=True)
@openapi.response(200, {"application/json": schema.VoteAccepted}, "Stored and committed")
@openapi.response(404, _ERRORS, "Unknown code")
@openapi.response(409, _ERRORS, "The poll is closed")
@openapi.response(422, _ERRORS, "Unknown option, too many choices, or a voter id not from POST /api/voters")
async def cast_vote(request: Request, code: str) -> HTTPResponse:
    """Cast or replace a voter's ballot (idempotent: a retry changes nothing)

    `voter` is an id from POST /api/voters, the same one for every ballot of that voter."""
    # The hot path takes its service from app.ctx, not by injection: sanic-ext's injection resolves every
    # handler's typed parameters on each request, a cost the busiest route need not pay.
    polls: PollService = request.app.ctx.polls
    poll = await polls.ballot_poll(code)
    version = await polls.cast_ballot(poll, parse_ballot(poll, json_body(request)))
    # The bytes json() would make, without its encoder: the answer's shape is fixed, only the version varies.
    return HTTPResponse(b'{"accepted":true,"version":%d}' % version, content_type="application/json")


@api.get("/polls/<code:str>/results")
@openapi.response(200, {"application/json": schema.ResultsOut}, "The current tally")
@openapi.response(403, _ERRORS, "A question of an event: only its presenter reads it here")
@openapi.response(404, _ERRORS, "Unknown code")
async def get_results(request: Request, code: str, polls: PollService) -> HTTPResponse:
    """Read the current results (of an event's question: with the event's admin token as Bearer)"""
    token = bearer_token(request)
    results = await polls.results(code, token)
    return json(results.as_dict(presenter=token is not None and await polls.is_moderator(code, token)))


@api.post("/polls/<code:str>/moderation")
@openapi.secured("token")
@openapi.body({"application/json": schema.Moderate}, required=True)
@openapi.response(200, {"application/json": schema.ResultsOut}, "The results as the presenter sees them")
@openapi.response(403, _ERRORS, "Missing or wrong admin token (a question of an event: the event's)")
@openapi.response(404, _ERRORS, "Unknown code or entry")
@openapi.response(409, _ERRORS, "Moderation is off: answers cannot be hidden")
@openapi.response(422, _ERRORS, "Not a word cloud or open text, or an unknown action")
async def moderate(request: Request, code: str, polls: PollService) -> HTTPResponse:
    """Show or hide one entry of a word cloud or an open text (Authorization: Bearer <admin_token>)

    `entry` is a word cloud's entry (its text) or an open text's answer id; `action` is "show" (approve a
    waiting or held entry, or show a hidden one again) or "hide"."""
    admin = await polls.moderator(code, bearer_token(request))
    body = json_body(request)
    if not isinstance(body, dict):
        raise NotAnObject()
    results = await polls.moderate(admin, body.get("entry"), str(body.get("action", "")))
    return json(results.as_dict(presenter=True))


@api.post("/polls/<code:str>/close")
@openapi.secured("token")
@openapi.response(200, {"application/json": schema.PollOut}, "The poll, now closed")
@openapi.response(403, _ERRORS, "Missing or wrong admin token")
async def close_poll(request: Request, code: str, polls: PollService) -> HTTPResponse:
    """Close a poll to votes (Authorization: Bearer <admin_token>)"""
    return await poll_action(request, code, Action.CLOSE, polls)


@api.post("/polls/<code:str>/open")
@openapi.secured("token")
@openapi.response(200, {"application/json": schema.PollOut}, "The poll, open again")
@openapi.response(403, _ERRORS, "Missing or wrong admin token")
async def open_poll(request: Request, code: str, polls: PollService) -> HTTPResponse:
    """Reopen a poll (Authorization: Bearer <admin_token>)"""
    return await poll_action(request, code, Action.OPEN, polls)


async def poll_action(request: Request, code: str, action: Action, polls: PollService) -> HTTPResponse:
    """A presenter's action on a standalone poll, from the same table as an event's question's."""
    admin = await polls.authorise(code, bearer_token(request))
    return json(poll_json(request, await polls.act(admin, action)))
