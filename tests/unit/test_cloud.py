"""The word cloud's layout: words never overlap and never leave the box, more answers never mean a smaller
font, the same tally always gives the same cloud, the most frequent word is at the centre, and what cannot
fit is counted rather than lost."""

from __future__ import annotations

import itertools
import random

import pytest

from polls.kinds._cloud import FLOOR, LARGEST, MAX_WORDS, PAD_X, Cloud, Placed, layout, text_width

WORDS = (
    "teamwork coffee innovation deadline meetings feedback trust kommunikation zusammenarbeit freiheit "
    "vertrauen spaß motivation agile remote homeoffice flexibility growth learning mentoring transparency "
    "ownership quality speed customer focus balance wellbeing überstunden fortschritt qualität kreativität "
    "energy chaos clarity respect diversity inclusion community leadership vision strategy roadmap sprint "
    "retro daily standup kanban scrum devops cloud security privacy datenschutz zukunft digitalisierung "
    "change mut neugier offenheit pizza friday afterwork kaffeeküche büro kollegen gemeinschaft ideas "
    "experiments autonomy purpose mastery grüße straße müdigkeit ruhe stress burnout joy"
).split()
PHRASES = (
    "better coffee in the kitchen please",
    "weniger meetings mehr fokuszeit",
    "clear priorities for the next quarter",
    "ein gemeinsames teamfrühstück jeden monat",
)
UNICODE = (
    ("über", 40),
    ("größe", 31),
    ("中文词云", 25),
    ("日本語のことば", 12),
    ("한국어", 9),
    ("🎉", 30),
    ("👍🏽", 11),
    ("👩‍💻 coding", 8),
    ("🇩🇪", 7),
    ("façade", 6),
    ("привет", 5),
    ("καλημέρα", 4),
    ("naïve café", 3),
)


def tally(size: int, seed: int = 1) -> list[tuple[str, int]]:
    """A tally like a room's: English and German words and a few phrases, counts falling like Zipf's law."""
    rng = random.Random(seed)
    texts = [*WORDS, *PHRASES]
    texts += [f"{a} {b}" for a, b in itertools.combinations(WORDS, 2)][: max(0, size - len(texts))]
    chosen = rng.sample(texts, size)
    return [(text, max(1, int(240 / (place + 1) ** 0.9))) for place, text in enumerate(chosen)]


def long_phrases(size: int) -> list[tuple[str, int]]:
    """Phrases of the longest an answer may be, 40 characters."""
    rng = random.Random(size)
    phrases = []
    for number in range(size):
        words = " ".join(rng.choice(WORDS) for _ in range(8))
        phrases.append((f"{words[:35].rstrip()} {number:04d}".ljust(40, "x")[:40], rng.randint(1, 30)))
    return phrases


TALLIES = {
    "50 words": tally(50),
    "100 words": tally(100),
    "200 words": tally(200),
    "200 phrases of 40 characters": long_phrases(200),
    "200 words with the same count": [(f"word {number}", 3) for number in range(200)],
    "umlauts, CJK and emoji": [*UNICODE, *tally(40, seed=2)],
}
BOXES = [(1600, 900), (800, 450), (900, 1600), (320, 180)]


def overlap(one: Placed, other: Placed) -> bool:
    return (
        one.left < other.right
        and other.left < one.right
        and one.top < other.bottom
        and other.top < one.bottom
    )


@pytest.fixture(scope="module", params=list(TALLIES), ids=list(TALLIES))
def cloud(request: pytest.FixtureRequest) -> Cloud:
    return layout(TALLIES[request.param])


# --- geometry ------------------------------------------------------------------------------------------


def test_no_two_words_overlap(cloud: Cloud) -> None:
    assert [(a.text, b.text) for a, b in itertools.combinations(cloud.words, 2) if overlap(a, b)] == []


def test_words_side_by_side_are_further_apart_than_the_words_of_a_phrase(cloud: Cloud) -> None:
    # A space is about a quarter of an em; two answers on one line must not read as one.
    too_close = [
        (a.text, b.text)
        for a, b in itertools.combinations(cloud.words, 2)
        if a.top < b.bottom
        and b.top < a.bottom
        and max(a.left, b.left) - min(a.right, b.right) < PAD_X * (a.size + b.size) - 0.2
    ]
    assert too_close == []


def test_every_word_lies_inside_the_box(cloud: Cloud) -> None:
    outside = [
        w.text
        for w in cloud.words
        if w.left < 0 or w.top < 0 or w.right > cloud.width or w.bottom > cloud.height
    ]
    assert outside == []


@pytest.mark.parametrize(("width", "height"), BOXES)
def test_words_neither_overlap_nor_leave_boxes_of_other_sizes_and_shapes(width: int, height: int) -> None:
    cloud = layout(tally(100), width, height)
    assert (cloud.width, cloud.height, cloud.view_box) == (width, height, f"0 0 {width} {height}")
    assert not any(overlap(a, b) for a, b in itertools.combinations(cloud.words, 2))
    assert all(0 <= w.left and w.right <= width and 0 <= w.top and w.bottom <= height for w in cloud.words)


def test_the_width_drawn_is_the_estimate_at_the_font_size(cloud: Cloud) -> None:
    # The template gives each word textLength=width, so the browser draws exactly the box laid out.
    assert all(w.width == pytest.approx(w.size * text_width(w.text), abs=0.051) for w in cloud.words)


# --- sizes ---------------------------------------------------------------------------------------------


def test_a_word_with_more_answers_never_has_a_smaller_font(cloud: Cloud) -> None:
    by_count = sorted(cloud.words, key=lambda w: -w.count)
    assert all(more.size >= fewer.size for more, fewer in itertools.pairwise(by_count))


def test_words_with_as_many_answers_have_the_same_size(cloud: Cloud) -> None:
    sizes: dict[int, set[float]] = {}
    for word in cloud.words:
        sizes.setdefault(word.count, set()).add(word.size)
    assert all(len(each) == 1 for each in sizes.values())


def test_sizes_lie_between_the_floor_and_the_largest(cloud: Cloud) -> None:
    assert all(FLOOR * 900 - 0.05 <= w.size <= LARGEST * 900 + 0.05 for w in cloud.words)


def test_a_lone_word_is_as_large_as_a_word_gets() -> None:
    (word,) = layout([("hello", 3)]).words
    assert word.size == pytest.approx(LARGEST * 900, abs=0.05)


def test_no_word_is_wider_than_the_box_even_the_most_frequent_long_phrase() -> None:
    phrase = "clear priorities for the next quarter ok"
    cloud = layout([(phrase, 50), ("yes", 10)], 800, 450)
    assert [w.text for w in cloud.words] == [phrase, "yes"]
    assert cloud.words[0].width <= 800
    assert cloud.words[0].size >= cloud.words[1].size


def test_ranks_go_from_0_for_the_most_frequent_to_4_for_the_least() -> None:
    words = layout(tally(80)).words
    assert (words[0].rank, max(w.rank for w in words)) == (0, 4)
    by_count = sorted(words, key=lambda w: -w.count)
    assert all(more.rank <= fewer.rank for more, fewer in itertools.pairwise(by_count))


# --- placement -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(TALLIES))
def test_the_most_frequent_word_is_at_the_centre(name: str) -> None:
    cloud = layout(TALLIES[name])
    first = cloud.words[0]
    assert first.count == max(count for _, count in TALLIES[name])
    # within 1% of the box's size: a place on the placement grid is a few units apart
    assert abs(first.x - 800) <= 16
    assert abs((first.top + first.bottom) / 2 - 450) <= 9


def test_words_are_placed_largest_first_with_ties_in_text_order() -> None:
    words = layout([("b", 2), ("c", 5), ("a", 2), ("d", 1)]).words
    assert [w.text for w in words] == ["c", "a", "b", "d"]


def test_the_same_tally_gives_the_same_cloud_in_any_order() -> None:
    words = tally(150)
    shuffled = random.Random(9).sample(words, len(words))
    assert layout(words) == layout(words) == layout(shuffled)


def test_the_layout_does_not_change_unnoticed() -> None:
    # Pinned: a change here changes every cloud on the projector, and replicas of two versions would differ.
    cloud = layout([("coffee", 9), ("tea", 4), ("water", 1)])
    assert [(w.text, w.x, w.y, w.size, w.width) for w in cloud.words] == [
        ("coffee", 793.3, 503.0, 150.0, 441.8),
        ("tea", 826.7, 590.8, 90.0, 130.1),
        ("water", 828.3, 376.1, 30.0, 78.4),
    ]


# --- what does not fit, and what is not shown -----------------------------------------------------------


def test_an_empty_tally_gives_an_empty_cloud() -> None:
    assert layout([]) == Cloud(1600, 900, (), dropped=0)


def test_words_without_answers_or_text_are_not_shown() -> None:
    assert [w.text for w in layout([("", 5), ("zero", 0), ("kept", 1)]).words] == ["kept"]


def test_200_long_phrases_are_all_placed_or_counted_as_dropped() -> None:
    cloud = layout(long_phrases(200))
    assert len(cloud.words) + cloud.dropped == 200
    assert cloud.dropped > 0  # 200 lines of 40 characters cannot all be read from the back of a room
    assert len(cloud.words) >= 60
    # ... and only once they are as small as a word may be
    assert all(w.size == pytest.approx(FLOOR * 900, abs=0.05) for w in cloud.words)


def test_a_crowded_cloud_shrinks_before_it_drops() -> None:
    cloud = layout(tally(200))
    assert cloud.dropped == 0
    assert cloud.words[0].size < LARGEST * 900


def test_words_beyond_the_most_a_cloud_shows_count_as_dropped() -> None:
    words = [(f"w{number}", 1000 - number) for number in range(MAX_WORDS + 30)]
    cloud = layout(words, 1600, 900)
    assert {w.text for w in cloud.words} <= {text for text, _ in words[:MAX_WORDS]}
    assert cloud.dropped == 30 + MAX_WORDS - len(cloud.words)


@pytest.mark.parametrize(("width", "height"), [(0, 900), (1600, 0)])
def test_a_box_without_room_is_refused(width: int, height: int) -> None:
    with pytest.raises(ValueError, match="at least 1 x 1"):
        layout([("a", 1)], width, height)


# --- unicode -------------------------------------------------------------------------------------------


def test_umlauts_cjk_and_emoji_are_placed() -> None:
    cloud = layout(UNICODE)
    assert {w.text for w in cloud.words} == {text for text, _ in UNICODE}
    assert cloud.dropped == 0


@pytest.mark.parametrize(
    ("text", "like"),
    [("größe", "große"), ("naïve café", "naive cafe"), ("façade", "facade")],
)
def test_letters_with_diacritics_are_as_wide_as_their_letters(text: str, like: str) -> None:
    assert text_width(text) == text_width(like)


@pytest.mark.parametrize(
    ("text", "ems"),
    [
        ("中文词云", 4.0),  # wide characters are an em each
        ("🎉", 1.0),
        ("👍🏽", 1.0),  # a skin tone joins the emoji
        ("👩‍💻", 1.0),  # so does an emoji after a zero-width joiner
        ("🇩🇪", 1.0),  # two regional indicators make one flag
        ("ü", 0.611),
    ],
)
def test_wide_characters_and_emoji_are_an_em(text: str, ems: float) -> None:
    assert text_width(text) == pytest.approx(ems)


def test_tall_scripts_and_emoji_get_taller_boxes_than_short_letters() -> None:
    words = {w.text: w for w in layout([("mouse", 5), ("中文", 5), ("🎉🎉", 5), ("über", 5)]).words}
    assert words["中文"].ascent > words["über"].ascent > words["mouse"].ascent
    assert words["🎉🎉"].descent > words["mouse"].descent
