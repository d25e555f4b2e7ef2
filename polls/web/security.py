"""The headers and checks that every answer of a replica gets: what a browser may run, embed and send.

- Content-Security-Policy without 'unsafe-inline' or 'unsafe-eval': the pages load their scripts and
  styles from /static only and use no inline script, style attribute or htmx expression (hx-on, js:).
  hx-csp's nonce gating is not used: a nonce is per page, while a live region's fragment is rendered once
  and pushed to thousands of sockets; what stops injected markup is that every text is escaped.
- frame-ancestors 'none', except on the projector views, which a presenter may embed in slides (any site
  may frame them: they show only what the room's screen shows).
- A websocket handshake from a page of another site (Origin) is refused: a page elsewhere cannot ride a
  visitor's cookies to watch their event.
"""

from __future__ import annotations

import re
from urllib.parse import quote, urlsplit

from sanic import Request
from sanic.response import HTTPResponse, json

from polls.web import App

POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors {ancestors}"
)
EMBEDDABLE = re.compile(r"^/(p|e)/[^/]+/present$")
# Made once: every answer, a vote's included, carries one of the two.
POLICY_EMBEDDABLE = POLICY.format(ancestors="*")
POLICY_OWN_FRAMES = POLICY.format(ancestors="'none'")


def is_https(request: Request) -> bool:
    """Whether the browser reached us over HTTPS (HAProxy, or a proxy in front of it, says so)."""
    return request.headers.get("X-Forwarded-Proto", request.scheme) == "https"


def same_origin(request: Request) -> bool:
    """A request without an Origin (not from a browser page) or from a page of this site."""
    origin = request.headers.get("Origin")
    if origin is None:
        return True
    return bool(urlsplit(origin).netloc.lower() == str(request.host).lower())


ADMIN_COOKIE_AGE = 30 * 24 * 3600


def admin_cookie(code: str) -> str:
    return f"polls_admin_{quote(code.upper(), safe='')}"


def admin_token(request: Request, code: str) -> str | None:
    """The admin token a presenter's browser holds for this poll or event (see remember_admin)."""
    return request.cookies.get(admin_cookie(code))


def remember_admin(request: Request, response: HTTPResponse, code: str, token: str) -> HTTPResponse:
    """Exchange the secret link for a cookie: the browser keeps the token (HttpOnly, so no script reads
    it; SameSite=Lax, so no other site's request carries it but a plain link); the address bar, the
    history and the logs then see a clean URL. The pages' own forms send the token in their body, never
    relying on the cookie, so a forged form from elsewhere has no token to send."""
    response.add_cookie(
        admin_cookie(code),
        token,
        max_age=ADMIN_COOKIE_AGE,
        httponly=True,
        samesite="Lax",
        secure=is_https(request),
    )
    # ...and remembers the code, for the home page's list of this browser's polls and events.
    remembered = [code.upper(), *(known for known in presenters_codes(request) if known != code.upper())]
    response.add_cookie(
        MINE_COOKIE,
        ".".join(remembered[:MINE_MAX]),
        max_age=ADMIN_COOKIE_AGE,
        httponly=True,
        samesite="Lax",
        secure=is_https(request),
    )
    return response


MINE_COOKIE = "polls_mine"
MINE_MAX = 20
_CODE_IN_COOKIE = re.compile(r"[A-Z2-9]{6}")


def presenters_codes(request: Request) -> list[str]:
    """The polls and events this browser was given control of, newest first (their secret links were
    opened here); what the cookie holds that is no code is left out."""
    raw = request.cookies.get(MINE_COOKIE) or ""
    return [code for code in raw.split(".") if _CODE_IN_COOKIE.fullmatch(code)][:MINE_MAX]


def setup_security(app: App) -> None:
    @app.on_request
    async def refuse_foreign_websockets(request: Request) -> HTTPResponse | None:
        if request.headers.get("Upgrade", "").lower() == "websocket" and not same_origin(request):
            return json({"error": "A live connection may be opened by this site's pages only."}, status=403)
        return None

    @app.on_response
    async def add_security_headers(request: Request, response: HTTPResponse) -> None:
        embeddable = EMBEDDABLE.match(request.path) is not None
        headers = response.headers
        headers["Content-Security-Policy"] = POLICY_EMBEDDABLE if embeddable else POLICY_OWN_FRAMES
        headers["X-Content-Type-Options"] = "nosniff"
        headers.setdefault("Referrer-Policy", "same-origin")
        if not embeddable:
            headers["X-Frame-Options"] = "DENY"
