"""Text a person writes (a question, an option, a title, a scale's end label): trimmed, its inner whitespace
collapsed, within its limit, and free of what PostgreSQL's text cannot hold."""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from polls.errors import N_, InvalidInput, Phrase

# ASCII digits only ("²".isdigit() is true, yet int() refuses it), and few enough for int() and a bigint.
_WHOLE_NUMBER = re.compile(r"[0-9]{1,18}")


def whole_number(text: str) -> int | None:
    """A form field's whole number, or None if the text is not one."""
    text = text.strip()
    return int(text) if _WHOLE_NUMBER.fullmatch(text) else None


def clean_text(value: Any, what: Phrase, limit: int) -> str:
    """The text as stored; InvalidInput naming `what` (a phrase like "The question") otherwise."""
    if not isinstance(value, str):
        raise InvalidInput(N_("%(what)s must be a string."), code="text_invalid", what=what)
    text = " ".join(value.split())
    if not text:
        raise InvalidInput(N_("%(what)s must not be empty."), code="text_empty", what=what)
    if len(text) > limit:
        raise InvalidInput(
            N_("%(what)s must be at most %(limit)s characters."), code="text_too_long", what=what, limit=limit
        )
    # PostgreSQL's text cannot hold NUL or a lone surrogate (JSON can: "\u0000", "\ud800"); other
    # control characters are no text a person wrote either.
    if any(unicodedata.category(char) in ("Cc", "Cs") for char in text):
        raise InvalidInput(
            N_("%(what)s must not contain control or invalid characters."), code="text_invalid", what=what
        )
    return text
