"""A quiz's own routes: the database's time for the phones' countdowns, a player's nickname, and a phone's
own standing after a reveal (the pushed leaderboard is every screen's; a phone's place is its own)."""

from __future__ import annotations

from sanic import Blueprint, Request
from sanic.response import HTTPResponse, json, redirect
from sanic_ext import openapi

from polls.clock import DatabaseClock
from polls.errors import InvalidInput, NicknameTaken
from polls.event_service import EventService
from polls.quiz import parse_nickname
from polls.quiz_service import QuizService
from polls.voters import VoterIds
from polls.web.errors import wants_json
from polls.web.forms import Form
from polls.web.idempotency import Idempotency
from polls.web.pages import phone_page, voter_of
from polls.web.render import Templates, url

quiz = Blueprint("quiz")


@quiz.get("/api/time")
@openapi.response(200, description='{"now": milliseconds since the epoch}')
async def server_time(request: Request, clock: DatabaseClock) -> HTTPResponse:
    """The time a quiz's clock runs on (PostgreSQL's), for a client to measure its offset to it"""
    return json({"now": round(clock.now() * 1000)}, headers={"Cache-Control": "no-store"})


@quiz.put("/api/events/<code:str>/nickname")
@openapi.body({"application/json": {"voter": str, "nickname": str}})
@openapi.response(200, description='{"nickname": ...}')
@openapi.response(409, description="Another player of the event has that nickname")
@openapi.response(422, description="Not 1 to 24 characters, a refused word, or a voter id not issued")
async def put_nickname(request: Request, code: str, players: QuizService) -> HTTPResponse:
    """Name a player (a voter id) in the event's quiz leaderboard; without one they show as an animal"""
    body = request.json if isinstance(request.json, dict) else None
    nickname = parse_nickname(body)
    voter = body.get("voter") if body else None
    await players.set_nickname(code, voter if isinstance(voter, str) else "", nickname)
    return json({"nickname": nickname})


@quiz.post("/e/<code:str>/nickname")
async def nickname_form(
    request: Request,
    code: str,
    players: QuizService,
    templates: Templates,
    voter_ids: VoterIds,
    once: Idempotency,
) -> HTTPResponse:
    """A phone's nickname in the event's leaderboard; a refused one comes back as typed, with the reason"""

    async def name() -> HTTPResponse:
        voter = voter_of(request, voter_ids)
        typed = Form(request).text("nickname")
        try:
            nickname = parse_nickname({"nickname": typed})
            await players.set_nickname(code, voter, nickname)
        except (InvalidInput, NicknameTaken) as refused:
            if wants_json(request) or request.headers.get("HX-Request") != "true":
                raise
            return phone_page(
                request,
                templates,
                voter,
                "_quiz_nickname.html",
                status=refused.status_code,
                code=code,
                nickname=typed,
                error=refused,
            )
        if request.headers.get("HX-Request") != "true":
            return redirect(url(request, "event_pages.participant", code=code), status=303)
        return phone_page(
            request, templates, voter, "_quiz_nickname.html", code=code, nickname=nickname, saved=True
        )

    return await once(request, name)


@quiz.get("/e/<code:str>/me")
async def my_standing(
    request: Request,
    code: str,
    events: EventService,
    players: QuizService,
    templates: Templates,
    voter_ids: VoterIds,
) -> HTTPResponse:
    """This phone's own place in the quiz and how its answer to the live question went"""
    voter = voter_of(request, voter_ids)
    event = await events.get_event(code)
    mine = await players.standing(event.code, voter, event.live)
    return phone_page(request, templates, voter, "_quiz_me.html", mine=mine)
