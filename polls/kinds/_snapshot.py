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
