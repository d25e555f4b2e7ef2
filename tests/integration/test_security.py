"""A hardened front: what a browser may run and embed, where an admin token travels, who may open a socket."""

from __future__ import annotations

import re

import httpx
import pytest
import websockets

from tests.integration.test_pages import make_poll

HX = {"HX-Request": "true"}


@pytest.fixture
def event(client) -> dict:
    _, response = client.post(
        "/api/events", json={"title": "Secure", "questions": [{"question": "Q?", "options": ["a", "b"]}]}
    )
    assert response.status == 201
    return response.json


def pages(client, poll: dict, event: dict) -> dict[str, object]:
    """Every page a visitor can load, by name."""
    urls = {
        "home": "/",
        "vote": f"/p/{poll['code']}",
        "present": f"/p/{poll['code']}/present",
        "participant": f"/e/{event['code']}",
        "projection": f"/e/{event['code']}/present",
    }
    answers = {name: client.get(url)[1] for name, url in urls.items()}
    answers["admin"] = client.get(
        f"/p/{poll['code']}/admin", cookies={f"polls_admin_{poll['code']}": poll["admin_token"]}
    )[1]
    answers["control"] = client.get(
        f"/e/{event['code']}/control", cookies={f"polls_admin_{event['code']}": event["admin_token"]}
    )[1]
    return answers


def test_every_page_runs_only_the_sites_own_scripts_and_styles(client, event):
    for name, response in pages(client, make_poll(client), event).items():
        assert response.status == 200, name
        policy = response.headers["Content-Security-Policy"]
        assert "script-src 'self'" in policy and "style-src 'self'" in policy, name
        assert "unsafe-inline" not in policy and "unsafe-eval" not in policy, name
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        # Nothing on the page needs 'unsafe-inline': no inline script, no style attribute.
        assert not re.search(r"<script(?![^>]*\bsrc=)", response.text), name
        assert not re.search(r"\sstyle=", response.text), name


def test_only_the_projector_views_may_be_embedded(client, event):
    answers = pages(client, make_poll(client), event)
    for name, response in answers.items():
        policy = response.headers["Content-Security-Policy"]
        if name in ("present", "projection"):
            assert "frame-ancestors *" in policy and "X-Frame-Options" not in response.headers
        else:
            assert "frame-ancestors 'none'" in policy and response.headers["X-Frame-Options"] == "DENY", name


@pytest.mark.parametrize("kind", ["poll", "event"])
def test_the_secret_link_is_exchanged_for_a_cookie_and_a_clean_address(replicas, kind):
    one, _ = replicas
    made = made_on(one.url, kind)
    page = f"{one.url}/p/{made['code']}/admin" if kind == "poll" else f"{one.url}/e/{made['code']}/control"
    with httpx.Client() as browser:
        assert browser.get(page).status_code == 403
        wrong = browser.get(f"{page}?token=wrong")
        assert wrong.status_code == 403 and "set-cookie" not in wrong.headers
        exchanged = browser.get(f"{page}?token={made['admin_token']}")
        assert exchanged.status_code == 303 and one.url + exchanged.headers["location"] == page
        cookie = exchanged.headers["set-cookie"]
        assert cookie.startswith(f"polls_admin_{made['code']}={made['admin_token']};")
        assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie
        clean = browser.get(page)
        assert clean.status_code == 200 and f"token={made['admin_token']}" not in clean.text


def test_cookies_are_secure_when_the_browser_came_over_https(replicas):
    one, _ = replicas
    event = made_on(one.url, "event")
    https = {"X-Forwarded-Proto": "https"}
    exchanged = httpx.get(f"{one.url}/e/{event['code']}/control?token={event['admin_token']}", headers=https)
    assert "Secure" in exchanged.headers["set-cookie"]
    page = httpx.get(f"{one.url}/e/{event['code']}", headers=https)
    assert page.headers["set-cookie"].startswith("polls_voter=") and "Secure" in page.headers["set-cookie"]


def test_a_control_form_without_its_token_changes_nothing(client, event):
    question = event["questions"][0]["code"]
    cookies = {f"polls_admin_{event['code']}": event["admin_token"]}
    # A forged form from another site rides the cookie, but it cannot know the token the page's forms carry.
    _, forged = client.post(
        f"/e/{event['code']}/control/go-live", data={"question": question}, headers=HX, cookies=cookies
    )
    assert forged.status == 403


async def test_a_socket_from_another_sites_page_is_refused(replicas):
    one, _ = replicas
    code = made_on(one.url, "poll")["code"]
    with pytest.raises(websockets.InvalidStatus) as refused:
        async with websockets.connect(
            f"{one.ws_url}/api/polls/{code}/live", origin="http://elsewhere.example"
        ):
            pass
    assert refused.value.response.status_code == 403
    async with websockets.connect(f"{one.ws_url}/api/polls/{code}/live", origin=one.url) as ws:
        assert ws.response.status_code == 101


def made_on(base: str, kind: str) -> dict:
    if kind == "poll":
        return httpx.post(f"{base}/api/polls", json={"question": "Q?", "options": ["a", "b"]}).json()
    questions = [{"question": "Q?", "options": ["a", "b"]}]
    return httpx.post(f"{base}/api/events", json={"title": "Secure", "questions": questions}).json()
