"""Templates: full pages and the fragments they include, rendered once and shared with the websockets."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from functools import lru_cache, partial
from gettext import NullTranslations
from ipaddress import ip_address
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import segno
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from sanic import Request
from sanic.response import HTTPResponse, html

from polls.domain import Results
from polls.errors import PollsError
from polls.event import QUESTIONS_MAX, EventView
from polls.kinds import KINDS, SETTINGS_TEMPLATES
from polls.kinds._cloud import Cloud, layout
from polls.web.forms import Draft
from polls.web.i18n import DEFAULT, negotiate

RESULTS_FRAGMENT = "_results.html"
# The live regions of an event, one fragment each, pushed over the event's sockets in every language; the
# participant's region in two variants: for a phone whose voter has a ballot in the live question, and not.
EVENT_FRAGMENTS = {
    "present": ("_event_present.html", False),
    "participant": ("_event_participant.html", False),
    "participant-voted": ("_event_participant.html", True),
    "control": ("_event_control.html", False),
}


def length_class(text: str) -> str:
    """How long a text is for a projector's type size: short (up to 80 characters), medium (160) or long."""
    return "short" if len(text) <= 80 else "medium" if len(text) <= 160 else "long"


def bar_rows(options: int) -> int:
    """The rows a projector lays a tally's bars out in: one column up to eight options, two above."""
    return options if options <= 8 else (options + 1) // 2


@lru_cache(maxsize=256)
def _cloud(entries: tuple[tuple[str, int], ...]) -> Cloud:
    return layout(entries)


def cloud_of(entries: Sequence[Mapping[str, Any]]) -> Cloud:
    """A word cloud's layout of its top entries, laid out once per distinct tally (every language and
    screen of one version shares it)."""
    return _cloud(tuple((str(entry["entry"]), int(entry["votes"])) for entry in entries))


def _say(translations: NullTranslations, error: PollsError) -> str:
    return error.text(translations)


class Templates:
    """One Jinja environment per shipped language; a page or fragment renders in the request's language."""

    def __init__(
        self, directory: Path, translations: Mapping[str, NullTranslations], static_version: str = ""
    ) -> None:
        self.envs: dict[str, Environment] = {}
        for language, translation in translations.items():
            env = Environment(
                loader=FileSystemLoader(directory),
                autoescape=select_autoescape(["html"]),
                undefined=StrictUndefined,
                trim_blocks=True,
                lstrip_blocks=True,
                extensions=["jinja2.ext.i18n"],
            )
            env.install_gettext_translations(translation, newstyle=True)  # type: ignore[attr-defined]
            env.globals.update(
                static_version=static_version,
                lang=language,
                now=lambda: datetime.now(UTC),
                kinds=KINDS,
                kind_settings=SETTINGS_TEMPLATES,
                length_class=length_class,
                is_loopback=is_loopback,
                bar_rows=bar_rows,
                say=partial(_say, translation),  # an error's message in the page's language
                draft=Draft.of,  # a question's fields as a form shows them
                questions_max=QUESTIONS_MAX,
                presenter=False,  # the presenter's own views (control, admin) render with it true
                cloud_layout=cloud_of,
            )
            self.envs[language] = env

    def use_routes(self, url_for: Callable[..., str]) -> None:
        """Give the templates url(route, **params): every link and form target is built from the route's
        name (app.url_for), so a renamed route breaks at one place, in every page and pushed fragment."""
        for env in self.envs.values():
            env.globals["url"] = url_for

    @staticmethod
    def language(request: Request) -> str:
        return negotiate(request.headers.get("Accept-Language"), request.args.get("lang"))

    def render(self, name: str, language: str = DEFAULT, **context: Any) -> str:
        return self.envs[language].get_template(name).render(**context)

    def results_fragment(self, results: Results, language: str = DEFAULT, presenter: bool = False) -> str:
        """The live results region: the same markup on the full page and on every websocket push; the
        presenter's (the admin page's) with its moderation, the audience's without what is not theirs."""
        if not presenter:
            results = results.for_audience()
        return self.render(RESULTS_FRAGMENT, language, results=results, presenter=presenter)

    def results_renderers(self) -> dict[str, Callable[[Results], str]]:
        """The hub's HTML formats of a poll's results, one per language: "html:en", "html:de"; and the
        admin page's, "admin:en"..."""
        renderers: dict[str, Callable[[Results], str]] = {
            f"html:{lang}": partial(self.results_fragment, language=lang) for lang in self.envs
        }
        for lang in self.envs:
            renderers[f"admin:{lang}"] = partial(self.results_fragment, language=lang, presenter=True)
        return renderers

    def event_renderers(self) -> dict[str, Callable[[EventView], str]]:
        """The hub's HTML formats of an event: each live region in each language ("present:de", ...)."""
        renderers: dict[str, Callable[[EventView], str]] = {}
        for region, (template, voted) in EVENT_FRAGMENTS.items():
            for lang in self.envs:
                renderers[f"{region}:{lang}"] = partial(self._render_view, template, voted, lang)
        return renderers

    def _render_view(self, template: str, voted: bool, language: str, view: EventView) -> str:
        if template != EVENT_FRAGMENTS["control"][0] and view.results is not None:
            view = view.with_results(view.results.for_audience())  # the presenter's moderation is theirs
        return self.render(template, language, view=view, voted=voted)

    def respond(
        self, request: Request, page: str, fragment: str | None = None, status: int = 200, **context: Any
    ) -> HTTPResponse:
        """The full page, or only its fragment for an htmx request (which then says so in HX-Request)."""
        is_htmx = request.headers.get("HX-Request") == "true"
        name = fragment if fragment and is_htmx else page
        language = self.language(request)
        response = html(self.render(name, language, **context), status=status)
        response.headers["Vary"] = "HX-Request, Accept-Language"
        response.headers["Content-Language"] = language
        return response


def live_json(results: Results) -> str:
    """The JSON clients' live message: the results object plus its type."""
    return json.dumps({"type": "results", **results.as_dict()})


def base_url(request: Request) -> str:
    """Where people reach this site: the configured public URL (POLLS_PUBLIC_URL), else the address the
    request came to, as the proxies in front tell it (X-Forwarded-Proto and -Host) or as its Host says."""
    public = str(request.app.config.get("PUBLIC_URL") or "")
    if public:
        return public.rstrip("/")
    forwarded = request.headers.get("X-Forwarded-Proto")
    scheme = forwarded if forwarded in ("http", "https") else request.scheme
    host = request.headers.get("X-Forwarded-Host", "").split(",")[0].strip() or request.host
    return f"{scheme}://{host}"


def is_loopback(url: str) -> bool:
    """Whether a join URL names this machine only (localhost, 127.x, ::1): no phone can reach it."""
    host = (urlsplit(url).hostname or "").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ip_address(host).is_loopback
    except ValueError:
        return False


def url(request: Request, route: str, **params: Any) -> str:
    """A route's path by its name (`pages.admin`), its parameters filled in and the rest as its query."""
    return str(request.app.url_for(route, **params))


def absolute_url(request: Request, route: str, **params: Any) -> str:
    """The same as a full URL, in the scheme the client used (HAProxy's X-Forwarded-Proto)."""
    return base_url(request) + url(request, route, **params)


def qr_svg(url: str) -> str:
    """An SVG QR code of the join URL, made on the server (no external service)."""
    return segno.make(url, error="m").svg_inline(omitsize=True, border=2, dark="#111", light="#fff")
