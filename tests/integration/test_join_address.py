"""The join address a projector shows is one phones can reach: the configured public URL, else the address
the projector was opened with as the proxies in front tell it; a loopback address gets a visible warning."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sanic_testing.reusable import ReusableClient

from polls.app import create_app
from polls.config import Config
from tests.processes import free_port


def join_url_of(html: str) -> str:
    start = html.index('class="join-url">') + len('class="join-url">')
    return html[start : html.index("</p>", start)].replace("<wbr>", "")


def make_poll(client) -> str:
    _, response = client.post("/api/polls", json={"question": "Where?", "options": ["here", "there"]})
    return response.json["code"]


def test_a_projector_opened_at_a_loopback_address_warns_that_phones_cannot_reach_it(client):
    code = make_poll(client)
    _, local = client.get(f"/p/{code}/present")
    assert "loopback-warning" in local.text and "Phones cannot reach this address" in local.text
    _, german = client.get(f"/p/{code}/present", headers={"Accept-Language": "de"})
    assert "Telefone erreichen diese Adresse nicht" in german.text
    _, venue = client.get(f"/p/{code}/present", headers={"Host": "polls.venue.example"})
    assert "loopback-warning" not in venue.text
    assert join_url_of(venue.text) == f"polls.venue.example/p/{code}"


def test_behind_another_proxy_the_join_address_is_the_one_it_forwards(client):
    code = make_poll(client)
    forwarded = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "vote.example.org"}
    _, created = client.post("/api/polls", json={"question": "Q?", "options": ["a", "b"]}, headers=forwarded)
    assert created.json["urls"]["vote"].startswith("https://vote.example.org/p/")
    _, page = client.get(f"/p/{code}/present", headers=forwarded)
    assert join_url_of(page.text) == f"vote.example.org/p/{code}" and "loopback-warning" not in page.text


@pytest.fixture(scope="module")
def public_client(database_url, amqp_url, exchange_name) -> Iterator[ReusableClient]:
    config = Config(
        instance="public",
        database_url=database_url,
        amqp_url=amqp_url,
        exchange=exchange_name,
        public_url="https://polls.example.org/",
    )
    with ReusableClient(create_app(config), port=free_port()) as client:
        yield client


def test_a_configured_public_url_is_the_join_address_whatever_the_projector_was_opened_with(public_client):
    code = make_poll(public_client)
    _, page = public_client.get(f"/p/{code}/present")
    assert join_url_of(page.text) == f"polls.example.org/p/{code}" and "loopback-warning" not in page.text
    _, poll = public_client.get(f"/api/polls/{code}")
    assert poll.json["urls"]["vote"] == f"https://polls.example.org/p/{code}"


@pytest.mark.parametrize(
    "bad", ["polls.example.org", "ftp://polls.example.org", "https://polls.example.org/path"]
)
def test_a_public_url_that_is_no_site_address_stops_the_start(bad):
    with pytest.raises(ValueError, match="POLLS_PUBLIC_URL"):
        Config.from_env({"POLLS_PUBLIC_URL": bad})
