"""What the kinds whose answers are texts share (a word cloud, open text): how an entry is normalised, and
how the presenter moderates the entries. Every entry has a state; the audience channels (projector,
phones, the public JSON and websockets) are only ever sent shown ones, the presenter's (the control and
admin views, the bus between replicas, the API with the admin token) also the queue and the hidden ones.
With the profanity filter on, an entry that matches it is held for review in the same transaction that
stored it, so no audience sees it first."""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from polls.errors import N_, Conflict, InvalidInput, Phrase
from polls.kinds._snapshot import Answer
from polls.text import clean_text, whole_number

ENTRY = N_("An entry")
ENTRY_MAX = 280  # the longest entry of any kind (an open text's)

# What a presenter does to an entry: show it (approve a held or pending one, or show a hidden one again)
# or hide it; the state each leads to.
ACTIONS = {"show": "shown", "hide": "hidden"}


def normalised(value: Any, what: Phrase, limit: int) -> str:
    """An entry as it is counted: trimmed, inner whitespace collapsed, Unicode NFC and case-folded, so that
    "Python", " python" and "PYTHON" are one entry."""
    return unicodedata.normalize("NFC", clean_text(value, what, limit)).casefold()


def written(value: Any, what: Phrase, limit: int) -> str:
    """A text as it is shown (an open text's answer): cleaned as every text is, and in Unicode NFC."""
    return unicodedata.normalize("NFC", clean_text(value, what, limit))


def filter_on(settings: Mapping[str, Any]) -> bool:
    return bool(settings.get("filter"))


def filter_setting(body: Mapping[str, Any]) -> bool:
    """The profanity filter's setting: true or false (absent: false; a form's checkbox is either)."""
    value = body.get("filter", False)
    if not isinstance(value, bool):
        raise InvalidInput(N_("filter must be true or false."), code="setting_invalid")
    return value


def number_or_text(raw: str, default: int) -> int | str:
    """A form's number field as the API's body takes it: the default if empty, the number, or the text
    (which the setting then refuses with its message)."""
    number = whole_number(raw)
    return default if not raw.strip() else raw if number is None else number


def whole_setting(body: Mapping[str, Any], name: str, default: int, what: Phrase, low: int, high: int) -> int:
    """A setting that is a whole number from low to high (`default` if absent), named `what` to a person."""
    value = body.get(name, default)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise InvalidInput(
            N_("%(what)s must be a whole number from %(low)s to %(high)s."),
            code="setting_invalid",
            what=what,
            low=low,
            high=high,
        )
    return value


@dataclass(frozen=True)
class Moderation:
    """How a kind's entries are moderated: by what an entry is named in a presenter's action (`key`: the
    entry's text for a word cloud, its id for open text), the SQL that holds what the filter matched and
    the SQL of an action, and which keys of the snapshot only the presenter is sent."""

    key: str
    # $1 the question's id, $2 the keys (text[]) the filter matched: held, where this transaction made them.
    hold_sql: str
    # $1 the question's id, $2 the entry's key (text), $3 its new state: RETURNING the entry, if found.
    action_sql: str
    presenter_only: tuple[str, ...]
    # Which keys of a ballot the filter matches (`hold_sql`'s), from its voter, its answer and the settings:
    # checked as the ballot is read, in its request, so that a batch's lock waits for no filter.
    held: Callable[[str, Answer, Mapping[str, Any]], tuple[str, ...]]
    # Whether the presenter may hide entries under these settings (open text's moderation "off": no).
    hides: Callable[[Mapping[str, Any]], bool] = lambda settings: True

    def key_of(self, entry: Any) -> str:
        """The entry an action names, as the action's SQL takes it: a word cloud's entry (normalised as
        its entries are), an open text's id (a whole number, in JSON or a form's text)."""
        if self.key == "id":
            number = entry if isinstance(entry, int) and not isinstance(entry, bool) else None
            if isinstance(entry, str):
                number = whole_number(entry)
            if number is None or number >= 2**63:
                raise InvalidInput(N_("entry must be the id of an answer."), code="entry_invalid")
            return str(number)
        return normalised(entry, ENTRY, ENTRY_MAX)

    def state_after(self, action: str, settings: Mapping[str, Any]) -> str:
        state = ACTIONS.get(action)
        if state is None:
            raise InvalidInput(
                N_("action must be 'show' or 'hide'."), code="action_unknown", action=repr(action)
            )
        if state == "hidden" and not self.hides(settings):
            raise Conflict(
                N_("Moderation is off for this question: its answers cannot be hidden."),
                code="moderation_off",
            )
        return state
