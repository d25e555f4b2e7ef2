"""Wire format of the bus: versioned JSON snapshots. Schema version 1; a reader drops what it cannot read.

Four types: "results" (a poll's tally), "event" (an event's state with its live question's results),
"presence" (how many participants one replica has connected, per event) and "qa" (an event's Q&A board, as
the presenter sees it; every audience renderer filters it)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from polls.domain import Option, Poll, Results
from polls.event import Event, EventView, Question, Undo
from polls.kinds import kind_of
from polls.qa import QaBoard, board_from_dict
from polls.quiz import Leaderboard

SCHEMA = 1


class MessageError(ValueError):
    pass


@dataclass(frozen=True)
class Presence:
    instance: str
    participants: dict[str, int]  # event code -> participants connected to this instance


def _results(data: dict[str, Any]) -> Results:
    # A message from a replica that did not send the kind yet (a rolling upgrade) is of a choice question.
    kind = str(data.get("kind", "single"))
    options, detail = kind_of(kind).read_tally(data)
    return Results(
        str(data["code"]),
        int(data["version"]),
        int(data["voters"]),
        str(data["status"]),
        options,
        kind,
        detail,
    )


def _question(data: dict[str, Any]) -> Question:
    options = tuple(Option(int(o["id"]), str(o["label"])) for o in data["options"])
    poll = Poll(
        str(data["code"]),
        str(data["question"]),
        data["kind"],
        int(data["max_choices"]),
        data["status"],
        options,
        in_event=True,
        # A message from a replica that did not send settings yet (a rolling upgrade) is of a choice.
        settings=dict(data.get("settings") or {}),
    )
    closes_at = datetime.fromisoformat(data["closes_at"]) if data["closes_at"] else None
    return Question(
        poll, int(data["position"]), data["visibility"], bool(data["revealed"]), closes_at, int(data["round"])
    )


def _undo(data: dict[str, Any]) -> Undo:
    return Undo(
        str(data["action"]), str(data["question"]), str(data["text"]), datetime.fromisoformat(data["until"])
    )


def event_dict(view: EventView) -> dict[str, Any]:
    """An event's state on the bus: every question (as the API shows it) and the live one's results."""
    event = view.event
    return {
        "code": event.code,
        "title": event.title,
        "version": event.version,
        "live": event.live,
        "ended": event.ended,
        "undo": event.undo.as_dict() if event.undo else None,
        "questions": [q.as_dict(presenter=True) for q in event.questions],
        "board": view.board.as_dict() if view.board else None,
        "results": (
            {**view.results.as_dict(presenter=True), "kind": view.results.kind} if view.results else None
        ),
    }


def _event(data: dict[str, Any]) -> EventView:
    questions = tuple(_question(q) for q in data["questions"])
    # A message from a replica that did not send "ended" yet (a rolling upgrade) is of an event going on.
    ended = bool(data.get("ended", False))
    undo = _undo(data["undo"]) if data.get("undo") else None
    event = Event(
        str(data["code"]), str(data["title"]), int(data["version"]), data["live"], questions, ended, undo
    )
    results = _results(data["results"]) if data["results"] else None
    # A message from a replica that did not send a leaderboard yet (a rolling upgrade) has none.
    board = Leaderboard.of(data["board"]) if data.get("board") else None
    return EventView(event, results, board)


def encode(snapshot: Results | EventView | Presence | QaBoard) -> bytes:
    if isinstance(snapshot, Results):
        body = {"type": "results", **snapshot.as_dict(presenter=True), "kind": snapshot.kind}
    elif isinstance(snapshot, EventView):
        body = {"type": "event", **event_dict(snapshot)}
    elif isinstance(snapshot, QaBoard):
        body = {"type": "qa", **snapshot.as_dict(presenter=True)}
    else:
        body = {"type": "presence", "instance": snapshot.instance, "participants": snapshot.participants}
    return json.dumps({"schema": SCHEMA, **body}).encode()


def decode(body: bytes) -> Results | EventView | Presence | QaBoard:
    try:
        data: Any = json.loads(body)
        if data.get("schema") != SCHEMA or data.get("type") not in ("results", "event", "presence", "qa"):
            raise MessageError(
                f"unsupported message: schema={data.get('schema')!r} type={data.get('type')!r}"
            )
        if data["type"] == "results":
            return _results(data)
        if data["type"] == "event":
            return _event(data)
        if data["type"] == "qa":
            return board_from_dict(data)
        participants = {str(k): int(v) for k, v in data["participants"].items()}
        return Presence(str(data["instance"]), participants)
    except MessageError:
        raise
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise MessageError(f"malformed message: {exc}") from None
