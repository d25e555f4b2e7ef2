"""Accessibility (WCAG 2.1 AA): colours people can read, form fields with names, buttons with text, a page
language, and a text alternative for every results chart.

Colours come from webclient/static/app.css itself; contrast is WCAG's ratio of relative luminances. All text
is held to 4.5:1, even the projector's large text that 3:1 would allow; borders, fills and focus rings that
identify a control or carry information to 3:1 (1.4.11)."""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path

import pytest

from polls.domain import Option, OptionResult, Poll, Results
from polls.errors import PollNotFound
from polls.event import Event, EventView, Question
from polls.qa import QaBoard, QaQuestion
from polls.web.qa_render import qa_context
from polls.web.render import Templates
from tests.rendering import templates_with_routes

ROOT = Path(__file__).resolve().parents[2]
CSS = (ROOT / "webclient" / "static" / "app.css").read_text()
TEMPLATES = ROOT / "webclient" / "templates"
TEXT = 4.5
NON_TEXT = 3.0


# --- colours -------------------------------------------------------------------------------------------


def css_rules(css: str) -> list[tuple[str, dict[str, str]]]:
    """(selector, declarations) of every rule, those inside @media included."""
    css = re.sub(r"/\*.*?\*/", "", css, flags=re.S)
    rules = []
    for selector, body in re.findall(r"([^{}]+)\{([^{}]*)\}", css):
        declarations = dict(
            (name.strip(), value.strip())
            for name, _, value in (part.partition(":") for part in body.split(";"))
            if value.strip()
        )
        rules.append((" ".join(selector.split()), declarations))
    return rules


RULES = css_rules(CSS)
VARIABLES = {name[2:]: value for name, value in dict(RULES)[":root"].items() if name.startswith("--")}


def declared(selector: str, prop: str) -> str:
    """The value a selector's rules give a property (the last one wins, as in the cascade)."""
    values = [declarations[prop] for s, declarations in RULES if s == selector and prop in declarations]
    assert values, f"no rule {selector} {{ {prop}: ... }} in app.css"
    return values[-1]


def colour(value: str) -> str:
    """A colour as #rrggbb: a variable of :root (var(--x) or --x), or a literal the stylesheet uses."""
    name = re.fullmatch(r"(?:var\()?--([\w-]+)\)?", value.strip())
    if name:
        value = VARIABLES[name.group(1)]
    else:
        assert re.search(re.escape(value) + r"\b", CSS, re.I), f"{value} is not used in app.css"
    hex_digits = value.strip().lstrip("#")
    assert re.fullmatch(r"[0-9a-fA-F]{3}|[0-9a-fA-F]{6}", hex_digits), value
    if len(hex_digits) == 3:
        hex_digits = "".join(digit * 2 for digit in hex_digits)
    return "#" + hex_digits.lower()


def luminance(hex_colour: str) -> float:
    """WCAG 2.1 relative luminance of an sRGB colour."""
    channels = [int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    r, g, b = (c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def ratio(first: str, second: str) -> float:
    """WCAG 2.1 contrast ratio of two #rrggbb colours."""
    lighter, darker = sorted((luminance(first), luminance(second)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def contrast(foreground: str, background: str) -> float:
    return ratio(colour(foreground), colour(background))


def test_the_contrast_formula_matches_wcag():
    assert ratio("#000000", "#ffffff") == pytest.approx(21.0)
    assert ratio("#ffffff", "#ffffff") == pytest.approx(1.0)
    assert ratio("#767676", "#ffffff") == pytest.approx(4.54, abs=0.01)  # the lightest AA grey on white
    assert ratio("#d1d5db", "#ffffff") < NON_TEXT  # a light border that identifies nothing


def colour_rules() -> list[tuple[str, str, str]]:
    """Rules that set both a text colour and a background: (selector, colour, background)."""
    found = []
    for selector, declarations in RULES:
        background = declarations.get("background-color", declarations.get("background"))
        if "color" in declarations and background:
            found.append((selector, declarations["color"], background))
    return found


def test_the_rules_that_set_text_and_background_are_found():
    selectors = {selector for selector, _, _ in colour_rules()}
    expected = {
        ":root",
        "button.primary",
        "button.danger",
        ".notice.received",
        ".notice.closed",
        ".live-indicator",
        ".live-indicator[data-live=on]",
        ".badge",
        ".badge.live",
    }
    assert expected <= selectors


@pytest.mark.parametrize(("selector", "text", "background"), colour_rules(), ids=lambda v: v)
def test_every_rule_with_its_own_background_has_readable_text(selector, text, background):
    assert contrast(text, background) >= TEXT, f"{selector}: {text} on {background}"


# Text whose background comes from where it sits, not from its own rule.
TEXT_ON_SURFACES = [
    ("--ink", "--wash", "text on the page's background"),
    ("--ink", "--paper", "text in cards and fields"),
    ("--ink", "#eff6ff", "a chosen answer; the live question in the presenter's list"),
    ("--muted", "--paper", "hints, the tally, percentages, the projector's join label"),
    ("--muted", "--wash", "hints and badges on grey"),
    ("--muted", "#eff6ff", "hints in the live question's item"),
    ("--accent", "--paper", "links, the join code, the brand mark"),
    ("--accent", "--wash", "links on the page's background"),
    ("--accent", "#eff6ff", "the Edit summary of the live question"),
    ("--ok", "--paper", "'voting is open'"),
    ("--warn", "--paper", "'voting is closed', the closed tally"),
    ("--danger", "--paper", "errors, the countdown, the outlined delete button"),
    ("--ok", "--ok-wash", "'vote received'; the live indicator when connected"),
    ("--warn", "--warn-wash", "'poll closed'; the live indicator while connecting, reconnecting or gone"),
    ("--accent-ink", "--accent", "primary buttons, the live badge"),
    ("#fff", "--danger", "danger buttons"),
]


@pytest.mark.parametrize(("text", "background", "where"), TEXT_ON_SURFACES, ids=lambda v: v)
def test_text_is_readable_where_it_appears(text, background, where):
    assert contrast(text, background) >= TEXT, where


# Non-text: what identifies a control or carries the information, against what is next to it.
NON_TEXT_PAIRS = [
    ("--bar", "--wash", "a bar's fill against its track"),
    ("--bar-lead", "--wash", "the leading bar's fill against its track"),
    ("--accent", "--paper", "the focus ring in a card"),
    ("--accent", "--wash", "the focus ring on the page's background"),
    ("--accent", "#eff6ff", "the focus ring in the live question's item"),
    ("--field-line", "--paper", "a text field's border in a card"),
    ("--field-line", "#eff6ff", "a text field's border in the live question's edit form"),
]


@pytest.mark.parametrize(("part", "background", "where"), NON_TEXT_PAIRS, ids=lambda v: v)
def test_controls_and_charts_stand_out_from_their_background(part, background, where):
    assert contrast(part, background) >= NON_TEXT, where


def test_the_checked_pairs_are_the_ones_the_stylesheet_uses():
    assert declared(".bar .track", "background") == "var(--wash)"
    assert declared(".bar .fill", "background") == "var(--bar)"
    assert declared(".bar.leading .fill", "background") == "var(--bar-lead)"
    text_fields = "input:not([type=radio]):not([type=checkbox]), textarea"
    assert declared(text_fields, "border") == "1px solid var(--field-line)"
    assert declared(".question-form select", "border") == "1px solid var(--field-line)"
    assert declared(".live-indicator", "color") == "var(--warn)"
    assert declared(".live-indicator[data-live=on]", "color") == "var(--ok)"


def test_every_focusable_element_gets_a_visible_focus_ring():
    (selector,) = [s for s, d in RULES if d.get("outline") == "3px solid var(--accent)"]
    focused = {part.strip() for part in selector.split(",")}
    assert {
        f"{tag}:focus-visible" for tag in ("a", "button", "input", "select", "textarea", "summary")
    } <= focused


# --- markup --------------------------------------------------------------------------------------------


def without_jinja(source: str) -> str:
    """A template as plain HTML: each {{ expression }} becomes a token standing for its (non-empty) value,
    the same token for the same expression; statements and comments go, so every branch stays."""
    source = re.sub(r"\{#.*?#\}", "", source, flags=re.S)
    source = re.sub(
        r"\{\{(.*?)\}\}",
        lambda m: "jinja-" + hashlib.sha1(m.group(1).strip().encode()).hexdigest()[:8],
        source,
        flags=re.S,
    )
    return re.sub(r"\{%.*?%\}", " ", source, flags=re.S)


class Controls(HTMLParser):
    """Form fields with how they are named, buttons with their text, labels' targets, images' names."""

    FIELDS = ("input", "select", "textarea")

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.fields: list[dict[str, str | None]] = []
        self.label_targets: set[str] = set()
        self.buttons: list[str] = []
        self.images: list[dict[str, str | None]] = []
        # Per open <label>: whether it has its control yet (a label names only its first field).
        self.open_labels: list[bool] = []
        self.button_text: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag == "label":
            self.open_labels.append(bool(attributes.get("for")))
            if attributes.get("for"):
                self.label_targets.add(attributes["for"] or "")
        elif tag in self.FIELDS and attributes.get("type") != "hidden":
            labelled = bool(self.open_labels) and not self.open_labels[-1]
            if self.open_labels:
                self.open_labels[-1] = True
            self.fields.append({**attributes, "tag": tag, "in-label": "yes" if labelled else None})
        elif tag == "button":
            self.button_text = [attributes.get("aria-label") or ""]
        if tag == "img" or attributes.get("role") == "img":
            self.images.append({**attributes, "tag": tag})

    def handle_endtag(self, tag: str) -> None:
        if tag == "label" and self.open_labels:
            self.open_labels.pop()
        elif tag == "button" and self.button_text is not None:
            self.buttons.append(" ".join(self.button_text).strip())
            self.button_text = None

    def handle_data(self, data: str) -> None:
        if self.button_text is not None:
            self.button_text.append(data.strip())


def controls(template: Path) -> Controls:
    parser = Controls()
    parser.feed(without_jinja(template.read_text()))
    parser.close()
    return parser


ALL_TEMPLATES = sorted(TEMPLATES.rglob("*.html"))  # the kinds' templates (kinds/<kind>/) too
# Pages: the top folder's templates but fragments (_name.html) and the base; kinds/ holds fragments only.
PAGES = [t for t in sorted(TEMPLATES.glob("*.html")) if not t.name.startswith("_") and t.name != "base.html"]


def test_the_templates_have_fields_and_buttons_to_check():
    assert sum(len(controls(t).fields) for t in ALL_TEMPLATES) >= 10
    assert sum(len(controls(t).buttons) for t in ALL_TEMPLATES) >= 8


@pytest.mark.parametrize("template", ALL_TEMPLATES, ids=lambda path: str(path.relative_to(TEMPLATES)))
def test_every_form_field_has_a_label_or_an_aria_label(template):
    parsed = controls(template)
    unnamed = [
        field
        for field in parsed.fields
        if not (
            field["in-label"]
            or field.get("id") in parsed.label_targets
            or field.get("aria-label")
            or field.get("aria-labelledby")
        )
    ]
    assert unnamed == []


@pytest.mark.parametrize("template", ALL_TEMPLATES, ids=lambda path: str(path.relative_to(TEMPLATES)))
def test_every_button_has_text(template):
    assert all(controls(template).buttons), controls(template).buttons


@pytest.mark.parametrize("template", ALL_TEMPLATES, ids=lambda path: str(path.relative_to(TEMPLATES)))
def test_every_image_has_a_text_alternative(template):
    images = controls(template).images
    assert [image for image in images if not (image.get("alt") or image.get("aria-label"))] == []


def test_the_base_page_declares_its_language():
    assert re.search(r'<html lang="\{\{ lang \}\}">', (TEMPLATES / "base.html").read_text())


@pytest.mark.parametrize("page", PAGES, ids=lambda path: path.name)
def test_every_page_is_built_on_the_base_page(page):
    assert page.read_text().startswith('{% extends "base.html" %}')


# --- rendered ------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def templates() -> Templates:
    return templates_with_routes(TEMPLATES, ROOT / "webclient" / "locales")


POLL = Poll("K7QH3M", "Lunch?", "single", 1, "open", (Option(1, "Pizza"), Option(2, "Tacos & more")))
RESULTS = Results(POLL.code, 3, 4, "open", (OptionResult(1, "Pizza", 3), OptionResult(2, "Tacos & more", 1)))
QUESTION = Question(POLL, 1, "always", True, datetime.now(UTC), 1)
VIEW = EventView(Event("ABCDEF", "Town hall", 2, POLL.code, (QUESTION,)), RESULTS)
URL = "http://polls.example/p/K7QH3M"


def qa_board(text: str) -> QaBoard:
    """A Q&A board with a question in each state: shown (pinned, answered, plain), waiting, held, hidden."""
    states = ("shown", "shown", "shown", "pending", "held", "hidden")
    at = datetime.now(UTC)
    questions = tuple(
        QaQuestion(i, f"{text} {i}", state, i, i == 2, i == 1, at) for i, state in enumerate(states, 1)
    )
    return QaBoard("ABCDEF", 3, True, "approve", questions)


QA = qa_board("Why?")
PAGE_CONTEXTS = {
    "home.html": {},
    "vote.html": {"poll": POLL, "chosen": (1,), "message": None},
    "present.html": {"poll": POLL, "results": RESULTS, "join_url": URL, "qr": "<svg></svg>"},
    "admin.html": {
        "poll": POLL,
        "results": RESULTS,
        "token": "t",
        "join_url": URL,
        "control_url": URL + "/admin",
    },
    "error.html": {"status_code": 404, "error": PollNotFound()},
    "event_participant.html": {
        "view": VIEW,
        "chosen": (),
        "qa": qa_context(QA, mine={1}, known=True),
        "nickname": "Ada",
    },
    "event_present.html": {"view": VIEW, "join_url": URL, "qr": "<svg></svg>", "qa": qa_context(QA)},
    "event_control.html": {
        "view": VIEW,
        "token": "t",
        "join_url": URL,
        "control_url": URL + "/admin",
        "participants": 5,
        "qa": qa_context(QA, presenter=True),
    },
}


def test_every_page_is_rendered_below():
    assert sorted(PAGE_CONTEXTS) == [page.name for page in PAGES]


@pytest.mark.parametrize("language", ["en", "de"])
@pytest.mark.parametrize("page", sorted(PAGE_CONTEXTS))
def test_every_page_says_its_language_and_has_unique_ids(templates, page, language):
    html = templates.render(page, language, **PAGE_CONTEXTS[page])
    assert f'<html lang="{language}">' in html
    ids = re.findall(r'\sid="([^"]+)"', html)
    assert len(ids) == len(set(ids)), sorted(i for i in ids if ids.count(i) > 1)


class ResultsMarkup(HTMLParser):
    """The visible bars (and whether they are hidden from screen readers) and the screen reader's table."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.bars_hidden: list[bool] = []
        self.bars: list[dict[str, str | None]] = []
        self.tables: list[str] = []
        self.caption = ""
        self.header: list[str] = []
        self.rows: list[list[str]] = []
        self.cell: list[str] | None = None
        self.in_caption = False
        self.in_table = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag == "ol" and "bars" in (attributes.get("class") or "").split():
            self.bars_hidden.append(attributes.get("aria-hidden") == "true")
        elif tag == "li" and "bar" in (attributes.get("class") or "").split():
            self.bars.append(attributes)
        elif tag == "table":
            self.tables.append(attributes.get("class") or "")
            self.in_table = True
        elif tag == "caption":
            self.in_caption = True
        elif tag == "tr" and self.in_table:
            self.rows.append([])
        elif tag in ("th", "td") and self.in_table:
            self.cell = []
            if tag == "th" and attributes.get("scope") == "col":
                self.header.append("")

    def handle_endtag(self, tag: str) -> None:
        if tag == "table":
            self.in_table = False
        elif tag == "caption":
            self.in_caption = False
        elif tag in ("th", "td") and self.cell is not None:
            self.rows[-1].append(" ".join(self.cell).strip())
            self.cell = None

    def handle_data(self, data: str) -> None:
        if self.in_caption:
            self.caption += data.strip()
        elif self.cell is not None:
            self.cell.append(data.strip())


def results_markup(html: str) -> ResultsMarkup:
    parser = ResultsMarkup()
    parser.feed(html)
    parser.close()
    return parser


@pytest.mark.parametrize(
    ("fragment", "context"),
    [("_results.html", {"results": RESULTS}), ("_event_results.html", {"view": VIEW})],
)
def test_results_are_bars_for_the_eye_and_a_table_for_screen_readers(templates, fragment, context):
    html = templates.render(fragment, "en", **context)
    markup = results_markup(html)
    assert markup.bars_hidden == [True]
    assert [(bar["data-option"], bar["data-votes"]) for bar in markup.bars] == [("1", "3"), ("2", "1")]
    assert markup.tables == ["sr-only"]
    assert markup.caption == "Results"
    assert markup.rows == [["Option", "Votes", "Share"], ["Pizza", "3", "75%"], ["Tacos & more", "1", "25%"]]
    assert len(markup.header) == 3 and html.count('<th scope="row">') == 2


def test_the_results_table_is_translated(templates):
    markup = results_markup(templates.results_fragment(RESULTS, "de"))
    assert markup.caption == "Ergebnisse" and markup.rows[0] == ["Option", "Stimmen", "Anteil"]


def test_the_screen_reader_only_class_hides_visually_but_not_from_screen_readers():
    sr_only = {
        prop: value for s, declarations in RULES if s == ".sr-only" for prop, value in declarations.items()
    }
    assert sr_only["position"] == "absolute" and sr_only["overflow"] == "hidden"
    assert "display" not in sr_only and "visibility" not in sr_only


# --- right-to-left text -------------------------------------------------------------------------------------

RTL = "שלום עולם"  # a question, an option and a title in Hebrew, among left-to-right pages
RTL_POLL = Poll("K7QH3M", RTL + "?", "single", 1, "open", (Option(1, RTL + " א"), Option(2, "Tacos")))
RTL_RESULTS = Results(
    RTL_POLL.code, 3, 4, "open", (OptionResult(1, RTL + " א", 3), OptionResult(2, "Tacos", 1))
)
RTL_VIEW = EventView(
    Event("ABCDEF", RTL, 2, RTL_POLL.code, (Question(RTL_POLL, 1, "always", True, None, 1),)), RTL_RESULTS
)
RTL_CONTEXTS = {
    "vote.html": {"poll": RTL_POLL, "chosen": (1,), "message": None},
    "present.html": {"poll": RTL_POLL, "results": RTL_RESULTS, "join_url": URL, "qr": "<svg></svg>"},
    "admin.html": {
        "poll": RTL_POLL,
        "results": RTL_RESULTS,
        "token": "t",
        "join_url": URL,
        "control_url": URL + "/admin",
    },
    "event_participant.html": {
        "view": RTL_VIEW,
        "chosen": (),
        "qa": qa_context(qa_board(RTL), known=True),
        "nickname": RTL,
    },
    "event_present.html": {
        "view": RTL_VIEW,
        "join_url": URL,
        "qr": "<svg></svg>",
        "qa": qa_context(qa_board(RTL)),
    },
    "event_control.html": {
        "view": RTL_VIEW,
        "token": "t",
        "join_url": URL,
        "control_url": URL + "/admin",
        "participants": 5,
        "qa": qa_context(qa_board(RTL), presenter=True),
    },
}


class UserText(HTMLParser):
    """Each element whose own text holds the right-to-left sample, with its dir attribute (or its
    nearest ancestor's); the page's <title> aside, which the browser shows in its own chrome."""

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[tuple[str, str | None]] = []
        self.found: list[tuple[str, str | None]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("input", "meta", "link", "br", "wbr", "img"):
            values = dict(attrs)
            if RTL in (values.get("value") or ""):
                self.found.append((tag, values.get("dir")))
            return
        inherited = self.stack[-1][1] if self.stack else None
        self.stack.append((tag, dict(attrs).get("dir") or inherited))

    def handle_endtag(self, tag: str) -> None:
        while self.stack and self.stack.pop()[0] != tag:
            pass

    def handle_data(self, data: str) -> None:
        if RTL in data and self.stack and self.stack[-1][0] != "title":
            self.found.append(self.stack[-1])


@pytest.mark.parametrize("page", sorted(RTL_CONTEXTS))
def test_every_user_text_takes_its_own_direction(templates, page):
    parser = UserText()
    parser.feed(templates.render(page, "en", **RTL_CONTEXTS[page]))
    assert parser.found, "the sample text is not on the page"
    assert [element for element in parser.found if element[1] != "auto"] == []
