"""Templates: full pages and the fragments they include, rendered once and shared with the websockets."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import segno
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from sanic import Request
from sanic.response import HTTPResponse, html

from polls.domain import Results

RESULTS_FRAGMENT = "_results.html"


class Templates:
    def __init__(self, directory: Path, static_version: str = "") -> None:
        self.env = Environment(
            loader=FileSystemLoader(directory),
            autoescape=select_autoescape(["html"]),
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self.env.globals["static_version"] = static_version

    def render(self, name: str, **context: Any) -> str:
        return self.env.get_template(name).render(**context)

    def results_fragment(self, results: Results) -> str:
        """The live results region: the same markup on the full page and on every websocket push."""
        return self.render(RESULTS_FRAGMENT, results=results)

    def respond(
        self, request: Request, page: str, fragment: str | None = None, status: int = 200, **context: Any
    ) -> HTTPResponse:
        """The full page, or only its fragment for an htmx request (which then says so in HX-Request)."""
        is_htmx = request.headers.get("HX-Request") == "true"
        name = fragment if fragment and is_htmx else page
        response = html(self.render(name, **context), status=status)
        response.headers["Vary"] = "HX-Request"
        return response


def live_json(results: Results) -> str:
    """The JSON clients' live message: the results object plus its type."""
    return json.dumps({"type": "results", **results.as_dict()})


def base_url(request: Request) -> str:
    forwarded = request.headers.get("X-Forwarded-Proto")
    scheme = forwarded if forwarded in ("http", "https") else request.scheme
    return f"{scheme}://{request.host}"


def qr_svg(url: str) -> str:
    """An SVG QR code of the join URL, made on the server (no external service)."""
    return segno.make(url, error="m").svg_inline(omitsize=True, border=2, dark="#111", light="#fff")
