"""The pages' forms, read as the API's bodies: one reader of a submitted form, one parser per form.

A form's field is text or missing; a parser turns the fields into the body the service validates, so a
page and the JSON API share every rule (and every message)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from sanic import Request
from sanic.request import RequestParameters

from polls.errors import N_, InvalidInput
from polls.event import QUESTIONS_MAX, Question
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

    def has(self, name: str) -> bool:
        return name in self._fields

    def texts(self, name: str) -> list[str]:
        return [value for value in self._fields.getlist(name) or [] if isinstance(value, str)]

    def lines(self, name: str) -> list[str]:
        """A textarea's non-blank lines."""
        return [line for line in self.text(name).splitlines() if line.strip()]


def form_number(raw: str) -> int | None:
    """A form field's whole number, or None if the text is not one."""
    return int(raw) if _FORM_NUMBER.fullmatch(raw) else None


@dataclass(frozen=True)
class Draft:
    """A question's fields as a form shows them: empty for a new question, a question's own when it is
    edited, or as typed when the home page's event form comes back with one more question."""

    question: str = ""
    options: str = ""
    kind: str = "single"
    max_choices: str = ""
    visibility: str = "after_vote"

    @classmethod
    def of(cls, question: Question | None = None) -> Draft:
        if question is None:
            return cls()
        poll = question.poll
        return cls(
            poll.question,
            "\n".join(option.label for option in poll.options),
            poll.kind,
            str(poll.max_choices) if poll.kind == "multiple" else "",
            question.visibility,
        )


def _choice_settings(form: Form) -> dict[str, Any]:
    """The kind fieldset of the poll and question forms: single choice, or multiple up to a maximum."""
    return _choices(form.text("kind", "single"), form.text("max_choices"))


def _choices(kind: str, raw_max: str) -> dict[str, Any]:
    raw_max = raw_max.strip()
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


def event_drafts(form: Form) -> list[Draft]:
    """The home page's event form's questions as typed: question-1, options-1, kind-1, max_choices-1,
    visibility-1, then -2, ... (each question its own answers and who sees its results)."""
    drafts = []
    for n in range(1, QUESTIONS_MAX + 1):
        if not form.has(f"question-{n}"):
            break
        drafts.append(
            Draft(
                form.text(f"question-{n}"),
                form.text(f"options-{n}"),
                form.text(f"kind-{n}", "single"),
                form.text(f"max_choices-{n}"),
                form.text(f"visibility-{n}", "after_vote"),
            )
        )
    return drafts


def event_form(form: Form) -> dict[str, Any]:
    """The home page's event form: its title and each question filled in (one left empty is no question)."""
    questions = [
        {
            "question": draft.question,
            "options": [line for line in draft.options.splitlines() if line.strip()],
            **_choices(draft.kind, draft.max_choices),
            "visibility": draft.visibility,
        }
        for draft in event_drafts(form)
        if draft.question.strip() or draft.options.strip()
    ]
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
