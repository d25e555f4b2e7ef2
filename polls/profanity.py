"""Whether a text the audience wrote (a word-cloud entry, an open answer, a nickname) holds English or German
profanity, so that a presenter who turned the filter on can hold it for review.

The data is glin-profanity's: its English and German word lists and its tables of look-alike characters and
leetspeak. The matching is ours: the library's Filter takes about 0.2 ms on a short entry and 1.5 ms on 280
characters, too slow for the vote path (here a few microseconds and about 35), and importing it takes some
40 ms, most of them compiling scanners we do not use (secrets, PII), so the lists are read on the first check,
not at start.

Only whole words and phrases match, so an ordinary word that contains a listed one passes ("Scunthorpe",
"class", "Marsch"); the price is that a compound or an inflection the lists lack passes too ("Scheißtag").
"""

from __future__ import annotations

import functools
import itertools
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass

_LANGUAGES = ("english", "german")
# Letters and digits; "_" separates words like any other symbol ("f_u_c_k" is spelled out).
_WORD = re.compile(r"[^\W_]+")
# A letter three times or more, stretched for emphasis ("fuuuck").
_STRETCHED = re.compile(r"(\w)\1{2,}")
# Combining accents, once NFD has split them from their letters.
_ACCENTS = re.compile("[\u0300-\u036f]")
# Punctuation around a word, English and German quotation marks, ellipsis and dashes included; leetspeak's
# symbols inside one ("sh!t", "a$$") are part of it.
_AROUND_A_WORD = (
    ".,;:!?\"'()[]{}<>-\u00ab\u00bb\u2039\u203a\u201e\u201c\u201d\u201a\u2018\u2019\u2026\u2013\u2014"
)
# A German word typed without umlauts; never the bare vowel, which would make "möse" catch "Mose" (Moses).
_UMLAUTS_SPELLED_OUT = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue"})
# Among single letters in a row, a listed word counts from three letters on: the two-letter entries ("bs",
# "mf") turn up in runs of initials by chance.
_SHORTEST_SPELLED_OUT = 3


@dataclass(frozen=True)
class _Lists:
    words: frozenset[str]
    # Entries of several words, by their first word, each as its words.
    phrases: Mapping[str, tuple[tuple[str, ...], ...]]
    # Entries written with symbols ("f*ck", "s&m", "g-spot"), matched as a whole word of the text.
    with_symbols: frozenset[str]
    # Entries with no letter or digit (an emoji), matched anywhere.
    without_letters: tuple[str, ...]
    longest_word: int
    # Characters of other scripts that pass for Latin letters (a Cyrillic es for "c") as those letters, and
    # invisible ones removed; the pattern finds any of them, so that text without them is not copied.
    lookalikes: Mapping[int, str | None]
    lookalike: re.Pattern[str]
    # Leetspeak's digits and symbols as letters, with "1" and "!" read as "i" and then as "l".
    leetspeak: tuple[Mapping[int, str], ...]

    def folded(self, text: str) -> str:
        text = unicodedata.normalize("NFKC", text)
        if not text.isascii() and self.lookalike.search(text):
            text = text.translate(self.lookalikes)
        return text.casefold()

    def found_in(self, text: str) -> bool:
        words = _WORD.findall(text)
        return (
            not self.words.isdisjoint(words)
            or not self.words.isdisjoint(_without_accents(word) for word in words if not word.isascii())
            or any(entry in text for entry in self.without_letters)
            or any(self._phrase_at(words, start) for start, word in enumerate(words) if word in self.phrases)
            or any(
                self._spelled_out("".join(run))
                for length, run in itertools.groupby(words, len)
                if length == 1
            )
        )

    def found_in_leetspeak(self, text: str) -> bool:
        for word in text.split():
            word = word.strip(_AROUND_A_WORD)
            if word in self.with_symbols:
                return True
            # A number alone is no leetspeak: "455 votes" does not say "ass".
            if word.isalpha() or not any(char.isalpha() for char in word):
                continue
            if any(
                not self.words.isdisjoint(_WORD.findall(word.translate(table))) for table in self.leetspeak
            ):
                return True
        return False

    def _phrase_at(self, words: list[str], start: int) -> bool:
        return any(
            tuple(words[start : start + len(phrase)]) == phrase for phrase in self.phrases[words[start]]
        )

    def _spelled_out(self, letters: str) -> bool:
        """Whether single letters in a row ("you are a f u c k") spell a listed word anywhere among them."""
        if len(letters) < _SHORTEST_SPELLED_OUT:
            return False
        for spelled in {letters, *(letters.translate(table) for table in self.leetspeak)}:
            for start in range(len(spelled)):
                ends = range(start + _SHORTEST_SPELLED_OUT, min(len(spelled), start + self.longest_word) + 1)
                if any(spelled[start:end] in self.words for end in ends):
                    return True
        return False


def is_profane(text: str) -> bool:
    """Whether the text holds a word or phrase of the English or German list, whatever its case, accents or
    Unicode form, and also when spelled out ("f u c k"), stretched ("fuuuck"), in leetspeak ("sh1t") or with
    look-alike letters. The first call reads the lists (about 40 ms); later ones take microseconds."""
    lists = _lists()
    folded = lists.folded(text)
    if lists.found_in(folded) or lists.found_in_leetspeak(folded):
        return True
    # Stretched letters shortened to one and to two ("fuuuck", "asssss").
    return _STRETCHED.search(folded) is not None and (
        lists.found_in(_STRETCHED.sub(r"\1", folded)) or lists.found_in(_STRETCHED.sub(r"\1\1", folded))
    )


def _without_accents(word: str) -> str:
    return _ACCENTS.sub("", unicodedata.normalize("NFD", word))


@functools.cache
def _lists() -> _Lists:
    from glin_profanity.data.dictionary import dictionary
    from glin_profanity.utils.leetspeak import AMBIGUOUS_AS_L, MODERATE_SUBSTITUTIONS
    from glin_profanity.utils.unicode import HOMOGLYPHS, ZERO_WIDTH_CHARS

    entries: set[str] = set()
    for language in _LANGUAGES:
        for entry in dictionary.get_words(language):
            folded = unicodedata.normalize("NFKC", entry).casefold()
            entries.update((folded, folded.translate(_UMLAUTS_SPELLED_OUT)))
    words: set[str] = set()
    phrases: dict[str, list[tuple[str, ...]]] = {}
    with_symbols: set[str] = set()
    without_letters: list[str] = []
    for entry in entries:
        parts = tuple(_WORD.findall(entry))
        if " ".join(parts) == entry:
            if len(parts) == 1:
                words.add(entry)
            else:
                phrases.setdefault(parts[0], []).append(parts)
        elif parts:
            with_symbols.add(entry)
        else:
            without_letters.append(entry)
    lookalikes: dict[str, str | None] = {**HOMOGLYPHS, **dict.fromkeys(ZERO_WIDTH_CHARS)}
    return _Lists(
        words=frozenset(words),
        phrases={first: tuple(each) for first, each in phrases.items()},
        with_symbols=frozenset(with_symbols),
        without_letters=tuple(without_letters),
        longest_word=max(map(len, words)),
        lookalikes=str.maketrans(lookalikes),
        lookalike=re.compile("[" + re.escape("".join(lookalikes)) + "]"),
        leetspeak=(
            str.maketrans(MODERATE_SUBSTITUTIONS),
            str.maketrans({**MODERATE_SUBSTITUTIONS, **AMBIGUOUS_AS_L}),
        ),
    )
