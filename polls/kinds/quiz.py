"""Quiz: a choice question of an event with its correct option(s) and a time limit (5 to 120 s). The presenter
starts it, and PostgreSQL stamps the start (`polls.started_at`) and the end (`closes_at`); a ballot is final
once stored (its answer locked in) and takes the commit's time as when it was given, so its score is the
database's to derive (view `quiz_answers`, function `quiz_points`: 0 if wrong; if right, 1,000 at once
falling evenly to 500 at the limit). Right means exactly the correct options.

The tally is choice's (a counter per option, moved by each new ballot) with the correct options and, once
voting closed, how many were right; the audience is sent it only after the question closed and the
presenter revealed it, and never the correct options before (`sealed_settings`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from polls.errors import N_, InvalidInput
from polls.kinds._snapshot import (
    COUNT_VOTERS,
    OPTIONS_JSON,
    ExportLine,
    OptionResult,
    Tally,
    ballots_upserted,
    option_results,
)
from polls.kinds.choice import MULTIPLE, OPTIONS_RANGE
from polls.text import whole_number

if TYPE_CHECKING:
    from polls.kinds import Field, Fields, Options

TIME_LIMIT_RANGE = (5, 120)
TIME_LIMIT_DEFAULT = 20

# Stores the batch's ballots of voters without one; a voter's stored ballot stays (a quiz answer is final).
# Counts +1 per option each new ballot chose. Returns the voters whose batch ballot differs from the one
# they already have (the statement reads the ballots as they were before it): refused, not acknowledged.
UPSERT_BALLOTS = f"""
{ballots_upserted("option_ids", replaces=False)}, fresh AS (
    SELECT i.voter, i.option_ids FROM incoming i
    WHERE NOT EXISTS (SELECT 1 FROM previous WHERE voter = i.voter)
), counted AS (
    UPDATE options SET votes = options.votes + d.change
    FROM (
        SELECT id, count(*)::integer AS change FROM (SELECT unnest(option_ids) AS id FROM fresh) AS chosen
        GROUP BY id
    ) AS d
    WHERE options.poll_id = $1 AND options.id = d.id
), voters_counted AS (
    {COUNT_VOTERS}
)
SELECT i.voter FROM incoming i JOIN previous p USING (voter) WHERE p.option_ids <> i.option_ids
"""

# The snapshot: the options' counters, the correct options and the limit; how many were right only once
# voting closed (every ballot read once then, not on each batch while answers pour in).
TALLY = f"""jsonb_build_object(
    'options', {OPTIONS_JSON},
    'correct', p.settings -> 'correct',
    'time_limit', p.settings -> 'time_limit',
    'right', CASE WHEN p.status = 'closed' THEN (
        SELECT count(*) FROM quiz_answers a WHERE a.poll_id = p.id AND a.is_right
    ) END
)"""


@dataclass
class NewQuiz:
    """A quiz question of an event, as POST /api/events/{code}/questions takes it."""

    question: str
    options: list[str]
    correct: list[int]  # the numbers (1, 2, ...) of the correct options in `options`
    kind: str = "quiz"
    time_limit: int = TIME_LIMIT_DEFAULT  # seconds, 5 to 120


@dataclass
class QuizAnswer:
    """A quiz ballot, as POST /api/polls/{code}/votes takes it: final once stored."""

    voter: str
    options: list[int]  # the ids of the options chosen (as many as are correct, at most)


def _numbers(raw: str) -> list[int] | str:
    """A form's "1, 3" as [1, 3]; the text as typed if it is not such a list (the API's check names it)."""
    parts = [part for part in raw.replace(",", " ").split() if part]
    numbers = [whole_number(part) for part in parts]
    return [n for n in numbers if n is not None] if parts and None not in numbers else raw


@dataclass(frozen=True)
class Quiz:
    name: str = "quiz"
    ballot_template: str = "kinds/quiz/ballot.html"
    settings_template: str = "kinds/quiz/settings.html"
    results_template: str = "kinds/quiz/results.html"
    upsert_ballots: str = UPSERT_BALLOTS
    tally_sql: str = TALLY
    options_range: tuple[int, int] = OPTIONS_RANGE
    form_fields: tuple[str, ...] = ("correct", "time_limit")
    tables: tuple[str, ...] = ()  # its tally is the options' own counters
    moderation: None = None
    shapes: tuple[type, type] = (NewQuiz, QuizAnswer)
    sealed_settings: tuple[str, ...] = ("correct",)  # no audience channel is sent them before the reveal
    final_answers: bool = True
    timed: bool = True  # started by the presenter, on the database's clock; only in an event

    def settings(self, body: Mapping[str, Any], labels: tuple[str, ...]) -> tuple[int, dict[str, Any]]:
        """correct: the numbers of the correct options (at least one); time_limit: 5 to 120 s (20)."""
        correct = body.get("correct")
        if (
            not isinstance(correct, list)
            or not correct
            or not all(type(n) is int and 1 <= n <= len(labels) for n in correct)
            or len(set(correct)) != len(correct)
        ):
            raise InvalidInput(
                N_("correct must list the numbers of the correct options, each once, from 1 to %(n)s."),
                code="correct_invalid",
                n=len(labels),
            )
        limit = body.get("time_limit", TIME_LIMIT_DEFAULT)
        low, high = TIME_LIMIT_RANGE
        if type(limit) is not int or not low <= limit <= high:
            raise InvalidInput(
                N_("The time limit must be a whole number of seconds from %(low)s to %(high)s."),
                code="time_limit_invalid",
                low=low,
                high=high,
            )
        return len(correct), {"correct": sorted(correct), "time_limit": limit}

    def settings_from_form(self, field: Field) -> dict[str, Any]:
        raw_limit = field("time_limit").strip()
        limit = whole_number(raw_limit) if raw_limit else TIME_LIMIT_DEFAULT
        return {
            "kind": self.name,
            "correct": _numbers(field("correct")),
            "time_limit": raw_limit if limit is None else limit,
        }

    def form_values(self, question: Options) -> dict[str, str]:
        return {
            "correct": ", ".join(map(str, question.settings.get("correct", []))),
            "time_limit": str(question.settings.get("time_limit", TIME_LIMIT_DEFAULT)),
        }

    def choices(self, question: Options, body: Mapping[str, Any]) -> tuple[int, ...]:
        return MULTIPLE.choices(question, body)

    def ballot_from_form(self, fields: Fields, question: Options) -> dict[str, Any]:
        return MULTIPLE.ballot_from_form(fields, question)

    def kept(self, fields: Fields, question: Options) -> tuple[int, ...]:
        return MULTIPLE.kept(fields, question)

    def read_tally(self, data: Mapping[str, Any]) -> Tally:
        right = data.get("right")
        return option_results(data), {
            "correct": [int(n) for n in data.get("correct") or []],
            "time_limit": int(data.get("time_limit") or TIME_LIMIT_DEFAULT),
            "right": None if right is None else int(right),
        }

    def export_lines(self, lines: tuple[OptionResult, ...], detail: Mapping[str, Any]) -> list[ExportLine]:
        """One row per option; its value 1 for a correct option, 0 for a wrong one."""
        correct = set(detail.get("correct", ()))
        return [ExportLine(line.id, line.label, int(line.id in correct), line.votes) for line in lines]


KINDS = (Quiz(),)  # what the registry (polls.kinds) finds in this module
