"""Single and multiple choice: a question with 2 to 20 options; a ballot ticks one of them (single) or up to
`max_choices` (multiple). The tally is a counter per option, moved in SQL by the change each ballot makes."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from polls.errors import N_, NP_, InvalidInput
from polls.kinds._snapshot import (
    COUNT_VOTERS,
    OPTIONS_JSON,
    ExportLine,
    OptionResult,
    Tally,
    ballots_upserted,
    option_results,
)
from polls.text import whole_number

if TYPE_CHECKING:
    from polls.kinds import Field, Fields, Options

OPTIONS_RANGE = (2, 20)  # how many options a choice question has, at least and at most

# What the forms and the API say to a maximum that is no whole number.
MAX_CHOICES_NUMBER = N_("The maximum number of choices must be a whole number.")

# Applies a batch of ballots (one per voter) in one statement, counting in the database itself: +1 for each
# option a ballot chooses, -1 for each option the voter's previous ballot had, never read-modify-write in
# Python. The caller holds the question's row lock, so no other ballot of it changes in between.
UPSERT_BALLOTS = f"""
{ballots_upserted("option_ids")}, delta AS (
    SELECT id, sum(change)::integer AS change FROM (
        SELECT unnest(option_ids) AS id, 1 AS change FROM incoming
        UNION ALL
        SELECT unnest(option_ids), -1 FROM previous
    ) AS changes GROUP BY id HAVING sum(change) <> 0
), counted AS (
    UPDATE options SET votes = options.votes + delta.change
    FROM delta WHERE options.poll_id = $1 AND options.id = delta.id
)
{COUNT_VOTERS}
"""


# The tally: a counter per option, in the options' order.
TALLY = f"jsonb_build_object('options', {OPTIONS_JSON})"


@dataclass
class NewChoice:
    """A choice question, as POST /api/polls takes it (the OpenAPI document's shape)."""

    question: str
    options: list[str]
    kind: str = "single"  # or "multiple"
    max_choices: int | None = None  # multiple: 1 to the number of options (all if not given)


@dataclass
class ChoiceAnswer:
    """A ballot of a choice question, as POST /api/polls/{code}/votes takes it."""

    voter: str
    options: list[int]  # the ids of the options chosen


@dataclass(frozen=True)
class Choice:
    name: str  # "single" or "multiple"
    ballot_template: str = "kinds/choice/ballot.html"
    settings_template: str = "kinds/choice/settings.html"
    results_template: str = "kinds/choice/results.html"
    upsert_ballots: str = UPSERT_BALLOTS
    tally_sql: str = TALLY
    options_range: tuple[int, int] = OPTIONS_RANGE
    form_fields: tuple[str, ...] = ("max_choices",)
    tables: tuple[str, ...] = ()  # its tally is the options' own counters
    moderation: None = None  # its answers are no texts
    shapes: tuple[type, type] = (NewChoice, ChoiceAnswer)  # the API's bodies, for its OpenAPI document
    sealed_settings: tuple[str, ...] = ()
    final_answers: bool = False
    timed: bool = False

    @property
    def single(self) -> bool:
        return self.name == "single"

    def settings(self, body: Mapping[str, Any], labels: tuple[str, ...]) -> tuple[int, dict[str, Any]]:
        """max_choices: 1 for single choice; for multiple, 1 to the number of options (all if not given)."""
        return self._max_choices(body, labels), {}

    def _max_choices(self, body: Mapping[str, Any], labels: tuple[str, ...]) -> int:
        max_choices = body.get("max_choices")
        if self.single:
            if max_choices is not None and (type(max_choices) is not int or max_choices != 1):
                raise InvalidInput(
                    N_("max_choices applies only to polls of kind 'multiple'."),
                    code="max_choices_not_multiple",
                )
            return 1
        if max_choices is None:
            return len(labels)
        if isinstance(max_choices, bool) or not isinstance(max_choices, int):
            raise InvalidInput(MAX_CHOICES_NUMBER, code="max_choices_invalid")
        if not 1 <= max_choices <= len(labels):
            raise InvalidInput(
                N_("The maximum number of choices must be between 1 and %(options)s."),
                code="max_choices_range",
                options=len(labels),
            )
        return max_choices

    def settings_from_form(self, field: Field) -> dict[str, Any]:
        """One choice, or several up to the maximum typed (empty: every option)."""
        if self.single:
            return {"kind": self.name, "max_choices": None}
        raw = field("max_choices").strip()
        max_choices = whole_number(raw)
        if raw and max_choices is None:
            raise InvalidInput(MAX_CHOICES_NUMBER, code="max_choices_invalid")
        return {"kind": self.name, "max_choices": max_choices}

    def form_values(self, question: Options) -> dict[str, str]:
        return {"max_choices": "" if self.single else str(question.max_choices)}

    def ballot_from_form(self, fields: Fields, question: Options) -> dict[str, Any]:
        """The ticked options."""
        chosen = [whole_number(value) for value in fields("option")]
        if None in chosen:
            raise InvalidInput(N_("Choose from the options shown."), code="unknown_option")
        return {"options": chosen}

    def kept(self, fields: Fields, question: Options) -> tuple[int, ...]:
        return tuple(number for value in fields("option") if (number := whole_number(value)) is not None)

    def read_tally(self, data: Mapping[str, Any]) -> Tally:
        return option_results(data), {}

    def export_lines(self, lines: tuple[OptionResult, ...], detail: Mapping[str, Any]) -> list[ExportLine]:
        return [ExportLine(line.id, line.label, None, line.votes) for line in lines]

    def choices(self, question: Options, body: Mapping[str, Any]) -> tuple[int, ...]:
        chosen = body.get("options")
        if not isinstance(chosen, list) or not all(
            isinstance(i, int) and not isinstance(i, bool) for i in chosen
        ):
            raise InvalidInput(N_("options must be a list of option ids."), code="choices_invalid")
        ids = tuple(sorted(set(chosen)))
        if not ids:
            raise InvalidInput(N_("Choose at least one option."), code="no_choice")
        unknown = set(ids) - question.option_ids
        if unknown:
            raise InvalidInput(
                N_("Unknown option id(s) for this poll: %(ids)s."),
                code="unknown_option",
                ids=", ".join(map(str, sorted(unknown))),
            )
        if len(ids) > question.max_choices:
            raise InvalidInput(
                NP_(
                    "Too many choices: choose one option.",
                    "Too many choices: choose at most %(num)s options.",
                ),
                code="too_many_choices",
                count=question.max_choices,
            )
        return ids


SINGLE = Choice("single")
MULTIPLE = Choice("multiple")
KINDS = (SINGLE, MULTIPLE)  # what the registry (polls.kinds) finds in this module
