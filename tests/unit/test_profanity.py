"""What the audience writes is held for review when it swears in English or German, however it is typed, and
never because an ordinary word happens to contain a bad one."""

from __future__ import annotations

import pytest
from glin_profanity.data.dictionary import dictionary

from polls.profanity import is_profane


@pytest.mark.parametrize(
    "text",
    ["shit", "What a load of bollocks", "this is bullshit", "you bastard", "asshole", "wtf"],
)
def test_english_profanity_is_caught(text):
    assert is_profane(text)


@pytest.mark.parametrize(
    "text",
    ["Scheiße", "Was für eine Scheiße!", "So ein Arschloch.", "Du Vollpfosten", "Wichser", "alles Kacke"],
)
def test_german_profanity_is_caught(text):
    assert is_profane(text)


@pytest.mark.parametrize("language", ["english", "german"])
def test_every_entry_of_the_librarys_list_is_caught(language):
    entries = dictionary.get_words(language)
    assert len(entries) > 50
    assert [entry for entry in entries if not is_profane(entry)] == []


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("SHIT", id="upper case"),
        pytest.param("ShIt", id="mixed case"),
        pytest.param("ARSCHLOCH", id="German upper case"),
        pytest.param("Scheisse", id="ss for ß"),
        pytest.param("SCHEISSE", id="upper case ss for ß"),
        pytest.param("Do\u0308del", id="umlaut as a combining mark (NFD)"),
        pytest.param("Doedel", id="umlaut typed as oe"),
        pytest.param("\uff53\uff48\uff49\uff54", id="full-width letters"),
        pytest.param("fück", id="accent on an English word"),
        pytest.param("fu\u0441k", id="Cyrillic letter that looks Latin"),
        pytest.param("sh\u200bit", id="zero-width space inside"),
        pytest.param("Arsch\u00adloch", id="soft hyphen inside"),
        pytest.param("f u c k", id="spelled out with spaces"),
        pytest.param("a r s c h l o c h", id="German spelled out"),
        pytest.param("s.h.i.t", id="spelled out with dots"),
        pytest.param("f_u_c_k", id="spelled out with underscores"),
        pytest.param("you are a f u c k", id="spelled out after a one-letter word"),
        pytest.param("fuuuuck", id="stretched"),
        pytest.param("Arschlooooch", id="German stretched"),
        pytest.param("sh1t", id="leetspeak digit"),
        pytest.param("a$$hole", id="leetspeak symbols"),
        pytest.param("Ar$chloch", id="German leetspeak"),
        pytest.param("bu11shit", id="leetspeak 1 for l"),
        pytest.param("Shit!!!", id="punctuation after"),
        pytest.param("(bitch)", id="punctuation around"),
        pytest.param("  shit  ", id="whitespace around"),
        pytest.param("what a piece of shit", id="a listed phrase"),
    ],
)
def test_case_spacing_and_obfuscation_do_not_hide_a_word(text):
    assert is_profane(text)


@pytest.mark.parametrize(
    "text",
    [
        "What a great talk, thank you!",
        "Can we get the slides afterwards?",
        "I'd like more examples from real projects",
        "Der Vortrag war spannend, danke!",
        "Wann gibt es Mittagessen?",
        "Ich hätte gern mehr Beispiele aus der Praxis.",
        "Gestern Abend Schwanensee im Opernhaus",
        "Größe, Übermaß, Straße",
        "455 votes in 10 minutes",
        "Plan A, B or C",
    ],
)
def test_ordinary_sentences_are_not_caught(text):
    assert not is_profane(text)


@pytest.mark.parametrize(
    ("text", "inside"),
    [
        ("Scunthorpe", "cunt"),
        ("class", "ass"),
        ("assess", "ass"),
        ("assistant", "ass"),
        ("cocktail", "cock"),
        ("Dickens", "dick"),
        ("Penistone", "penis"),
        ("Sussex", "sex"),
        ("therapist", "rapist"),
        ("grape", "rape"),
        ("spice", "spic"),
        ("Cumberland", "cum"),
        ("button", "butt"),
        ("scatter", "scat"),
        ("Marsch", "arsch"),
        ("Barsch", "arsch"),
        ("Analogie", "anal"),
        ("praktische Fische", "ische"),
        ("Popeline", "popel"),
        ("Schuhwichse", "wichse"),
        ("Titicacasee", "tit"),
        ("Mose", "möse"),
    ],
)
def test_an_ordinary_word_containing_a_bad_one_is_not_caught(text, inside):
    assert is_profane(inside)
    assert not is_profane(text)


@pytest.mark.parametrize("text", ["", " ", "\n\t", "!!!", "🙂"])
def test_empty_text_and_text_without_words_are_not_caught(text):
    assert not is_profane(text)
