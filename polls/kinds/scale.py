"""Rating scale: the question, or each of its statements (up to ten), rated on one scale from `min` to `max`
(whole numbers from 0 to 10, two to eleven steps), with an optional label for each end ("Not at all",
"Very much"). A ballot gives one rating per statement; changing it replaces them all.

The tally is kept like choice's, in the ballot's own statement: a counter per statement and step
(`scale_counts`), moved by the change each ballot makes. A scale's ballot is a row of `ballots`, its
`option_ids` holding the ratings, one per statement in the statements' order, so one ballot per voter
and question is PostgreSQL's to enforce, as for every kind.

The snapshot's lines are the statements (votes: how many rated each); beside them the scale and, per
statement, the count of each step, the mean and the median (computed from the counts, the same on every
replica)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from polls.errors import N_, InvalidInput
from polls.kinds._snapshot import (
    COUNT_VOTERS,
    EVERY_LINE_ANSWERED,
    OPTIONS_JSON,
    ExportLine,
    OptionResult,
    Tally,
    ballots_upserted,
    counters_moved,
    counts_per_option,
    option_results,
)
from polls.text import clean_text, whole_number

if TYPE_CHECKING:
    from polls.kinds import Field, Fields, Options

STATEMENTS_MAX = 10
VALUE_MIN, VALUE_MAX = 0, 10
STEPS_MAX = 11
END_LABEL_MAX = 40
END_LABEL = N_("A label of the scale's end")

UPSERT_BALLOTS = f"""
{ballots_upserted("ratings")}, delta AS (
    SELECT statement::integer AS statement, value, sum(change)::integer AS change FROM (
        SELECT r.statement, r.value, 1 AS change
        FROM incoming, unnest(incoming.ratings) WITH ORDINALITY AS r (value, statement)
        UNION ALL
        SELECT r.statement, r.value, -1
        FROM previous, unnest(previous.ratings) WITH ORDINALITY AS r (value, statement)
    ) AS changes GROUP BY statement, value HAVING sum(change) <> 0
), counted AS (
    {counters_moved("scale_counts", "delta", {"option_id": "statement", "value": "value"})}
), rated AS (
    {EVERY_LINE_ANSWERED}
)
{COUNT_VOTERS}
"""

# The snapshot: the statements, the scale, and per statement the count of each step from min to max.
TALLY = f"""jsonb_build_object(
    'options', {OPTIONS_JSON},
    'scale', p.settings,
    'statements', {
    counts_per_option(
        "scale_counts", "value", "(p.settings ->> 'min')::integer", "(p.settings ->> 'max')::integer"
    )
}
)"""


def mean(low: int, counts: Sequence[int]) -> float | None:
    """The mean rating, rounded to two decimals; None before anyone rated."""
    total = sum(counts)
    if not total:
        return None
    return round(sum((low + step) * count for step, count in enumerate(counts)) / total, 2)


def median(low: int, counts: Sequence[int]) -> float | None:
    """The median rating: the middle one, or the mean of the two middle ones; None before anyone rated."""
    total = sum(counts)
    if not total:
        return None
    wanted = (total - 1) // 2, total // 2  # the middle position(s), counted from 0
    found: list[int] = []
    seen = 0
    for step, count in enumerate(counts):
        for position in wanted:
            if seen <= position < seen + count:
                found.append(low + step)
        seen += count
    return (found[0] + found[1]) / 2


def _whole_or_text(raw: str) -> int | str:
    """A form's number as the API takes it: a whole number, or the text (refused as no whole number)."""
    number = whole_number(raw)
    return raw if number is None else number


@dataclass
class NewScale:
    """A rating scale, as POST /api/polls takes it (the OpenAPI document's shape)."""

    question: str
    options: list[str]  # the statements rated on the scale (up to 10), or none: the question is rated
    kind: str = "scale"
    min: int = 1  # 0 to 10
    max: int = 5  # above min, at most 11 steps
    min_label: str | None = None  # at most 40 characters
    max_label: str | None = None


@dataclass
class ScaleAnswer:
    """A ballot of a scale, as POST /api/polls/{code}/votes takes it."""

    voter: str
    ratings: dict[str, int]  # a rating per statement id (the question's one line: "1")


@dataclass(frozen=True)
class Scale:
    name: str = "scale"
    ballot_template: str = "kinds/scale/ballot.html"
    settings_template: str = "kinds/scale/settings.html"
    results_template: str = "kinds/scale/results.html"
    upsert_ballots: str = UPSERT_BALLOTS
    tally_sql: str = TALLY
    options_range: tuple[int, int] = (0, STATEMENTS_MAX)  # none: the question itself is rated
    form_fields: tuple[str, ...] = ("min", "max", "min_label", "max_label")
    tables: tuple[str, ...] = ("scale_counts",)
    moderation: None = None  # its answers are no texts
    shapes: tuple[type, type] = (NewScale, ScaleAnswer)
    sealed_settings: tuple[str, ...] = ()
    final_answers: bool = False
    timed: bool = False

    def settings(self, body: Mapping[str, Any], labels: tuple[str, ...]) -> tuple[int, dict[str, Any]]:
        """min and max (1 to 5 unless given), whole numbers from 0 to 10 with at most 11 steps; the ends'
        labels, optional, each at most 40 characters."""
        low, high = body.get("min", 1), body.get("max", 5)
        for value in (low, high):
            if isinstance(value, bool) or not isinstance(value, int) or not VALUE_MIN <= value <= VALUE_MAX:
                raise InvalidInput(
                    N_("The scale's ends must be whole numbers from %(low)s to %(high)s."),
                    code="scale_invalid",
                    low=VALUE_MIN,
                    high=VALUE_MAX,
                )
        if not low < high or high - low + 1 > STEPS_MAX:
            raise InvalidInput(
                N_("A scale goes up from its lower end and has at most %(steps)s steps."),
                code="scale_invalid",
                steps=STEPS_MAX,
            )
        settings: dict[str, Any] = {"min": low, "max": high}
        for end in ("min_label", "max_label"):
            text = body.get(end)
            if text is not None and not (isinstance(text, str) and not text.strip()):
                settings[end] = clean_text(text, END_LABEL, END_LABEL_MAX)
        return 1, settings

    def settings_from_form(self, field: Field) -> dict[str, Any]:
        return {
            "kind": self.name,
            "min": _whole_or_text(field("min") or "1"),
            "max": _whole_or_text(field("max") or "5"),
            "min_label": field("min_label"),
            "max_label": field("max_label"),
        }

    def form_values(self, question: Options) -> dict[str, str]:
        return {name: str(question.settings.get(name, "")) for name in self.form_fields}

    def choices(self, question: Options, body: Mapping[str, Any]) -> tuple[int, ...]:
        """{"ratings": {"<statement id>": rating, ...}}: every statement rated, each on the scale. Stored as
        the ratings in the statements' order."""
        ratings = body.get("ratings")
        if not isinstance(ratings, dict):
            raise InvalidInput(
                N_("ratings must be an object of a rating per statement id."), code="ratings_invalid"
            )
        low, high = int(question.settings["min"]), int(question.settings["max"])
        answer = []
        for statement in question.options:
            value = ratings.get(str(statement.id))
            if value is None:
                raise InvalidInput(N_("Rate every statement."), code="rating_missing")
            if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
                raise InvalidInput(
                    N_("A rating is a whole number from %(low)s to %(high)s."),
                    code="rating_invalid",
                    low=low,
                    high=high,
                )
            answer.append(value)
        unknown = set(ratings) - {str(statement.id) for statement in question.options}
        if unknown:
            raise InvalidInput(
                N_("Unknown statement id(s) for this question: %(ids)s."),
                code="unknown_option",
                ids=", ".join(sorted(unknown)),
            )
        return tuple(answer)

    def ballot_from_form(self, fields: Fields, question: Options) -> dict[str, Any]:
        """A rating per statement: the field rating-<statement id>."""
        ratings: dict[str, int] = {}
        for statement in question.options:
            raw = next(iter(fields(f"rating-{statement.id}")), "")
            number = whole_number(raw)
            if number is not None:
                ratings[str(statement.id)] = number
            elif raw:
                raise InvalidInput(N_("Choose from the options shown."), code="unknown_option")
        return {"ratings": ratings}

    def kept(self, fields: Fields, question: Options) -> tuple[int, ...]:
        """The ratings entered, in order; none unless every statement has one (a half-rated ballot shows
        empty rather than shifted)."""
        ratings = [whole_number(next(iter(fields(f"rating-{s.id}")), "")) for s in question.options]
        return tuple(r for r in ratings if r is not None) if None not in ratings else ()

    def read_tally(self, data: Mapping[str, Any]) -> Tally:
        scale = data["scale"]
        low, high = int(scale["min"]), int(scale["max"])
        statements = []
        for statement in data["statements"]:
            counts = [int(count) for count in statement["counts"]]
            if len(counts) != high - low + 1:
                raise ValueError("a scale's counts must have one count per step")
            statements.append(
                {
                    "id": int(statement["id"]),
                    "counts": counts,
                    "count": sum(counts),
                    "mean": mean(low, counts),
                    "median": median(low, counts),
                }
            )
        detail = {
            "scale": {
                "min": low,
                "max": high,
                **{end: str(scale[end]) for end in ("min_label", "max_label") if scale.get(end)},
            },
            "statements": statements,
        }
        return option_results(data), detail

    def export_lines(self, lines: tuple[OptionResult, ...], detail: Mapping[str, Any]) -> list[ExportLine]:
        """A row per statement and step."""
        low = int(detail["scale"]["min"])
        return [
            ExportLine(line.id, line.label, low + step, count)
            for line, statement in zip(lines, detail["statements"], strict=True)
            for step, count in enumerate(statement["counts"])
        ]


KINDS = (Scale(),)  # what the registry (polls.kinds) finds in this module
