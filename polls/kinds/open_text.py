"""Open text: each voter sends one short text (at most `max_length` characters, 280 at most); sending
another replaces it. The screens show a wall of the answers, newest first.

Moderation, the presenter's choice: "off" (every answer is shown), "hide_afterwards" (shown at once; the
presenter may hide one and show it again) or "approve_first" (an answer waits in the control view's queue
until the presenter shows it). With the profanity filter on, an answer that matches it is held for review
in the same transaction that stored it, whatever the moderation. Only shown answers reach any audience
channel.

The ballot is a row of `ballots` (its `texts` holds the answer); `text_entries` keeps each voter's answer
with its state, written in the ballot's own statement (a changed text starts again in the moderation's
first state; the same text sent again changes nothing), and `text_counts` the number of answers in each
state, moved in the same statement as every change of state, so that a snapshot reads no more than a page
of answers however many there are. The snapshot carries the newest 50 shown answers and how many are
shown; for the presenter, the newest 50 waiting (pending or held) and hidden ones and their numbers."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from polls.errors import N_, InvalidInput
from polls.kinds._moderation import (
    Moderation,
    filter_on,
    filter_setting,
    number_or_text,
    whole_setting,
    written,
)
from polls.kinds._snapshot import (
    COUNT_VOTERS,
    EVERY_LINE_ANSWERED,
    OPTIONS_JSON,
    Answer,
    ExportLine,
    OptionResult,
    Tally,
    ballots_upserted,
    counters_moved,
    option_results,
)
from polls.profanity import is_profane

if TYPE_CHECKING:
    from polls.kinds import Field, Fields, Options

LENGTH_MAX = 280
DEFAULT_LENGTH = 200
MODERATIONS = ("off", "hide_afterwards", "approve_first")
PAGE = 50  # the newest answers of each state a snapshot carries
ANSWER = N_("Your answer")
LENGTH = N_("The length of an answer")


def _states_moved(changes: str) -> str:
    """CTEs that move the question's counters of answers per state (`text_counts`) by `changes`, a query
    of (state, change) rows: `moved` (the sum per state) and `counted`."""
    return f"""moved AS (
    SELECT state, sum(change)::integer AS change FROM ({changes}) AS changes
    GROUP BY state HAVING sum(change) <> 0
), counted AS (
    {counters_moved("text_counts", "moved", {"state": "state"}, count="entries")}
)"""


UPSERT_BALLOTS = f"""
{ballots_upserted("texts", texts=True)}, before AS (
    SELECT e.voter, e.state FROM text_entries e JOIN incoming USING (voter) WHERE e.poll_id = $1
), written AS (
    INSERT INTO text_entries (poll_id, voter, text, state, at)
    SELECT $1, voter, texts[1], (
        SELECT CASE p.settings ->> 'moderation' WHEN 'approve_first' THEN 'pending' ELSE 'shown' END
        FROM polls p WHERE p.id = $1
    ), now() FROM incoming
    ON CONFLICT (poll_id, voter) DO UPDATE SET text = EXCLUDED.text, state = EXCLUDED.state, at = EXCLUDED.at
    WHERE text_entries.text IS DISTINCT FROM EXCLUDED.text
    RETURNING voter, state
), {
    _states_moved(
        "SELECT state, 1 AS change FROM written UNION ALL "
        "SELECT b.state, -1 FROM before b JOIN written USING (voter)"
    )
}, answered AS (
    {EVERY_LINE_ANSWERED}
)
{COUNT_VOTERS}
"""


def _newest(states: str) -> str:
    """The question's newest answers in these states (an SQL list), as [{"id", "text", "at", "state"}]."""
    return f"""(SELECT coalesce(jsonb_agg(jsonb_build_object('id', e.id, 'text', e.text, 'at', e.at,
                                                      'state', e.state) ORDER BY e.at DESC, e.id DESC), '[]')
        FROM (SELECT id, text, at, state FROM text_entries
              WHERE poll_id = p.id AND state IN ({states}) ORDER BY at DESC, id DESC LIMIT {PAGE}) AS e)"""


# The snapshot: the newest shown answers and how many are shown; for the presenter, the waiting and the
# hidden ones, and how many there are of each.
TALLY = f"""jsonb_build_object(
    'options', {OPTIONS_JSON},
    'moderation', p.settings,
    'entries', {_newest("'shown'")},
    'shown', (SELECT coalesce(sum(entries), 0) FROM text_counts WHERE poll_id = p.id AND state = 'shown'),
    'queue', {_newest("'pending', 'held'")},
    'hidden', {_newest("'hidden'")},
    'review', (SELECT jsonb_build_object(
                   'waiting', coalesce(sum(entries) FILTER (WHERE state IN ('pending', 'held')), 0),
                   'hidden', coalesce(sum(entries) FILTER (WHERE state = 'hidden'), 0))
               FROM text_counts WHERE poll_id = p.id)
)"""

# A change of state, with its counters moved in the same statement: `changed` returns each entry changed
# with the state it had (the joined row `o` is the entry as the statement found it).
HOLD = f"""WITH changed AS (
    UPDATE text_entries e SET state = 'held' FROM text_entries o
    WHERE e.poll_id = $1 AND e.voter = ANY($2::text[]) AND e.at = now()
      AND o.poll_id = e.poll_id AND o.voter = e.voter
    RETURNING e.state, o.state AS was
), {_states_moved("SELECT state, 1 AS change FROM changed UNION ALL SELECT was, -1 FROM changed")}
SELECT count(*) FROM changed"""
ACTION = f"""WITH changed AS (
    UPDATE text_entries e SET state = $3 FROM text_entries o
    WHERE e.poll_id = $1 AND e.id = $2::text::bigint AND o.poll_id = e.poll_id AND o.voter = e.voter
    RETURNING e.id, e.state, o.state AS was
), {_states_moved("SELECT state, 1 AS change FROM changed UNION ALL SELECT was, -1 FROM changed")}
SELECT id FROM changed"""


def held(voter: str, answer: Answer, settings: Mapping[str, Any]) -> tuple[str, ...]:
    """The ballot's voter, if the profanity filter matches its answer (never with the filter off): an
    answer is named by its voter until it has an id."""
    return (voter,) if filter_on(settings) and is_profane(str(answer[0])) else ()


def hides(settings: Mapping[str, Any]) -> bool:
    return settings.get("moderation") != "off"


def _entry(entry: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "id": int(entry["id"]),
        "text": str(entry["text"]),
        "at": str(entry["at"]),
        "state": str(entry["state"]),
    }


@dataclass
class NewOpenText:
    """An open text question, as POST /api/polls takes it (the OpenAPI document's shape)."""

    question: str
    kind: str = "text"
    max_length: int = DEFAULT_LENGTH  # 1 to 280
    moderation: str = "hide_afterwards"  # or "off", "approve_first"
    filter: bool = False  # hold what the profanity filter matches for review


@dataclass
class OpenTextAnswer:
    """A ballot of an open text, as POST /api/polls/{code}/votes takes it."""

    voter: str
    text: str  # at most `max_length` characters


@dataclass(frozen=True)
class OpenText:
    name: str = "text"
    ballot_template: str = "kinds/text/ballot.html"
    settings_template: str = "kinds/text/settings.html"
    results_template: str = "kinds/text/results.html"
    upsert_ballots: str = UPSERT_BALLOTS
    tally_sql: str = TALLY
    options_range: tuple[int, int] = (0, 0)  # the question is answered, it has no options
    form_fields: tuple[str, ...] = ("text_length", "moderation", "text_filter")
    tables: tuple[str, ...] = ("text_entries", "text_counts")
    shapes: tuple[type, type] = (NewOpenText, OpenTextAnswer)
    sealed_settings: tuple[str, ...] = ()
    final_answers: bool = False
    timed: bool = False
    moderation: Moderation | None = field(
        default_factory=lambda: Moderation("id", HOLD, ACTION, ("queue", "hidden", "review"), held, hides)
    )

    def settings(self, body: Mapping[str, Any], labels: tuple[str, ...]) -> tuple[int, dict[str, Any]]:
        """max_length: an answer's (1 to 280, 200 unless given); moderation: "off", "hide_afterwards"
        (unless given) or "approve_first"; filter: the profanity filter (off unless true)."""
        length = whole_setting(body, "max_length", DEFAULT_LENGTH, LENGTH, 1, LENGTH_MAX)
        moderation = body.get("moderation", "hide_afterwards")
        if moderation not in MODERATIONS:
            raise InvalidInput(
                N_("moderation must be 'off', 'hide_afterwards' or 'approve_first'."),
                code="moderation_invalid",
            )
        return 1, {"max_length": length, "moderation": moderation, "filter": filter_setting(body)}

    def settings_from_form(self, field: Field) -> dict[str, Any]:
        return {
            "kind": self.name,
            "max_length": number_or_text(field("text_length"), DEFAULT_LENGTH),
            "moderation": field("moderation") or "hide_afterwards",
            "filter": bool(field("text_filter")),
        }

    def form_values(self, question: Options) -> dict[str, str]:
        settings = question.settings
        return {
            "text_length": str(settings.get("max_length", "")),
            "moderation": str(settings.get("moderation", "")),
            "text_filter": "on" if settings.get("filter") else "",
        }

    def choices(self, question: Options, body: Mapping[str, Any]) -> tuple[str, ...]:
        """{"text": "..."}: one text of at most the question's max_length characters."""
        if "text" not in body:
            raise InvalidInput(N_("text must be your answer, a text."), code="text_missing")
        return (written(body["text"], ANSWER, int(question.settings["max_length"])),)

    def ballot_from_form(self, fields: Fields, question: Options) -> dict[str, Any]:
        return {"text": next(iter(fields("text")), "")}

    def kept(self, fields: Fields, question: Options) -> tuple[str, ...]:
        return tuple(fields("text")[:1])

    def read_tally(self, data: Mapping[str, Any]) -> Tally:
        settings = data["moderation"]
        detail: dict[str, Any] = {
            "moderation": {name: settings[name] for name in ("max_length", "moderation", "filter")},
            "entries": [_entry(entry) for entry in data["entries"]],
            "shown": int(data["shown"]),
        }
        for key in ("queue", "hidden"):
            if key in data:
                detail[key] = [_entry(entry) for entry in data[key]]
        if "review" in data:
            detail["review"] = {name: int(data["review"][name]) for name in ("waiting", "hidden")}
        return option_results(data), detail

    def export_lines(self, lines: tuple[OptionResult, ...], detail: Mapping[str, Any]) -> list[ExportLine]:
        """A row per answer the snapshot holds (the newest of each state): its text."""
        return [
            ExportLine(int(entry["id"]), str(entry["text"]), None, 1)
            for key in ("entries", "queue", "hidden")
            for entry in detail.get(key, ())
        ]


KINDS = (OpenText(),)  # what the registry (polls.kinds) finds in this module
