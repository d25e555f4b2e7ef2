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
from collections.abc import Callable, Mapping
from typing import Any, Protocol

from polls.errors import N_, InvalidInput
from polls.kinds._moderation import Moderation
from polls.kinds._snapshot import Answer, ExportLine, OptionResult, Tally, array_literal, option_results

__all__ = [
    "FORM_FIELDS",
    "KINDS",
    "KIND_ROWS",
    "KIND_TABLES",
    "RESULTS",
    "TALLY",
    "Answer",
    "ExportLine",
    "Field",
    "Fields",
    "Kind",
    "Moderation",
    "OptionResult",
    "Options",
    "Tally",
    "array_literal",
    "kind_of",
    "option_results",
]


class Line(Protocol):
    @property
    def id(self) -> int: ...


class Options(Protocol):
    """What a kind reads of the question a ballot is for."""

    @property
    def options(self) -> tuple[Line, ...]: ...

    @property
    def option_ids(self) -> frozenset[int]: ...

    @property
    def max_choices(self) -> int: ...

    @property
    def settings(self) -> Mapping[str, Any]: ...


# How a kind reads a submitted form: a field's text ("" if missing), and a field's every value.
Field = Callable[[str], str]
Fields = Callable[[str], list[str]]


class Kind(Protocol):
    @property
    def name(self) -> str: ...

    @property
    def ballot_template(self) -> str:
        """The ballot's inputs, inside either page's ballot form (the poll's and the event's)."""
        ...

    @property
    def settings_template(self) -> str:
        """The kind's choice and fields in the forms that create or edit a question."""
        ...

    @property
    def results_template(self) -> str:
        """The kind's tally, inside either results region (a poll's and an event's)."""
        ...

    @property
    def options_range(self) -> tuple[int, int]:
        """How many options (statements, ...) a question of the kind takes, at least and at most."""
        ...

    @property
    def form_fields(self) -> tuple[str, ...]:
        """The names of the kind's settings fields in a form (a Draft keeps them as typed)."""
        ...

    @property
    def tables(self) -> tuple[str, ...]:
        """The kind's own tables with a row per question and more (poll_id ...): kept whole by a delete and
        a new round, for their undo, and cleared by a new round."""
        ...

    def settings(self, body: Mapping[str, Any], labels: tuple[str, ...]) -> tuple[int, dict[str, Any]]:
        """Validate the kind's settings of a new question: its maximum number of choices, and the kind's
        own settings (stored with the question, JSON)."""
        ...

    def settings_from_form(self, field: Field) -> dict[str, Any]:
        """The settings fields of a form as the API's body takes them (its "kind" too)."""
        ...

    def form_values(self, question: Options) -> dict[str, str]:
        """A question's settings as its edit form shows them, by field name (form_fields)."""
        ...

    @property
    def shapes(self) -> tuple[type, type]:
        """The API's bodies of a new question of the kind and of its ballot (dataclasses, for the OpenAPI
        document: each kind's settings and answer)."""
        ...

    @property
    def moderation(self) -> Moderation | None:
        """How the presenter moderates the kind's entries, if its answers are texts the audience sees."""
        ...

    @property
    def sealed_settings(self) -> tuple[str, ...]:
        """The settings no audience channel is sent (a quiz's correct options): only the presenter's."""
        ...

    @property
    def final_answers(self) -> bool:
        """Whether a stored ballot is final: a voter's other answer is refused (AnswerFinal), the same one
        is a retry; the kind's upsert returns the voters it refused."""
        ...

    @property
    def timed(self) -> bool:
        """Whether the presenter starts a question of the kind, which then runs on the database's clock for
        its time limit, its results sealed until it closed; such a question is only an event's."""
        ...

    def choices(self, question: Options, body: Mapping[str, Any]) -> Answer:
        """Validate a ballot against the question: the answer as stored (whole numbers: option ids for a
        choice, ratings for a scale, ...; texts: a word cloud's entries, an open text's answer)."""
        ...

    def ballot_from_form(self, fields: Fields, question: Options) -> dict[str, Any]:
        """A phone's ballot form as the API's body takes it (without the voter)."""
        ...

    def kept(self, fields: Fields, question: Options) -> Answer:
        """What the phone had entered, in the stored answer's shape, to show again beside a refusal."""
        ...

    @property
    def tally_sql(self) -> str:
        """A jsonb expression of the question's snapshot, with its polls row as `p`: {"options": [{"id",
        "label", "votes"}], and the kind's own figures}; the API's JSON and the bus carry it as it is."""
        ...

    def read_tally(self, data: Mapping[str, Any]) -> Tally:
        """The snapshot's JSON (from the database or the bus) as the tally's lines and the kind's figures."""
        ...

    def export_lines(self, lines: tuple[OptionResult, ...], detail: Mapping[str, Any]) -> list[ExportLine]:
        """The tally as rows of an export: one per option (choice), per statement and step (scale), ..."""
        ...

    @property
    def upsert_ballots(self) -> str:
        """The SQL that stores a batch of ballots and keeps the tally: $1 the question's id, $2 the voters,
        $3 their answers (arrays as text, array_literal, one per voter). Rows it returns name voters whose
        ballot it refused (a kind of final answers)."""
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
FORM_FIELDS = tuple(dict.fromkeys(name for kind in KINDS.values() for name in kind.form_fields))
KIND_TABLES = tuple(dict.fromkeys(table for kind in KINDS.values() for table in kind.tables))
# A question's results, one consistent snapshot in one statement: its version, voters and status, and its
# tally as its kind reads it (one CASE arm per kind).
TALLY = (
    "CASE p.kind "
    + " ".join(f"WHEN '{name}' THEN ({kind.tally_sql})" for name, kind in KINDS.items())
    + " END"
)
RESULTS = f"SELECT p.version, p.voters, p.status, p.kind, {TALLY} AS tally FROM polls p WHERE p.code = $1"
# The kinds' own tables of a question (polls row `p`), as one JSON object: a new round keeps them for its
# undo.
KIND_ROWS = (
    "jsonb_build_object("
    + ", ".join(
        f"'{table}', (SELECT coalesce(jsonb_agg(to_jsonb(k)), '[]') FROM {table} k WHERE k.poll_id = p.id)"
        for table in KIND_TABLES
    )
    + ")"
)


def kind_of(name: Any) -> Kind:
    kind = KINDS.get(name) if isinstance(name, str) else None
    if kind is None:
        names = " or ".join(f"'{known}'" for known in KINDS)
        raise InvalidInput(N_("kind must be %(kinds)s."), code="kind_unknown", kinds=names)
    return kind
