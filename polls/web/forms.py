"""The pages' forms, read as the API's bodies: one reader of a submitted form, one parser per form.

A form's field is text or missing; a parser turns the fields into the body the service validates, so a
page and the JSON API share every rule (and every message)."""

from __future__ import annotations

import re
from typing import Any

from sanic import Request
from sanic.request import RequestParameters

from polls.errors import N_, InvalidInput
from polls.kinds.choice import MAX_CHOICES_NUMBER

# ASCII digits only ("²".isdigit() is true, yet int() refuses it), and few enough for int() and a bigint.
_FORM_NUMBER = re.compile(r"[0-9]{1,18}")


class Form:
    """A submitted form's fields as text: a missing field reads as the default (""), never None."""

    def __init__(self, request: Request) -> None:
        self._fields: RequestParameters = request.form or RequestParameters()

    def text(self, name: str, default: str = "") -> str:
        value = self._fields.get(name)
        return value if isinstance(value, str) else default

    def texts(self, name: str) -> list[str]:
        return [value for value in self._fields.getlist(name) or [] if isinstance(value, str)]

    def lines(self, name: str) -> list[str]:
        """A textarea's non-blank lines."""
        return [line for line in self.text(name).splitlines() if line.strip()]


def form_number(raw: str) -> int | None:
    """A form field's whole number, or None if the text is not one."""
    return int(raw) if _FORM_NUMBER.fullmatch(raw) else None


def _choice_settings(form: Form) -> dict[str, Any]:
    """The kind fieldset of the poll and question forms: single choice, or multiple up to a maximum."""
    kind = form.text("kind", "single")
    raw_max = form.text("max_choices").strip()
    max_choices = form_number(raw_max)
    if raw_max and max_choices is None:
        raise InvalidInput(MAX_CHOICES_NUMBER, code="max_choices_invalid")
    return {"kind": kind, "max_choices": max_choices if kind == "multiple" else None}


def poll_form(form: Form) -> dict[str, Any]:
    """The home page's poll form: one option per line of the textarea."""
    return {"question": form.text("question"), "options": form.lines("options"), **_choice_settings(form)}


def question_form(form: Form) -> dict[str, Any]:
    """The control view's form for a new or edited question of an event."""
    return {
        "question": form.text("question_text"),
        "options": form.lines("options"),
        **_choice_settings(form),
        "visibility": form.text("visibility", "after_vote"),
    }


def event_form(form: Form) -> dict[str, Any]:
    """The home page's event form: questions are blocks separated by a blank line, each a question on its
    first line and one option per further line; the kind and who sees the results apply to each of them
    (results for those who voted, unless the presenter chose otherwise)."""
    blocks = [block for block in form.text("questions").replace("\r\n", "\n").split("\n\n") if block.strip()]
    settings = {**_choice_settings(form), "visibility": form.text("visibility", "after_vote")}
    questions = []
    for block in blocks:
        lines = [line for line in block.split("\n") if line.strip()]
        questions.append({"question": lines[0], "options": lines[1:], **settings})
    return {"title": form.text("title"), "questions": questions}


def ticked(form: Form) -> tuple[int, ...]:
    """The options a phone ticked, as far as they are option ids: kept on its ballot when it is refused."""
    return tuple(number for value in form.texts("option") if (number := form_number(value)) is not None)


def ballot_form(form: Form, voter: str) -> dict[str, Any]:
    """A phone's ballot: the ticked options."""
    chosen = [form_number(value) for value in form.texts("option")]
    options = [option for option in chosen if option is not None]
    if len(options) != len(chosen):
        raise InvalidInput(N_("Choose from the options shown."), code="unknown_option")
    return {"voter": voter, "options": options}
