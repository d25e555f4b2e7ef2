"""A word cloud's layout, pure and deterministic: where each word goes and how big, computed once per version
on the server and drawn as inline SVG, so that every replica renders the same fragment for the same tally.

The words are (text, count) pairs. A word's font size grows with the square root of its count (so its area
grows with the count), from `SMALLEST` to `LARGEST` of the box's height; no word is ever wider than the box,
and a word with more answers never gets a smaller font than one with fewer (sizes depend on the count alone).
Only horizontal words: a cloud on a projector has to read from the back of a room.

Widths are an estimate: per-character advance widths of a bold sans-serif (Helvetica/Arial Bold, close to
Roboto and Segoe UI), the base letter's width for a Latin letter with diacritics, one em for wide (CJK) and
emoji characters, `DEFAULT_ADVANCE` for the rest. The SVG draws each word with `textLength` and
`lengthAdjust="spacingAndGlyphs"`, which fits whatever font the browser has to exactly that width; the box
laid out is the box drawn. Heights are an estimate too, per word: the x-height for a word of short letters,
the ascender line for tall ones and digits, more for diacritics, CJK and emoji, and a descender only where
a letter has one; the padding around each word covers the difference between fonts.

Placement: the largest word goes to the centre, then each word, largest first, to a free place nearest the
centre where its box with its padding overlaps no other and lies inside the box; distance is measured in
proportion to the box, so the cloud grows as an ellipse of the box's shape. That is where an Archimedean
spiral from the centre, stretched to the box, would first find room, found without walking the spiral
point by point (thousands of points a word, far too slow in Python once the centre is full). The box is a
grid of `COLUMNS` x `ROWS` cells held in one integer, a bit set for each free cell; ANDing it with itself
shifted (log h shifts by rows, log w by columns) leaves the cells where a free place of w x h cells starts,
and a binary search over `RINGS` nested ellipses around the centre (their masks built once per process, 2.8
MB at most) finds the nearest ring with such a place. Of that ring's places, all within about a cell of the
nearest, words take in turn the topmost leftmost, the bottommost rightmost, the topmost rightmost and the
bottommost leftmost, as spirals started at different angles would, and the cloud grows on every side.

When a word does not fit, all sizes shrink by `SHRINK` and the layout starts again, at most `ATTEMPTS`
times and never below `FLOOR` (a size still readable from the back); the last layout leaves out the words
that still do not fit (the smallest, as they come last) and `Cloud.dropped` counts them, with the words
beyond `MAX_WORDS`. A first layout starts already shrunk when the padded boxes' total area exceeds `FILL` of
the box, so that most clouds are laid out once.

Deterministic: no randomness; words are ordered by count, then text; places are found with integers only;
sizes use IEEE-754 arithmetic and the square root (correctly rounded on every platform), and coordinates
are rounded to 0.1.

Speed (median of 20 runs, time.perf_counter, on the 2-core development machine; a 1600 x 900 box, Zipf-like
counts, English and German words and a few phrases, as tests/unit/test_cloud.py's `tally`): 50 words in
2.5 ms, 100 in 5.1 ms, 200 in 10 ms; 200 phrases of 40 characters, of which 98 cannot fit, 19 ms. The first
cloud of a process takes about 15 ms more, to build the rings.
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

__all__ = ["MAX_WORDS", "Cloud", "Placed", "layout", "text_width"]

# The most words a cloud shows; the caller passes its most frequent ones, the rest count as dropped.
MAX_WORDS = 200
# Font sizes, as shares of the box's height: the most frequent word, the least frequent, and the floor that
# shrinking a crowded cloud never goes below.
LARGEST = 1 / 6
SMALLEST = 1 / 30
FLOOR = 1 / 45
# Space around each word's box, in em of its own size, plus one unit. Side by side, two words are at least
# half an em apart, twice a space, so that two answers on one line do not read as one phrase.
PAD_X = 0.25
PAD_Y = 0.05
# A first layout is shrunk to cover at most this share of the box (padded boxes); packing gets harder above.
FILL = 0.6
SHRINK = 0.85
ATTEMPTS = 6
# Style ranks 0 (the most frequent words) to RANKS - 1, by the same square-root scale as the sizes.
RANKS = 5
# The placement grid: a cell is about 3 x 5 units of a 1600 x 900 box (a row is a quarter of the floor size).
COLUMNS = 480
ROWS = 180

# Advance widths of Helvetica Bold (Arial Bold and Liberation Sans Bold have the same), per 1000 em.
_ADVANCES = {
    char: advance
    for chars, advance in (
        ("'", 238),
        ("ijlI ,./\\", 278),
        ("|", 280),
        ("ft!()-:;[]`", 333),
        ("r*{}", 389),
        ('"', 474),
        ("z", 500),
        ("aceksvxyJ0123456789#$_", 556),
        ("+<=>^~", 584),
        ("bdghnopquFLTZ?ß", 611),
        ("EPSVXY", 667),
        ("ABCDHKNRU&", 722),
        ("wGOQ", 778),
        ("M", 833),
        ("m%", 889),
        ("W", 944),
        ("@", 975),
    )
    for char in chars
}
DEFAULT_ADVANCE = 600
WIDE_ADVANCE = 1000

# How far glyphs reach above the baseline (em): letters of the x-height, tall letters and digits (and the
# rest of the table), Latin letters with diacritics, anything else (CJK, emoji, other scripts); and below:
# characters that descend, and those that sit on the baseline (rounded letters overshoot it a little).
_SHORT = frozenset("acegmnopqrsuvwxyz.,:;-+=~ ")
_DEEP = frozenset("gjpqy,;()[]{}|/\\@_$")
_X_HEIGHT, _ASCENDER, _ACCENTED, _OTHER_TOP = 0.58, 0.76, 0.82, 0.95
_DESCENDER, _BASELINE = 0.24, 0.02


@dataclass(frozen=True)
class Placed:
    """A word in the cloud. `x` is the horizontal centre of the text and `y` its baseline (SVG
    `text-anchor="middle"`); `width` is the text's length at this size (SVG `textLength`), `ascent` and
    `descent` how far it is estimated to reach above and below the baseline. Units are the box's (its
    viewBox). `rank` 0 is the most frequent words, 4 the least: a template's colour class."""

    text: str
    count: int
    x: float
    y: float
    size: float
    width: float
    ascent: float
    descent: float
    rank: int

    @property
    def left(self) -> float:
        return self.x - self.width / 2

    @property
    def right(self) -> float:
        return self.x + self.width / 2

    @property
    def top(self) -> float:
        return self.y - self.ascent

    @property
    def bottom(self) -> float:
        return self.y + self.descent


@dataclass(frozen=True)
class Cloud:
    """A laid-out word cloud: its box (an SVG viewBox of `0 0 width height`), its words, largest first, and
    how many words were left out (beyond MAX_WORDS, or no room even at the smallest sizes)."""

    width: int
    height: int
    words: tuple[Placed, ...]
    dropped: int = 0

    @property
    def view_box(self) -> str:
        return f"0 0 {self.width} {self.height}"


@lru_cache(maxsize=4096)
def _advance(char: str) -> int:
    """A character's estimated advance width, per 1000 em (0 for one that joins the character before)."""
    if char in _ADVANCES:
        return _ADVANCES[char]
    if unicodedata.category(char) in ("Mn", "Me", "Cf") or 0x1F3FB <= ord(char) <= 0x1F3FF:
        return 0  # combining marks, joiners, variation selectors, skin tones
    if 0x1F1E6 <= ord(char) <= 0x1F1FF:
        return WIDE_ADVANCE // 2  # a pair of regional indicators is one flag
    if unicodedata.east_asian_width(char) in ("W", "F"):
        return WIDE_ADVANCE
    base = unicodedata.normalize("NFD", char)
    if base[0] in _ADVANCES and all(unicodedata.combining(mark) for mark in base[1:]):
        return _ADVANCES[base[0]]
    return DEFAULT_ADVANCE


def text_width(text: str) -> float:
    """The estimated width of a text at a font size of 1 (em). A character after a zero-width joiner joins
    the emoji before it, and takes no width of its own."""
    total = 0
    joined = False
    for char in text:
        if not joined:
            total += _advance(char)
        joined = char == "\u200d"
    return total / 1000


@lru_cache(maxsize=4096)
def _reach(char: str) -> tuple[float, float]:
    """How far a character is estimated to reach above and below the baseline (em)."""
    if char in _ADVANCES:
        return (_X_HEIGHT if char in _SHORT else _ASCENDER), (_DESCENDER if char in _DEEP else _BASELINE)
    base = unicodedata.normalize("NFD", char)
    if base[0] in _ADVANCES and all(unicodedata.combining(mark) for mark in base[1:]):
        below = any(0x0316 <= ord(mark) <= 0x0333 for mark in base[1:])  # marks below: cedilla, ogonek...
        return _ACCENTED, (_DESCENDER if below or base[0] in _DEEP else _BASELINE)
    return _OTHER_TOP, _DESCENDER


@dataclass(frozen=True)
class _Word:
    text: str
    count: int
    em: float  # width at size 1
    above: float  # reach above the baseline at size 1
    below: float


def _word(text: str, count: int) -> _Word:
    above, below = zip(*(_reach(char) for char in text), strict=True)
    return _Word(text, count, text_width(text), max(above), max(below))


# The grid as one integer: row r is bits r * _STRIDE to r * _STRIDE + COLUMNS - 1, and at least one zero bit
# after each row keeps a word's cells from running on into the next row (a whole number of bytes per row).
_STRIDE = (COLUMNS // 8 + 1) * 8
_ROW = (1 << COLUMNS) - 1
# Distance from the centre, in rings: a ring's cells are at most its number / RINGS of the farthest cell's.
RINGS = 256


@lru_cache(maxsize=ROWS + 1)
def _rows_of(high: int) -> int:
    """A bit in column 0 of each of the first `high` rows: times a row's bits, a block `high` rows tall."""
    return sum(1 << (row * _STRIDE) for row in range(high))


def _distance(column: int, row: int) -> int:
    """How far a cell's centre is from the box's, squared, a column counting as 1/COLUMNS of the width and
    a row as 1/ROWS of the height (in integers: half-cells times the other side's count)."""
    return ((2 * column + 1 - COLUMNS) * ROWS) ** 2 + ((2 * row + 1 - ROWS) * COLUMNS) ** 2


_FARTHEST = _distance(0, 0)


@lru_cache(maxsize=RINGS + 1)
def _within(ring: int) -> int:
    """The cells whose distance from the centre is at most ring / RINGS of the farthest cell's."""
    limit = _FARTHEST * ring * ring // (RINGS * RINGS)
    rows = []
    for row in range(ROWS):
        left_over = limit - ((2 * row + 1 - ROWS) * COLUMNS) ** 2
        bits = 0
        if left_over >= 0:
            reach = math.isqrt(left_over) // ROWS  # half-cells a centre may be off: |2 column + 1 - COLUMNS|
            first, last = max(0, (COLUMNS - reach) // 2), min(COLUMNS - 1, (COLUMNS - 1 + reach) // 2)
            if first <= last:
                bits = ((1 << (last - first + 1)) - 1) << first
        rows.append(bits.to_bytes(_STRIDE // 8, "little"))
    return int.from_bytes(b"".join(rows), "little")


class _Grid:
    """The box as a grid of COLUMNS x ROWS cells, a bit set for each cell no word's padded box covers."""

    def __init__(self) -> None:
        self.free = _ROW * _rows_of(ROWS)

    def nearest(self, wide: int, high: int, turn: int) -> tuple[int, int] | None:
        """The top-left cell of a free place for `wide` x `high` cells in the ring nearest the centre that
        has one; which of the ring's places goes round with `turn` (topmost leftmost, bottommost rightmost,
        topmost rightmost, bottommost leftmost), the way a spiral would start at a different angle."""
        if wide > COLUMNS or high > ROWS:
            return None
        fits = self.free
        span = 1
        while fits and span < high:  # keep the cells with high - 1 free ones below them
            step = min(span, high - span)
            fits &= fits >> (step * _STRIDE)
            span += step
        span = 1
        while fits and span < wide:  # ... and wide - 1 free ones on their right
            step = min(span, wide - span)
            fits &= fits >> step
            span += step
        if not fits:
            return None
        # Each place by its centre cell, to compare it with the rings.
        shift = wide // 2 + high // 2 * _STRIDE
        centres = fits << shift
        low, high_ring = 0, RINGS
        while low < high_ring:
            middle = (low + high_ring) // 2
            if centres & _within(middle):
                high_ring = middle
            else:
                low = middle + 1
        ring = centres & _within(low)
        first = _lowest(ring) if turn % 2 == 0 else ring.bit_length() - 1
        if turn % 4 >= 2:  # the other end of the same row
            row = first // _STRIDE
            across = (ring >> (row * _STRIDE)) & _ROW
            first = row * _STRIDE + (across.bit_length() - 1 if turn % 2 == 0 else _lowest(across))
        place = first - shift
        return place % _STRIDE, place // _STRIDE

    def take(self, column: int, row: int, wide: int, high: int) -> None:
        self.free &= ~((((1 << wide) - 1) * _rows_of(high)) << (row * _STRIDE + column))


def _lowest(bits: int) -> int:
    """The position of the lowest set bit."""
    return (bits & -bits).bit_length() - 1


def layout(words: Sequence[tuple[str, int]], width: int = 1600, height: int = 900) -> Cloud:
    """Lay out (text, count) pairs in a box of width x height units. Texts are distinct and normalised;
    a pair with an empty text or a count below 1 is not shown. Order does not matter: the cloud takes the
    MAX_WORDS most frequent, ties in text order, and places them largest first."""
    if width < 1 or height < 1:
        raise ValueError(f"a word cloud needs a box of at least 1 x 1, not {width} x {height}")
    shown = sorted(((text, count) for text, count in words if text and count >= 1), key=_order)
    beyond = max(0, len(shown) - MAX_WORDS)
    chosen = [_word(text, count) for text, count in shown[:MAX_WORDS]]
    if not chosen:
        return Cloud(width, height, (), beyond)

    roots = {word.count: math.sqrt(word.count) for word in chosen}
    low, high = min(roots.values()), max(roots.values())
    shares = {count: (root - low) / (high - low) if high > low else 1.0 for count, root in roots.items()}
    ceilings = _ceilings(chosen, width, height)

    def sizes(scale: float) -> list[float]:
        """Each word's size, by its count alone: the square-root scale, shrunk, held to the floor and to
        what fits the box."""
        by_count = {
            count: round(min(ceiling, max(FLOOR * height, scale * height * _share_size(shares[count]))), 1)
            for count, ceiling in ceilings.items()
        }
        return [by_count[word.count] for word in chosen]

    scale = 1.0
    area = sum(math.prod(_padded(word, size)) for word, size in zip(chosen, sizes(scale), strict=True))
    if area > FILL * width * height:
        scale = math.sqrt(FILL * width * height / area)
    attempt = sizes(scale)
    for tries in range(1, ATTEMPTS + 1):
        smaller = sizes(scale * SHRINK)
        last = tries == ATTEMPTS or smaller == attempt
        placed = _place(chosen, attempt, shares, width, height, give_up=not last)
        if placed is not None:
            return Cloud(width, height, placed, beyond + len(chosen) - len(placed))
        scale *= SHRINK
        attempt = smaller
    raise AssertionError("the last attempt places what fits")


def _share_size(share: float) -> float:
    """A size, as a share of the box's height, for a count's place on the square-root scale (0 to 1)."""
    return SMALLEST + (LARGEST - SMALLEST) * share


def _order(pair: tuple[str, int]) -> tuple[int, str]:
    return -pair[1], pair[0]


def _padded(word: _Word, size: float) -> tuple[float, float]:
    """A word's box with its padding, at a size (units)."""
    return size * (word.em + 2 * PAD_X) + 2, size * (word.above + word.below + 2 * PAD_Y) + 2


def _ceilings(chosen: list[_Word], width: int, height: int) -> dict[int, float]:
    """The largest size each count may have: every word with that count or fewer fits the box (one grid
    cell to spare), unless it is too long even at the floor, which does not hold the others back."""
    fit: dict[int, float] = {}
    for word in chosen:
        across = (width * (1 - 1 / COLUMNS) - 2) / (word.em + 2 * PAD_X)
        down = (height * (1 - 1 / ROWS) - 2) / (word.above + word.below + 2 * PAD_Y)
        fit[word.count] = min(fit.get(word.count, math.inf), max(FLOOR * height, min(across, down)))
    ceilings: dict[int, float] = {}
    lowest = math.inf
    for count in sorted(fit, reverse=True):
        lowest = ceilings[count] = min(lowest, fit[count])
    return ceilings


def _place(
    chosen: list[_Word], sizes: list[float], shares: dict[int, float], width: int, height: int, give_up: bool
) -> tuple[Placed, ...] | None:
    """Place the words at these sizes, largest first; None as soon as one does not fit if giving up, else
    the words that fit."""
    grid = _Grid()
    cell_x, cell_y = width / COLUMNS, height / ROWS
    placed: list[Placed] = []
    misses: list[tuple[int, int]] = []  # no place for these cells, nor for anything as big in both
    for word, size in zip(chosen, sizes, strict=True):
        padded_x, padded_y = _padded(word, size)
        wide, high = math.ceil(padded_x / cell_x), math.ceil(padded_y / cell_y)
        if any(wide >= w and high >= h for w, h in misses):
            place = None
        else:
            place = grid.nearest(wide, high, len(placed))
        if place is None:
            if give_up:
                return None
            misses.append((wide, high))
            continue
        column, row = place
        grid.take(column, row, wide, high)
        above, below = size * word.above, size * word.below
        middle = (row + high / 2) * cell_y
        placed.append(
            Placed(
                text=word.text,
                count=word.count,
                x=round((column + wide / 2) * cell_x, 1),
                y=round(middle - (above + below) / 2 + above, 1),
                size=size,
                width=round(size * word.em, 1),
                ascent=round(above, 1),
                descent=round(below, 1),
                rank=min(RANKS - 1, int((1 - shares[word.count]) * RANKS)),
            )
        )
    return tuple(placed)
