"""Word cloud: each voter sends 1 to `entries` short words or phrases (each at most `max_length`
characters, 40 at most); changing the answer replaces all of them. Entries are normalised (NFC, case-folded,
trimmed, inner whitespace collapsed: "Python" and " python" are one entry), and one voter's repeated entry
counts once.

The tally is a counter per normalised entry (`word_counts`), moved in the ballot's own statement by the
change each ballot makes, so a changed answer moves its counts atomically; beside them the totals of each
state (`word_totals`: how many entries have votes and how many votes they have), moved in the same
statements, so a snapshot reads its top entries and a few rows however many entries there are. The
ballot is a row of `ballots` with the normalised entries in its `texts`. The snapshot carries the `top`
entries (100 unless set, 10 to 200) most voted first, with how many distinct entries and how many entries in
all there are, never every entry; the projector lays the top ones out as a cloud (polls/kinds/_cloud.py).

With the profanity filter on, an entry that matches it is held when it first comes, in the same
transaction, until the presenter shows it; the presenter may hide any entry (it stays hidden when voted
again)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from polls.errors import N_, InvalidInput
from polls.kinds._moderation import (
    ENTRY,
    Moderation,
    filter_on,
    filter_setting,
    normalised,
    number_or_text,
    whole_setting,
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

ENTRIES_MAX = 5
LENGTH_MAX = 40
TOP_RANGE = (10, 200)
DEFAULTS = {"entries": 3, "max_length": 25, "top": 100}
# The settings, as a message to a person names them.
ENTRIES = N_("The number of entries per person")
LENGTH = N_("The length of an entry")
TOP = N_("The number of entries shown (top)")

# The totals of each state (`word_totals`: how many entries have votes, `entries`, and how many votes they
# have, `votes`), moved by `totalled`'s (state, measure, change) rows.
TOTALS_MOVED = counters_moved("word_totals", "totalled", {"state": "state", "measure": "measure"}, count="n")


def _moved_between(changed: str, to_state: str, from_state: str) -> str:
    """CTEs moving the totals of entries that changed state (CTE `changed`: each entry's votes, and its
    states as the SQL expressions `to_state` and `from_state` read them) from one state to the other."""
    return f"""totalled AS (
    SELECT s.state, m.measure, sum(s.sign * m.n)::integer AS change
    FROM {changed} c,
         LATERAL (VALUES ('votes', c.votes), ('entries', (c.votes > 0)::integer)) AS m (measure, n),
         LATERAL (VALUES ({to_state}, 1), ({from_state}, -1)) AS s (state, sign)
    GROUP BY s.state, m.measure HAVING sum(s.sign * m.n) <> 0
), totals AS (
    {TOTALS_MOVED}
)"""


UPSERT_BALLOTS = f"""
{ballots_upserted("entries", texts=True)}, delta AS (
    SELECT entry, sum(change)::integer AS change FROM (
        SELECT unnest(entries) AS entry, 1 AS change FROM incoming
        UNION ALL
        SELECT unnest(entries), -1 FROM previous
    ) AS changes GROUP BY entry HAVING sum(change) <> 0
), counted AS (
    {counters_moved("word_counts", "delta", {"entry": "entry"}, returning="entry, state, votes")}
), totalled AS (
    SELECT c.state, m.measure, sum(m.change)::integer AS change
    FROM counted c JOIN delta d USING (entry),
         LATERAL (VALUES ('votes', d.change),
                         ('entries', (c.votes > 0)::integer - (c.votes - d.change > 0)::integer))
             AS m (measure, change)
    GROUP BY c.state, m.measure HAVING sum(m.change) <> 0
), totals AS (
    {TOTALS_MOVED}
), answered AS (
    {EVERY_LINE_ANSWERED}
)
{COUNT_VOTERS}
"""


def _entries(state: str, limit: str) -> str:
    """The question's entries of one state with votes, most voted first, as [{"entry", "votes"}]."""
    return f"""(SELECT coalesce(jsonb_agg(jsonb_build_object('entry', w.entry, 'votes', w.votes)
                                  ORDER BY w.votes DESC, w.entry), '[]')
        FROM (SELECT entry, votes FROM word_counts
              WHERE poll_id = p.id AND state = '{state}' AND votes > 0
              ORDER BY votes DESC, entry LIMIT {limit}) AS w)"""


# The snapshot: the top entries shown, how many distinct entries and entries in all are shown; for the
# presenter, the entries held for review and the hidden ones (the 50 most voted of each).
TALLY = f"""jsonb_build_object(
    'options', {OPTIONS_JSON},
    'cloud', p.settings,
    'entries', {_entries("shown", "(p.settings ->> 'top')::integer")},
    'counted', (SELECT jsonb_build_object('distinct', coalesce(sum(n) FILTER (WHERE measure = 'entries'), 0),
                                          'total', coalesce(sum(n) FILTER (WHERE measure = 'votes'), 0))
                FROM word_totals WHERE poll_id = p.id AND state = 'shown'),
    'queue', {_entries("held", "50")},
    'hidden', {_entries("hidden", "50")}
)"""

HOLD = f"""WITH changed AS (
    UPDATE word_counts SET state = 'held'
    WHERE poll_id = $1 AND entry = ANY($2::text[]) AND state = 'shown' AND first_at = now()
    RETURNING votes
), {_moved_between("changed", "'held'", "'shown'")}
SELECT count(*) FROM changed"""
ACTION = f"""WITH changed AS (
    UPDATE word_counts e SET state = $3 FROM word_counts o
    WHERE e.poll_id = $1 AND e.entry = $2 AND o.poll_id = e.poll_id AND o.entry = e.entry
    RETURNING e.entry, e.votes, o.state AS was
), {_moved_between("changed", "$3::text", "c.was")}
SELECT entry FROM changed"""


def held(voter: str, answer: Answer, settings: Mapping[str, Any]) -> tuple[str, ...]:
    """The entries of a ballot that the profanity filter matches (none with the filter off)."""
    if not filter_on(settings):
        return ()
    return tuple(str(entry) for entry in answer if is_profane(str(entry)))


@dataclass
class NewWordCloud:
    """A word cloud, as POST /api/polls takes it (the OpenAPI document's shape)."""

    question: str
    kind: str = "wordcloud"
    entries: int = 3  # per voter, 1 to 5
    max_length: int = 25  # per entry, 1 to 40
    filter: bool = False  # hold what the profanity filter matches for review
    top: int = 100  # how many of the most voted entries the screens are sent, 10 to 200


@dataclass
class WordCloudAnswer:
    """A ballot of a word cloud, as POST /api/polls/{code}/votes takes it."""

    voter: str
    entries: list[str]  # 1 to `entries` texts, each at most `max_length` characters


@dataclass(frozen=True)
class WordCloud:
    name: str = "wordcloud"
    ballot_template: str = "kinds/wordcloud/ballot.html"
    settings_template: str = "kinds/wordcloud/settings.html"
    results_template: str = "kinds/wordcloud/results.html"
    upsert_ballots: str = UPSERT_BALLOTS
    tally_sql: str = TALLY
    options_range: tuple[int, int] = (0, 0)  # the question is answered, it has no options
    form_fields: tuple[str, ...] = ("entries", "entry_length", "entry_filter")
    tables: tuple[str, ...] = ("word_counts", "word_totals")
    moderation: Moderation | None = field(
        default_factory=lambda: Moderation("entry", HOLD, ACTION, ("queue", "hidden"), held)
    )
    shapes: tuple[type, type] = (NewWordCloud, WordCloudAnswer)
    sealed_settings: tuple[str, ...] = ()
    final_answers: bool = False
    timed: bool = False

    def settings(self, body: Mapping[str, Any], labels: tuple[str, ...]) -> tuple[int, dict[str, Any]]:
        """entries: how many a voter may send (1 to 5, 3 unless given); max_length: each entry's (1 to 40,
        25 unless given); filter: the profanity filter (off unless true); top: how many of the most voted
        entries the screens are sent (10 to 200, 100 unless given)."""
        entries = whole_setting(body, "entries", DEFAULTS["entries"], ENTRIES, 1, ENTRIES_MAX)
        settings = {
            "entries": entries,
            "max_length": whole_setting(body, "max_length", DEFAULTS["max_length"], LENGTH, 1, LENGTH_MAX),
            "filter": filter_setting(body),
            "top": whole_setting(body, "top", DEFAULTS["top"], TOP, *TOP_RANGE),
        }
        return entries, settings

    def settings_from_form(self, field: Field) -> dict[str, Any]:
        return {
            "kind": self.name,
            "entries": number_or_text(field("entries"), DEFAULTS["entries"]),
            "max_length": number_or_text(field("entry_length"), DEFAULTS["max_length"]),
            "filter": bool(field("entry_filter")),
        }

    def form_values(self, question: Options) -> dict[str, str]:
        settings = question.settings
        return {
            "entries": str(settings.get("entries", "")),
            "entry_length": str(settings.get("max_length", "")),
            "entry_filter": "on" if settings.get("filter") else "",
        }

    def choices(self, question: Options, body: Mapping[str, Any]) -> tuple[str, ...]:
        """{"entries": ["...", ...]}: 1 to the question's number of entries, each a text of at most its
        max_length characters. Stored normalised, each once, in the order given."""
        entries = body.get("entries")
        if not isinstance(entries, list) or not entries:
            raise InvalidInput(N_("entries must be a list of texts."), code="entries_invalid")
        most = int(question.settings["entries"])
        if len(entries) > most:
            raise InvalidInput(N_("Send at most %(entries)s entries."), code="too_many_entries", entries=most)
        limit = int(question.settings["max_length"])
        return tuple(dict.fromkeys(normalised(entry, ENTRY, limit) for entry in entries))

    def ballot_from_form(self, fields: Fields, question: Options) -> dict[str, Any]:
        """The entry fields the phone filled in (empty ones left out)."""
        return {"entries": [text for text in fields("entry") if text.strip()]}

    def kept(self, fields: Fields, question: Options) -> tuple[str, ...]:
        return tuple(fields("entry"))

    def read_tally(self, data: Mapping[str, Any]) -> Tally:
        def entries(key: str) -> list[dict[str, Any]]:
            return [{"entry": str(e["entry"]), "votes": int(e["votes"])} for e in data.get(key, ())]

        cloud = data["cloud"]
        detail = {
            "cloud": {name: cloud[name] for name in ("entries", "max_length", "filter", "top")},
            "entries": entries("entries"),
            "counted": {"distinct": int(data["counted"]["distinct"]), "total": int(data["counted"]["total"])},
            **{key: entries(key) for key in ("queue", "hidden") if key in data},
        }
        return option_results(data), detail

    def export_lines(self, lines: tuple[OptionResult, ...], detail: Mapping[str, Any]) -> list[ExportLine]:
        """A row per entry shown (the top ones), held or hidden."""
        line = lines[0]
        return [
            ExportLine(line.id, str(entry["entry"]), None, int(entry["votes"]))
            for key in ("entries", "queue", "hidden")
            for entry in detail.get(key, ())
        ]


KINDS = (WordCloud(),)  # what the registry (polls.kinds) finds in this module
