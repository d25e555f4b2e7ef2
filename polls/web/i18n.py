"""Languages: gettext catalogs (webclient/locales/<lang>/LC_MESSAGES/messages.po), chosen per request
from the browser's Accept-Language. English is the source language; German ships translated."""

from __future__ import annotations

import gettext
import io
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

LANGUAGES = ("en", "de")
DEFAULT = "en"


def load_translations(locales: Path) -> dict[str, gettext.NullTranslations]:
    """Every shipped language's catalog, compiled in memory from its .po file at start."""
    translations: dict[str, gettext.NullTranslations] = {DEFAULT: gettext.NullTranslations()}
    for language in LANGUAGES:
        if language == DEFAULT:
            continue
        with (locales / language / "LC_MESSAGES" / "messages.po").open("rb") as po:
            catalog = read_po(po, locale=language)
        compiled = io.BytesIO()
        write_mo(compiled, catalog)
        compiled.seek(0)
        translations[language] = gettext.GNUTranslations(compiled)
    return translations


def negotiate(accept_language: str | None, requested: str | None = None) -> str:
    """The language to answer in: an explicit choice (?lang=de) if shipped, else the browser's most
    preferred shipped language (Accept-Language with q-values), else English."""
    if requested in LANGUAGES:
        return requested
    ranked = []
    for position, part in enumerate((accept_language or "").split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        ranked.append((-quality, position, tag.strip().lower().split("-")[0]))
    for _, _, language in sorted(ranked):
        if language in LANGUAGES:
            return language
    return DEFAULT
