"""Question kinds. Each module under polls/kinds/ defines a kind (or a family of them): its settings and how
they are validated, how a ballot of it is read, how its tally is kept in SQL (in the ballot's own
transaction), its snapshot (the tally as SQL reads it into JSON, and how that JSON is read back, from the
database and from the bus alike), and its fragment templates (under webclient/templates/kinds/). The
registry maps the name a question stores in `polls.kind` to its Kind; the domain, the store and the
templates ask it, never a kind's name. Adding a kind: its module here (listing it in the module's KINDS), its
templates, its tests, and a migration for its tally's tables; the registry finds the module by itself."""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Mapping
from typing import Any, Protocol

from polls.errors import N_, InvalidInput
from polls.kinds._snapshot import OptionResult, Tally, option_results

__all__ = ["KINDS", "RESULTS", "Kind", "OptionResult", "Options", "Tally", "kind_of", "option_results"]


class Options(Protocol):
    """What a kind reads of the question a ballot is for."""

    @property
    def option_ids(self) -> frozenset[int]: ...

    @property
    def max_choices(self) -> int: ...


class Kind(Protocol):
    @property
    def name(self) -> str: ...

    @property
    def ballot_template(self) -> str:
        """The ballot's inputs, inside either page's ballot form (the poll's and the event's)."""
        ...

    @property
    def settings_template(self) -> str:
        """The kind's fields in the forms that create or edit a question."""
        ...

    @property
    def results_template(self) -> str:
        """The kind's tally, inside either results region (a poll's and an event's)."""
        ...

    def settings(self, body: Mapping[str, Any], labels: tuple[str, ...]) -> int:
        """Validate the kind's settings of a new question; its maximum number of choices."""
        ...

    def choices(self, question: Options, body: Mapping[str, Any]) -> tuple[int, ...]:
        """Validate a ballot's choices against the question; the option ids, sorted, each once."""
        ...

    @property
    def tally_sql(self) -> str:
        """A jsonb expression of the question's snapshot, with its polls row as `p`: {"options": [{"id",
        "label", "votes"}], and the kind's own figures}; the API's JSON and the bus carry it as it is."""
        ...

    def read_tally(self, data: Mapping[str, Any]) -> Tally:
        """The snapshot's JSON (from the database or the bus) as the tally's lines and the kind's figures."""
        ...

    @property
    def upsert_ballots(self) -> str:
        """The SQL that stores a batch of ballots and keeps the tally: $1 the question's id, $2 the voters,
        $3 their choices (text arrays, one per voter)."""
        ...


def _discover() -> dict[str, Kind]:
    """Every kind that a module of this package lists in its KINDS, by name (modules in name order)."""
    kinds: dict[str, Kind] = {}
    for module in pkgutil.iter_modules(__path__):
        if module.name.startswith("_"):  # what the kinds share, no kind
            continue
        for kind in importlib.import_module(f"{__name__}.{module.name}").KINDS:
            if kind.name in kinds:
                raise RuntimeError(f"two question kinds are named {kind.name!r}")
            kinds[kind.name] = kind
    return kinds


KINDS: dict[str, Kind] = _discover()
SETTINGS_TEMPLATES = tuple(dict.fromkeys(kind.settings_template for kind in KINDS.values()))
# A question's results, one consistent snapshot in one statement: its version, voters and status, and its
# tally as its kind reads it (one CASE arm per kind).
RESULTS = (
    "SELECT p.version, p.voters, p.status, p.kind, CASE p.kind "
    + " ".join(f"WHEN '{name}' THEN ({kind.tally_sql})" for name, kind in KINDS.items())
    + " END AS tally FROM polls p WHERE p.code = $1"
)


def kind_of(name: Any) -> Kind:
    kind = KINDS.get(name) if isinstance(name, str) else None
    if kind is None:
        names = " or ".join(f"'{known}'" for known in KINDS)
        raise InvalidInput(N_("kind must be %(kinds)s."), code="kind_unknown", kinds=names)
    return kind
