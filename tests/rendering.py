"""Pages and fragments rendered without a server, as the app renders them."""

from __future__ import annotations

from pathlib import Path

from polls.app import create_app
from polls.config import Config
from polls.web.i18n import load_translations
from polls.web.render import Templates


def templates_with_routes(directory: Path, locales: Path) -> Templates:
    """The templates as the app renders them, url() included (the app's routes), for tests that render
    pages and fragments without a server."""
    templates = Templates(directory, load_translations(locales))
    templates.use_routes(create_app(Config(instance="templates")).url_for)
    return templates
