"""The Q&A board's live formats: one fragment template per live region (the phones', the projector's, the
control view's), rendered once per version, order and language; and the audience's JSON. Every format but
the control view's renders the audience's board (for_audience): what waits for approval, what the filter
held and what is hidden is never in it."""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import partial
from typing import Any

from polls.qa import AUDIENCE_MAX, ORDERS, QaBoard
from polls.web.render import Templates

QA_FRAGMENTS = {
    "participant": "_qa_participant.html",
    "present": "_qa_present.html",
}
CONTROL_FRAGMENT = "_qa_control.html"


def qa_context(board: QaBoard, order: str = "top", presenter: bool = False, **extra: Any) -> dict[str, Any]:
    """What a Q&A template is given: the board as its viewer may see it, in its order."""
    shown = board if presenter else board.for_audience()
    return {
        "board": shown,
        "questions": shown.ordered(order)[:AUDIENCE_MAX],
        "order": order,
        "mine": extra.pop("mine", frozenset()),
        "known": extra.pop("known", False),  # whether `mine` is this phone's (a page), or unknown (a push)
        **extra,
    }


def render_region(templates: Templates, template: str, order: str, language: str, board: QaBoard) -> str:
    return templates.render(template, language, **qa_context(board, order))


def render_control(templates: Templates, language: str, board: QaBoard) -> str:
    return templates.render(CONTROL_FRAGMENT, language, **qa_context(board, presenter=True))


def qa_json(board: QaBoard) -> str:
    """The audience's live JSON message: the board without what only the presenter sees, and its type."""
    return json.dumps({"type": "qa", **board.as_dict()})


def qa_renderers(templates: Templates) -> dict[str, Callable[[QaBoard], str]]:
    """The hub's formats: "json", "participant-top:en", "present-new:de", ..., "control:en"."""
    renderers: dict[str, Callable[[QaBoard], str]] = {"json": qa_json}
    for language in templates.envs:
        for region, template in QA_FRAGMENTS.items():
            for order in ORDERS:
                renderers[f"{region}-{order}:{language}"] = partial(
                    render_region, templates, template, order, language
                )
        renderers[f"control:{language}"] = partial(render_control, templates, language)
    return renderers
