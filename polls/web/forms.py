"""The pages' forms, read as the API's bodies: one reader of a submitted form, one parser per form.

A form's field is text or missing; a parser turns the fields into the body the service validates, so a
page and the JSON API share every rule (and every message)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sanic import Request
from sanic.request import RequestParameters

from polls.domain import Poll
from polls.event import QUESTIONS_MAX, Question
from polls.kinds import FORM_FIELDS, Answer, kind_of
from polls.text import whole_number


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
    return whole_number(raw)


@dataclass(frozen=True)
class Draft:
    """A question's fields as a form shows them: empty for a new question, a question's own when it is
    edited, or as typed when the home page's event form comes back with one more question. `values` are its
    kind's settings fields (kinds.FORM_FIELDS), by name."""

    question: str = ""
    options: str = ""
    kind: str = "single"
    visibility: str = "after_vote"
    values: Mapping[str, str] = field(default_factory=dict)

    def value(self, name: str, default: str = "") -> str:
        return self.values.get(name) or default

    def read(self, name: str) -> str:
        """Its fields as a submitted form's, by name: "kind", or one of its kind's settings."""
        return self.kind if name == "kind" else self.value(name)

    @classmethod
    def of(cls, question: Question | None = None) -> Draft:
        if question is None:
            return cls()
        poll = question.poll
        return cls(
            poll.question,
            "\n".join(option.label for option in poll.options if option.label),
            poll.kind,
            question.visibility,
            kind_of(poll.kind).form_values(poll),
        )


def kind_settings(field: Callable[[str], str]) -> dict[str, Any]:
    """The kind chosen in a form, with its settings fields, as the API's body takes them."""
    return kind_of(field("kind") or "single").settings_from_form(field)


def poll_form(form: Form) -> dict[str, Any]:
    """The home page's poll form: one option per line of the textarea."""
    return {"question": form.text("question"), "options": form.lines("options"), **kind_settings(form.text)}


def question_form(form: Form) -> dict[str, Any]:
    """The control view's form for a new or edited question of an event."""
    return {
        "question": form.text("question_text"),
        "options": form.lines("options"),
        **kind_settings(form.text),
        "visibility": form.text("visibility", "after_vote"),
    }


def event_drafts(form: Form) -> list[Draft]:
    """The home page's event form's questions as typed: question-1, options-1, kind-1, visibility-1 and the
    kinds' settings fields (max_choices-1, ...), then -2, ... (each question its own answers and who sees
    its results)."""
    drafts = []
    for n in range(1, QUESTIONS_MAX + 1):
        if not form.has(f"question-{n}"):
            break
        drafts.append(
            Draft(
                form.text(f"question-{n}"),
                form.text(f"options-{n}"),
                form.text(f"kind-{n}", "single"),
                form.text(f"visibility-{n}", "after_vote"),
                {name: form.text(f"{name}-{n}") for name in FORM_FIELDS},
            )
        )
    return drafts


def event_form(form: Form) -> dict[str, Any]:
    """The home page's event form: its title and each question filled in (one left empty is no question)."""
    questions = [
        {
            "question": draft.question,
            "options": [line for line in draft.options.splitlines() if line.strip()],
            **kind_settings(draft.read),
            "visibility": draft.visibility,
        }
        for draft in event_drafts(form)
        if draft.question.strip() or draft.options.strip()
    ]
    return {"title": form.text("title"), "questions": questions}


def ticked(form: Form, question: Poll) -> Answer:
    """What a phone had entered (ticks, ratings...), as far as it can be read: kept on its ballot when it
    is refused."""
    return kind_of(question.kind).kept(form.texts, question)


def ballot_form(form: Form, voter: str, question: Poll) -> dict[str, Any]:
    """A phone's ballot for the question, as the API's body takes it."""
    return {"voter": voter, **kind_of(question.kind).ballot_from_form(form.texts, question)}
