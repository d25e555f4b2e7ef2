"""Ranking: 2 to 20 options put in order of preference, all of them or the top K (`max_choices`). A ballot is
the ranking, most preferred first; changing it replaces it.

Counted two ways, live: the instant-runoff count round by round (polls/kinds/_irv.py: who is eliminated,
where their ballots went, until one option has a majority of the continuing ballots; its tie rule is
shown with it), and the average rank with the Borda points beside it. In the database, in the ballot's own
statement: the ballot (a row of `ballots`, its option_ids the ranking in order), each option's counter of
first preferences, its counters per place (`ranking_places`) and the ballots per distinct ranking
(`ranking_groups`), all moved by the change each ballot makes; Borda points and average ranks come from the
counters per place, and the runoff is recounted for each new version from the groups (identical rankings
are one row with their number, and the ranking's code, a letter per option, which the count reads), itself
incremental over its rounds: an elimination moves only the eliminated option's groups (_irv.count_letters).
scripts/bench kinds measures it for 10,000 ballots over 10 options, every ballot a different order.

The snapshot read from the database carries the grouped rankings; the kind turns them into the count, and
only the count (rounds, points, ranks) goes on to the API, the bus and every screen, never a ballot."""

from __future__ import annotations

import string
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from polls.errors import N_, InvalidInput
from polls.kinds._irv import average_rank_of_places, borda_of_places, count_letters
from polls.kinds._snapshot import (
    COUNT_VOTERS,
    OPTIONS_JSON,
    ExportLine,
    OptionResult,
    Tally,
    ballots_upserted,
    counters_moved,
    counts_per_option,
    option_results,
)
from polls.kinds.choice import OPTIONS_RANGE
from polls.text import whole_number

if TYPE_CHECKING:
    from polls.kinds import Field, Fields, Options

UPSERT_BALLOTS = f"""
{ballots_upserted("ranking")}, delta AS (
    SELECT option_id, place::integer AS place, sum(change)::integer AS change FROM (
        SELECT r.option_id, r.place, 1 AS change
        FROM incoming, unnest(incoming.ranking) WITH ORDINALITY AS r (option_id, place)
        UNION ALL
        SELECT r.option_id, r.place, -1
        FROM previous, unnest(previous.ranking) WITH ORDINALITY AS r (option_id, place)
    ) AS changes GROUP BY option_id, place HAVING sum(change) <> 0
), placed AS (
    {counters_moved("ranking_places", "delta", {"option_id": "option_id", "place": "place"})}
), counted AS (
    UPDATE options SET votes = options.votes + delta.change
    FROM delta WHERE options.poll_id = $1 AND options.id = delta.option_id AND delta.place = 1
), moved AS (
    SELECT ranking, sum(change)::integer AS change FROM (
        SELECT ranking, 1 AS change FROM incoming UNION ALL SELECT ranking, -1 FROM previous
    ) AS changes GROUP BY ranking HAVING sum(change) <> 0
), grouped AS (
    {counters_moved("ranking_groups", "moved", {"ranking": "ranking"}, count="ballots")}
)
{COUNT_VOTERS}
"""

# The snapshot as the database reads it: the options with their first preferences, each option's count of
# ballots per place, and the ballots per distinct ranking (kept by the upsert in ranking_groups) for the
# runoff: each ranking as its code (a letter per option, migration 0012), those of one ballot apart ("once":
# "CAB,ABC") from the others, each followed by its number of ballots ("more": "BCA4,ACB12"). Text as
# stored: writing 10,000 integer arrays out as text, let alone as JSON arrays, costs PostgreSQL several
# times what reading it does, and grouping the rankings by their number of ballots in SQL costs a sort.
TALLY = f"""jsonb_build_object(
    'options', {OPTIONS_JSON},
    'ranked', p.max_choices,
    'places', {counts_per_option("ranking_places", "place", "1", "p.max_choices", key="option")},
    'rankings', (
        SELECT jsonb_build_object(
            'once', coalesce(string_agg(g.code, ',') FILTER (WHERE g.ballots = 1), ''),
            'more', coalesce(string_agg(g.code || g.ballots, ',') FILTER (WHERE g.ballots > 1), '')
        )
        FROM ranking_groups g WHERE g.poll_id = p.id AND g.ballots > 0
    )
)"""


def letter(option_id: int) -> str:
    """An option's letter in a ranking's code, as migration 0012's ranking_code writes it."""
    return chr(64 + option_id)


def grouped(rankings: Mapping[str, str]) -> dict[str, int]:
    """The ballots grouped by ranking (its code), from the snapshot's "once" and "more"."""
    groups = dict.fromkeys(rankings["once"].split(",") if rankings["once"] else (), 1)
    for part in rankings["more"].split(",") if rankings["more"] else ():
        code = part.rstrip(string.digits)
        groups[code] = int(part[len(code) :])
    return groups


def count(
    options: tuple[OptionResult, ...], places: list[Any], rankings: Mapping[str, str]
) -> dict[str, Any]:
    """The kind's figures: the runoff from the grouped rankings, Borda points and average ranks from the
    places' counters."""
    ids = [option.id for option in options]
    counts = {int(p["option"]): [int(c) for c in p["counts"]] for p in places}
    by_place = [{option: counts[option][at] for option in ids} for at in range(len(counts[ids[0]]))]
    points, ranks = borda_of_places(ids, by_place), average_rank_of_places(ids, by_place)
    return {
        "runoff": count_letters(ids, [letter(i) for i in ids], grouped(rankings)).as_dict(),
        "ranks": [{"option": i, "average_rank": ranks[i], "borda": points[i]} for i in ids],
    }


@dataclass
class NewRanking:
    """A ranking, as POST /api/polls takes it (the OpenAPI document's shape)."""

    question: str
    options: list[str]  # 2 to 20
    kind: str = "ranking"
    top: int | None = None  # how many places a ballot ranks: 2 to all (all if not given)


@dataclass
class RankingAnswer:
    """A ballot of a ranking, as POST /api/polls/{code}/votes takes it."""

    voter: str
    ranking: list[int]  # option ids, most preferred first, exactly `top` of them


@dataclass(frozen=True)
class Ranking:
    name: str = "ranking"
    ballot_template: str = "kinds/ranking/ballot.html"
    settings_template: str = "kinds/ranking/settings.html"
    results_template: str = "kinds/ranking/results.html"
    upsert_ballots: str = UPSERT_BALLOTS
    tally_sql: str = TALLY
    options_range: tuple[int, int] = OPTIONS_RANGE
    form_fields: tuple[str, ...] = ("top",)
    tables: tuple[str, ...] = ("ranking_places", "ranking_groups")
    moderation: None = None  # its answers are no texts
    shapes: tuple[type, type] = (NewRanking, RankingAnswer)
    sealed_settings: tuple[str, ...] = ()
    final_answers: bool = False
    timed: bool = False

    def settings(self, body: Mapping[str, Any], labels: tuple[str, ...]) -> tuple[int, dict[str, Any]]:
        """top: how many options a ballot ranks, 2 to all of them (all if not given)."""
        top = body.get("top")
        if top is None:
            return len(labels), {}
        if isinstance(top, bool) or not isinstance(top, int) or not 2 <= top <= len(labels):
            raise InvalidInput(
                N_("A ranking ranks from 2 to all %(options)s options."),
                code="top_invalid",
                options=len(labels),
            )
        return top, {}

    def settings_from_form(self, field: Field) -> dict[str, Any]:
        raw = field("top").strip()
        top = whole_number(raw)
        return {"kind": self.name, "top": (raw if top is None else top) if raw else None}

    def form_values(self, question: Options) -> dict[str, str]:
        ranked_all = question.max_choices == len(question.options)
        return {"top": "" if ranked_all else str(question.max_choices)}

    def choices(self, question: Options, body: Mapping[str, Any]) -> tuple[int, ...]:
        """{"ranking": [option ids, most preferred first]}: exactly the question's number of places, each
        option once."""
        ranking = body.get("ranking")
        if not isinstance(ranking, list) or not all(
            isinstance(i, int) and not isinstance(i, bool) for i in ranking
        ):
            raise InvalidInput(N_("ranking must be a list of option ids."), code="ranking_invalid")
        if len(set(ranking)) != len(ranking):
            raise InvalidInput(N_("Rank each option once."), code="ranking_invalid")
        unknown = set(ranking) - question.option_ids
        if unknown:
            raise InvalidInput(
                N_("Unknown option id(s) for this poll: %(ids)s."),
                code="unknown_option",
                ids=", ".join(map(str, sorted(unknown))),
            )
        if len(ranking) != question.max_choices:
            raise InvalidInput(
                N_("Rank %(places)s options."), code="ranking_incomplete", places=question.max_choices
            )
        return tuple(ranking)

    def ballot_from_form(self, fields: Fields, question: Options) -> dict[str, Any]:
        """The options in the order the phone put them (its `ranking` fields, in order); the top places."""
        order = [whole_number(value) for value in fields("ranking")]
        if None in order:
            raise InvalidInput(N_("Choose from the options shown."), code="unknown_option")
        return {"ranking": order[: question.max_choices]}

    def kept(self, fields: Fields, question: Options) -> tuple[int, ...]:
        """The phone's order as it sent it, so that it sees its order again beside a refusal."""
        order = [whole_number(value) for value in fields("ranking")]
        return tuple(i for i in order if i is not None and i in question.option_ids)

    def read_tally(self, data: Mapping[str, Any]) -> Tally:
        options = option_results(data)
        if "rankings" in data:  # from the database: count now
            figures = count(options, data["places"], data["rankings"])
        else:  # from the bus or an API client: already counted
            figures = {"runoff": data["runoff"], "ranks": data["ranks"]}
        return options, {"ranked": int(data["ranked"]), **figures}

    def export_lines(self, lines: tuple[OptionResult, ...], detail: Mapping[str, Any]) -> list[ExportLine]:
        """A row per round and continuing option: its votes in that round (value: the round's number)."""
        labels = {line.id: line.label for line in lines}
        return [
            ExportLine(vote["option"], labels[vote["option"]], one["round"], vote["votes"])
            for one in detail["runoff"]["rounds"]
            for vote in one["votes"]
        ]


KINDS = (Ranking(),)  # what the registry (polls.kinds) finds in this module
