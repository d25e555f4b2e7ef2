"""Languages: every text a person reads goes through gettext, German translates all of it, and the browser's
Accept-Language (or ?lang=) picks the language of the page."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

from polls.domain import Option, OptionResult, Poll, Results
from polls.event import Event, EventView, Question
from polls.qa import QaBoard
from polls.web.i18n import load_translations, negotiate
from polls.web.qa_render import qa_context
from polls.web.render import Templates
from tests.rendering import templates_with_routes

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = ROOT / "webclient" / "templates"
LOCALES = ROOT / "webclient" / "locales"
GERMAN_PO = LOCALES / "de" / "LC_MESSAGES" / "messages.po"
PLACEHOLDER = re.compile(r"%\((\w+)\)s")
# Words a template may show as they are in every language: the product's name, file formats, an example code.
UNTRANSLATED = {"polls", "CSV", "JSON", "K7QH3M"}


def jinja_options() -> dict[str, str]:
    """The jinja2 extractor's options exactly as babel.cfg gives them to pybabel."""
    with (ROOT / "babel.cfg").open() as cfg:
        method_map, options_map = parse_mapping_cfg(cfg)
    (pattern,) = [pattern for pattern, method in method_map if method == "jinja2"]
    assert pattern == "webclient/templates/**.html"
    return options_map[pattern]


def template_messages() -> dict[str | tuple[str, ...], str]:
    """Every message the templates ask gettext for, with where it was found."""
    found = extract_from_dir(
        str(TEMPLATES), method_map=[("**.html", "jinja2")], options_map={"**.html": jinja_options()}
    )
    return {message: f"templates/{filename}:{lineno}" for filename, lineno, message, _, _ in found}


def server_messages() -> dict[str | tuple[str, ...], str]:
    """Every message the server says to a person (its errors, marked N_ or NP_ in polls/, which mypy
    makes sure of: an error takes no other text), with where it was found."""
    found = extract_from_dir(
        str(ROOT / "polls"), method_map=[("**.py", "python")], keywords={"N_": None, "NP_": (1, 2)}
    )
    return {message: f"polls/{filename}:{lineno}" for filename, lineno, message, _, _ in found}


def german_catalog():
    with GERMAN_PO.open("rb") as po:
        return read_po(po, locale="de")


MESSAGES = template_messages()
SERVER_MESSAGES = server_messages()


def test_the_templates_have_messages_to_translate():
    assert len(MESSAGES) > 50
    assert "Create poll" in MESSAGES and ("vote", "votes") in MESSAGES


def test_the_server_has_messages_to_translate():
    assert len(SERVER_MESSAGES) > 40
    assert "Choose at least one option." in SERVER_MESSAGES
    assert ("Too many choices: choose one option.", "Too many choices: choose at most %(num)s options.") in (
        SERVER_MESSAGES
    )


@pytest.mark.parametrize("msgid", list({**MESSAGES, **SERVER_MESSAGES}), ids=str)
def test_every_message_has_a_german_translation_with_the_same_placeholders(msgid):
    found = {**MESSAGES, **SERVER_MESSAGES}[msgid]
    message = german_catalog().get(msgid[0] if isinstance(msgid, tuple) else msgid)
    assert message is not None, f"{found}: {msgid!r} is not in messages.po (run pybabel update, babel.cfg)"
    assert not message.fuzzy, f"{msgid!r} is marked fuzzy: gettext would show the English text"
    sources = msgid if isinstance(msgid, tuple) else (msgid,)
    translations = message.string if isinstance(message.string, tuple) else (message.string,)
    assert len(translations) == (2 if isinstance(msgid, tuple) else 1), "German has two plural forms"
    expected = {name for source in sources for name in PLACEHOLDER.findall(source)}
    for translation in translations:
        assert translation.strip(), f"{msgid!r} has an empty German translation"
        if isinstance(msgid, tuple):
            # ngettext fills %(num)s itself; a singular may say "eine" instead of the number.
            assert set(PLACEHOLDER.findall(translation)) <= expected | {"num"}
        else:
            assert set(PLACEHOLDER.findall(translation)) == expected
        # Newstyle gettext always %-formats, so a stray "%" would break the page.
        translation % dict.fromkeys(expected | {"num"}, "x")


def test_the_german_catalog_compiles_and_translates():
    german = load_translations(LOCALES)["de"]
    assert german.gettext("Create poll") == "Umfrage erstellen"
    assert german.gettext("Question %(n)s of %(count)s") == "Frage %(n)s von %(count)s"
    assert [german.ngettext("vote", "votes", n) for n in (1, 2, 0)] == ["Stimme", "Stimmen", "Stimmen"]
    assert "plural=(n != 1)" in german_catalog().plural_forms


def test_english_is_the_source_language_and_needs_no_catalog():
    english = load_translations(LOCALES)["en"]
    assert english.gettext("Create poll") == "Create poll"
    assert english.ngettext("vote", "votes", 2) == "votes"


class VisibleText(HTMLParser):
    """Text a person sees or hears in a template once its Jinja code is taken out."""

    ATTRIBUTES = ("aria-label", "placeholder", "title", "alt", "data-change-label")

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.words: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in self.ATTRIBUTES:
                self.words += re.findall(r"[A-Za-z][\w'-]*", value or "")

    def handle_data(self, data: str) -> None:
        self.words += re.findall(r"[A-Za-z][\w'-]*", data)


def literal_words(template: Path) -> list[str]:
    source = template.read_text()
    # The body's class names are set in a block outside any tag, but they are markup, not text.
    source = re.sub(r"\{% block body_class %\}.*?\{% endblock %\}", "", source)
    parser = VisibleText()
    parser.feed(re.sub(r"\{#.*?#\}|\{%.*?%\}|\{\{.*?\}\}", " ", source, flags=re.S))
    return [word for word in parser.words if word not in UNTRANSLATED]


@pytest.mark.parametrize(
    "template", sorted(TEMPLATES.rglob("*.html")), ids=lambda path: str(path.relative_to(TEMPLATES))
)
def test_no_template_shows_text_that_bypasses_gettext(template):
    assert literal_words(template) == []


@pytest.mark.parametrize(
    ("accept_language", "requested", "language"),
    [
        ("de-DE,de;q=0.9,en;q=0.8", None, "de"),
        ("en-US", None, "en"),
        ("fr-FR", None, "en"),
        ("fr;q=1, de;q=0.5", None, "de"),
        ("en-GB,en;q=0.9,de;q=0.8", None, "en"),
        ("en;q=0.2, de;q=0.7", None, "de"),
        (None, None, "en"),
        ("", None, "en"),
        ("en-US", "de", "de"),
        ("de-DE", "en", "en"),
        ("de-DE", "xx", "de"),
        ("en-US", "xx", "en"),
    ],
)
def test_the_language_is_the_explicit_choice_else_the_browsers_preference_else_english(
    accept_language, requested, language
):
    assert negotiate(accept_language, requested) == language


@pytest.fixture(scope="module")
def templates() -> Templates:
    return templates_with_routes(TEMPLATES, LOCALES)


HOME_IN_GERMAN = (
    "An einer Umfrage teilnehmen",
    "Umfrage erstellen",
    "eine pro Zeile; bei einer Skala",
    "Mehrere Antworten, bis zu",
    'aria-label="Höchstzahl der Antworten"',
    "Veranstaltung erstellen",
)
HOME_IN_ENGLISH = ("Join a poll", "Create a poll", "What should we do next?", "One choice", "Maximum choices")


def test_the_home_page_renders_in_german(templates):
    page = templates.render("home.html", "de")
    assert '<html lang="de">' in page
    assert [text for text in HOME_IN_GERMAN if text not in page] == []
    assert [text for text in (*HOME_IN_ENGLISH, "Create poll", "one per line") if text in page] == []


def test_the_home_page_stays_english_for_english(templates):
    page = templates.render("home.html", "en")
    assert '<html lang="en">' in page
    assert [text for text in HOME_IN_ENGLISH if text not in page] == []
    assert "Umfrage" not in page


POLL = Poll("K7QH3M", "Lunch?", "single", 1, "open", (Option(1, "Pizza"), Option(2, "Tacos")))


@pytest.mark.parametrize(("voters", "word"), [(0, "Stimmen"), (1, "Stimme"), (2, "Stimmen")])
def test_the_results_count_votes_in_german_with_the_right_plural(templates, voters, word):
    results = Results("K7QH3M", 1, voters, "closed", (OptionResult(1, "Pizza", voters),))
    fragment = templates.results_fragment(results, "de")
    assert re.search(rf'<strong class="voters">{voters}</strong> {word}\b', fragment)
    assert "· Abstimmung geschlossen" in fragment and "voting closed" not in fragment


def test_the_voting_page_in_german(templates):
    page = templates.render("vote.html", "de", poll=POLL, chosen=(1,), message="received")
    assert "Stimme erhalten." in page and "Stimme ändern" in page and "Eine Option wählen" in page
    assert "Vote received" not in page and "Change vote" not in page


def test_an_event_page_in_german(templates):
    question = Question(POLL, 1, "always", True, datetime.now(UTC), 1)
    event = Event("ABCDEF", "Town hall", 1, POLL.code, (question,))
    results = Results(POLL.code, 1, 1, "open", (OptionResult(1, "Pizza", 1), OptionResult(2, "Tacos", 0)))
    qa = qa_context(QaBoard("ABCDEF", 1, False, "off", ()))
    page = templates.render(
        "event_participant.html", "de", view=EventView(event, results), chosen=(1,), qa=qa
    )
    assert "Frage 1 von 1" in page and "Antwort senden" in page
    assert re.search(r'<strong class="voters">1</strong> Antwort\b', page)
    assert "Send answer" not in page and "Question 1 of 1" not in page
