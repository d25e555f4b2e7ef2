"""What every kind's snapshot shares: the tally's lines (an option, statement or entry and how many chose
it), which every view and export can show, beside the kind's own figures."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class OptionResult:
    """One line of a tally: an option (or statement, entry...) and how many chose it."""

    id: int
    label: str
    votes: int


# A kind's snapshot, read back: its lines, and its own figures (JSON values, as the API shows them; none for
# choice).
Tally = tuple[tuple[OptionResult, ...], Mapping[str, Any]]


@dataclass(frozen=True)
class ExportLine:
    """A row of a question's export: an option (statement, entry...), the value it was given where a kind
    has values (a scale's step; None otherwise), and how many gave it."""

    option_id: int
    option: str
    value: int | None
    votes: int


def option_results(data: Mapping[str, Any]) -> tuple[OptionResult, ...]:
    """The "options" of a snapshot's JSON."""
    return tuple(OptionResult(int(o["id"]), str(o["label"]), int(o["votes"])) for o in data["options"])


# The question's options with their counters, as a snapshot's "options" (its polls row as `p`): every kind's
# tally SQL includes it.
OPTIONS_JSON = """(
    SELECT jsonb_agg(jsonb_build_object('id', o.id, 'label', o.label, 'votes', o.votes) ORDER BY o.id)
    FROM options o WHERE o.poll_id = p.id
)"""

# The end of every kind's ballot upsert (its CTEs `incoming` and `previous`): the question's voters, moved
# by the batch (a new voter counts, a changed ballot does not).
COUNT_VOTERS = """UPDATE polls
SET voters = voters + (SELECT count(*) FROM incoming) - (SELECT count(*) FROM previous)
WHERE id = $1"""
