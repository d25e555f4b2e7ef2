"""The JSON API of events: /api/events. Handlers parse, call the event service, render JSON."""

from __future__ import annotations

import csv
import io
import json as jsonlib
from typing import Any

from sanic import Blueprint, Request
from sanic.response import HTTPResponse, json, text
from sanic_ext import openapi

from polls.domain import parse_action
from polls.errors import N_, InvalidInput
from polls.event import (
    Event,
    EventView,
    parse_countdown,
    parse_live,
    parse_new_event,
    parse_new_question,
    parse_order,
    parse_title,
)
from polls.event_live import PresenceBoard
from polls.event_service import EventAdmin, EventService
from polls.web import schema
from polls.web.api import bearer_token, json_body, once_per_key
from polls.web.idempotency import Idempotency
from polls.web.render import absolute_url
from polls.web.security import admin_token

events_api = Blueprint("events_api", url_prefix="/api/events")

_ERRORS = {"application/json": schema.Error}
CSV_SEPARATORS = (",", ";")
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")
EXPORT_FIELDS = (
    "event",
    "event_title",
    "position",
    "question_code",
    "question",
    "round",
    "round_status",
    "voters",
    "option_id",
    "option",
    "value",  # a scale's step (empty for a choice)
    "votes",
)


def event_json(
    request: Request, event: Event, admin: bool = False, token: str | None = None
) -> dict[str, Any]:
    live = event.live_question
    body: dict[str, Any] = {
        "code": event.code,
        "title": event.title,
        "version": event.version,
        "ended": event.ended,
        "live": live.as_dict(presenter=admin) if live else None,
        "urls": {
            "join": absolute_url(request, "event_pages.join_by_code", code=event.code),
            "present": absolute_url(request, "event_pages.present", code=event.code),
        },
    }
    if admin:
        body["questions"] = [q.as_dict(presenter=True) for q in event.questions]
        body["undo"] = event.undo.as_dict() if event.undo else None
    if token is not None:
        body["admin_token"] = token
        body["urls"]["control"] = absolute_url(request, "event_pages.control", code=event.code, token=token)
    return body


def live_event_json(view: EventView) -> str:
    """What an audience screen needs, as one JSON message; results only while everyone may see them."""
    event, question = view.event, view.question
    event_version, results_version = view.version
    return jsonlib.dumps(
        {
            "type": "event",
            "version": (event_version << 32) | results_version,
            "event_version": event_version,
            "results_version": results_version,
            "code": event.code,
            "title": event.title,
            "count": len(event.questions),
            "ended": event.ended,
            "question": question.as_dict() if question else None,
            "answers": view.results.voters if view.results and question else 0,
            # An API client is nobody's phone: it gets the numbers only when everyone may see them.
            "results": view.results.as_dict() if view.results_public and view.results else None,
            "leaderboard": view.board.as_dict() if view.board else None,
        }
    )


async def authorised(request: Request, code: str, events: EventService) -> EventAdmin:
    """The event, if the request's Authorization: Bearer holds its admin token (403 otherwise)."""
    return await events.authorise(code, bearer_token(request))


@events_api.post("")
@openapi.body({"application/json": schema.NewEvent}, required=True)
@openapi.response(201, description="The event with its secret admin token and control URL")
@openapi.response(422, _ERRORS, "A rule is broken")
@once_per_key
async def create_event(request: Request, events: EventService, once: Idempotency) -> HTTPResponse:
    """Create an event: a title and an ordered list of questions"""

    async def create() -> HTTPResponse:
        event, token = await events.create_event(parse_new_event(json_body(request)))
        return json(event_json(request, event, admin=True, token=token), status=201)

    return await once(request, create)


@events_api.get("/<code:str>")
@openapi.response(200, description="The event; every question only with the admin token")
@openapi.response(404, _ERRORS, "Unknown code")
async def get_event(request: Request, code: str, events: EventService) -> HTTPResponse:
    """Read an event"""
    event = await events.get_event(code)
    admin = bearer_token(request) is not None
    if admin:
        await authorised(request, code, events)
    return json(event_json(request, event, admin=admin))


@events_api.patch("/<code:str>")
@openapi.secured("token")
async def update_event(request: Request, code: str, events: EventService) -> HTTPResponse:
    """Rename an event ({"title"})"""
    admin = await authorised(request, code, events)
    event = await events.set_title(admin, parse_title(json_body(request)))
    return json(event_json(request, event, admin=True))


@events_api.post("/<code:str>/questions")
@openapi.secured("token")
@openapi.body({"application/json": schema.EVENT_QUESTION}, required=True)
@once_per_key
async def add_question(request: Request, code: str, events: EventService, once: Idempotency) -> HTTPResponse:
    """Add a question at the end ({"question", "options", "kind", "max_choices", "visibility"})"""

    async def add() -> HTTPResponse:
        admin = await authorised(request, code, events)
        event = await events.add_question(admin, parse_new_question(json_body(request)))
        return json(event_json(request, event, admin=True), status=201)

    return await once(request, add)


@events_api.put("/<code:str>/questions/<question:str>")
@openapi.body({"application/json": schema.EVENT_QUESTION}, required=True)
@openapi.secured("token")
async def edit_question(request: Request, code: str, question: str, events: EventService) -> HTTPResponse:
    """Replace a question (409 while its current round has votes: reset it first)"""
    admin = await authorised(request, code, events)
    event = await events.edit_question(admin, question, parse_new_question(json_body(request)))
    return json(event_json(request, event, admin=True))


@events_api.delete("/<code:str>/questions/<question:str>")
@openapi.secured("token")
@once_per_key
async def delete_question(
    request: Request, code: str, question: str, events: EventService, once: Idempotency
) -> HTTPResponse:
    """Delete a question"""

    async def delete() -> HTTPResponse:
        event = await events.delete_question(await authorised(request, code, events), question)
        return json(event_json(request, event, admin=True))

    return await once(request, delete)


@events_api.post("/<code:str>/undo")
@openapi.secured("token")
@once_per_key
async def undo(request: Request, code: str, events: EventService, once: Idempotency) -> HTTPResponse:
    """Undo the latest Delete or New round, within 15 s of it (409 if there is nothing to undo, or if votes
    arrived in the new round); the event's `undo` says what would be undone, and until when"""

    async def undo() -> HTTPResponse:
        event = await events.undo(await authorised(request, code, events))
        return json(event_json(request, event, admin=True))

    return await once(request, undo)


@events_api.put("/<code:str>/order")
@openapi.secured("token")
async def reorder(request: Request, code: str, events: EventService) -> HTTPResponse:
    """Reorder the questions ({"order": [question codes]})"""
    admin = await authorised(request, code, events)
    event = await events.reorder(admin, parse_order(json_body(request)))
    return json(event_json(request, event, admin=True))


@events_api.post("/<code:str>/end")
@openapi.secured("token")
@once_per_key
async def end_event(request: Request, code: str, events: EventService, once: Idempotency) -> HTTPResponse:
    """End the event: every question closes, none is live, and every screen shows that it is over"""

    async def end() -> HTTPResponse:
        event = await events.end(await authorised(request, code, events))
        return json(event_json(request, event, admin=True))

    return await once(request, end)


@events_api.put("/<code:str>/live")
@openapi.secured("token")
async def set_live(request: Request, code: str, events: EventService) -> HTTPResponse:
    """Choose the live question ({"question": code or null, "open": true})

    Its voting opens by default, unless it was closed with votes in its round (reopen it with /open)."""
    admin = await authorised(request, code, events)
    question, open_voting = parse_live(json_body(request))
    event = await events.set_live(admin, question, open_voting)
    return json(event_json(request, event, admin=True))


@events_api.post("/<code:str>/questions/<question:str>/<action:open|close|reveal|hide|reset>")
@openapi.secured("token")
@once_per_key
async def question_action(
    request: Request, code: str, question: str, action: str, events: EventService, once: Idempotency
) -> HTTPResponse:
    """Open or close voting, reveal or hide the results, or reset (a new round) a question"""

    async def act() -> HTTPResponse:
        admin = await authorised(request, code, events)
        event = await events.act(admin, question, parse_action(action))
        return json(event_json(request, event, admin=True))

    return await once(request, act)


@events_api.post("/<code:str>/questions/<question:str>/countdown")
@openapi.secured("token")
async def countdown(request: Request, code: str, question: str, events: EventService) -> HTTPResponse:
    """Open voting and close it by itself after {"seconds": 1..3600}"""
    admin = await authorised(request, code, events)
    body = json_body(request)
    seconds = parse_countdown(body.get("seconds") if isinstance(body, dict) else None)
    event = await events.start_countdown(admin, question, seconds)
    return json(event_json(request, event, admin=True))


@events_api.get("/<code:str>/export.csv")
@openapi.secured("token")
@openapi.parameter(
    "sep",
    str,
    "query",
    description="The separator: ',' (default) or ';' for a spreadsheet that uses the decimal comma",
)
async def export_csv(request: Request, code: str, events: EventService) -> HTTPResponse:
    """The results of every question, option and round as CSV, also while the event is live"""
    return await export(request, code, "csv", events)


@events_api.get("/<code:str>/export.json")
@openapi.secured("token")
async def export_json(request: Request, code: str, events: EventService) -> HTTPResponse:
    """The results of every question, option and round as JSON, also while the event is live"""
    return await export(request, code, "json", events)


async def export(request: Request, code: str, fmt: str, events: EventService) -> HTTPResponse:
    # The token may come as the control page's cookie too, so that the page can link to a download.
    token = bearer_token(request) or admin_token(request, code) or request.args.get("token")
    rows = await events.export(await events.authorise(code, token))
    filename = f"polls-{code.upper()}-results.{fmt}"
    headers = {"Content-Disposition": f'attachment; filename="{filename}"'}
    if fmt == "json":
        return json({"event": code.upper(), "rows": rows}, headers=headers)
    separator = request.args.get("sep", ",")
    if separator not in CSV_SEPARATORS:
        raise InvalidInput(
            N_("sep must be ',' or ';' (';' for a spreadsheet that uses the decimal comma)."),
            code="separator_invalid",
        )
    out = io.StringIO()
    out.write("\ufeff")  # a byte order mark: spreadsheets then read the file as UTF-8 (umlauts, accents)
    writer = csv.DictWriter(out, fieldnames=EXPORT_FIELDS, lineterminator="\r\n", delimiter=separator)
    writer.writeheader()
    writer.writerows({field: spreadsheet_safe(value) for field, value in row.items()} for row in rows)
    return text(out.getvalue(), content_type="text/csv; charset=utf-8", headers=headers)


def spreadsheet_safe(value: Any) -> Any:
    """A text a spreadsheet would run as a formula (=, +, -, @, or a tab or a line break first) gets a
    leading apostrophe, so that it shows as the text a participant or presenter wrote (CSV injection)."""
    if isinstance(value, str) and value[:1] in FORMULA_STARTS:
        return "'" + value
    return value


@events_api.get("/<code:str>/presence")
@openapi.secured("token")
async def presence(request: Request, code: str, events: EventService, board: PresenceBoard) -> HTTPResponse:
    """How many participants are connected now, over all replicas"""
    admin = await authorised(request, code, events)
    return json({"participants": board.participants(admin.code)})
