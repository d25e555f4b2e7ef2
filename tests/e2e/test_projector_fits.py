"""The projector fits any content (headless Chromium): a 300-character question and all 20 options, with the
join panel, inside the screen at 1920x1080, 1280x720 and 1024x768, for a single poll and for an event's
projection, with no scrolling; a long event title takes one line. Screenshots of the largest case go to
tests/artifacts/screenshots."""

from __future__ import annotations

import random

import pytest
from playwright.async_api import Page, expect

from tests.api_client import admin, create_event, create_poll, vote
from tests.e2e import test_browser
from tests.e2e.accessibility import assert_accessible
from tests.e2e.test_browser import PHONE, new_page

pytestmark = pytest.mark.e2e

browser = test_browser.browser  # the same headless Chromium fixture as the poll pages' tests

SCREENS = [(1920, 1080), (1280, 720), (1024, 768)]
LONG_QUESTION = (
    "How should the team spend the offsite budget next quarter, given that we have three new people, two "
    "projects that finished late, a client who asked for more workshops, and an office move in spring that "
    "will take most of our attention for weeks, with only one planning day left before the holidays begin?"
)[:300]
OPTIONS = [f"Option {i}: a label of a realistic length for a choice" for i in range(1, 21)]


async def outside_the_screen(page: Page) -> list[str]:
    """Every visible part of the projection that is not wholly inside the viewport."""
    return await page.evaluate(
        """() => [...document.querySelectorAll(
                     '.question, .bar, .tally, .join-code, .join-url, .qr svg, .event-name')]
            .filter(el => el.getClientRects().length)
            .filter(el => { const r = el.getBoundingClientRect();
                            return r.top < 0 || r.left < 0
                                || r.bottom > innerHeight + 0.5 || r.right > innerWidth + 0.5; })
            .map(el => el.className.baseVal ?? el.className)"""
    )


async def assert_fits(page: Page, url: str, bars: int, shots, name: str) -> None:
    for width, height in SCREENS:
        await page.set_viewport_size({"width": width, "height": height})
        await page.goto(url)
        await page.locator(".bar").first.wait_for()
        assert await page.locator(".bar").count() == bars
        scroll = await page.evaluate(
            "[document.documentElement.scrollWidth, document.documentElement.scrollHeight]"
        )
        assert scroll == [width, height], (width, height, scroll)
        assert await outside_the_screen(page) == [], (width, height)
        await assert_accessible(page, f"{name} at {width}x{height}")
        await page.screenshot(path=shots / f"{name}-{width}x{height}.png")


async def test_a_poll_with_a_long_question_and_twenty_options_fits_every_projector(stack, browser, artifacts):
    poll = await create_poll(stack.url, LONG_QUESTION, OPTIONS, kind="multiple", max_choices=3)
    rng = random.Random(20)
    for i in range(30):
        await vote(stack.url, poll["code"], f"fit-{i}", rng.sample(range(1, 21), 2))
    page = await new_page(browser, {"width": 1920, "height": 1080})
    shots = artifacts / "screenshots"
    shots.mkdir(parents=True, exist_ok=True)
    await assert_fits(page, f"{stack.url}/p/{poll['code']}/present", 20, shots, "present-20-options")


async def test_an_events_projection_with_twenty_options_and_a_long_title_fits_every_projector(
    stack, browser, artifacts
):
    title = "Spring retreat planning with the whole department, the partner office and our guests from abroad"
    event = await create_event(stack.url, title, [{"question": LONG_QUESTION, "options": OPTIONS}])
    question = event["questions"][0]["code"]
    await admin(stack.url, event, "PUT", "/live", {"question": question})
    await admin(stack.url, event, "POST", f"/questions/{question}/reveal")
    for i in range(20):
        await vote(stack.url, question, f"event-fit-{i}", [i % 20 + 1])
    page = await new_page(browser, {"width": 1920, "height": 1080})
    shots = artifacts / "screenshots"
    shots.mkdir(parents=True, exist_ok=True)
    await assert_fits(page, f"{stack.url}/e/{event['code']}/present", 20, shots, "event-present-20-options")
    name = page.locator(".event-name")
    assert await name.get_attribute("title") == title
    assert await name.evaluate("el => el.scrollWidth > el.clientWidth")  # cut to one line, not wrapped


async def test_the_countdown_and_the_join_address_read_from_the_back_of_the_room(stack, browser):
    event = await create_event(stack.url, "Timed", [{"question": "Quick one?", "options": ["Yes", "No"]}])
    question = event["questions"][0]["code"]
    await admin(stack.url, event, "PUT", "/live", {"question": question})
    await admin(stack.url, event, "POST", f"/questions/{question}/countdown", {"seconds": 600})
    page = await new_page(browser, {"width": 1024, "height": 768})
    await page.goto(f"{stack.url}/e/{event['code']}/present")
    countdown = page.locator(".countdown")
    await countdown.wait_for()
    sizes = await page.evaluate(
        """() => ['.countdown', '.join-url', '.join-code'].map(
               s => parseFloat(getComputedStyle(document.querySelector(s)).fontSize))"""
    )
    assert sizes[0] >= 40 and sizes[1] >= 24 and sizes[2] >= 35, sizes  # px, on the smallest projector
    assert await outside_the_screen(page) == []
    await assert_accessible(page, "an event's projection, a countdown running")


async def test_the_lobby_shows_how_many_phones_have_joined(stack, browser):
    event = await create_event(stack.url, "Lobby", [{"question": "Ready?", "options": ["Yes", "No"]}])
    projector = await new_page(browser, {"width": 1280, "height": 720})
    await projector.goto(f"{stack.url}/e/{event['code']}/present")
    await expect(projector.locator("#joined")).to_contain_text("0 phones joined")
    phones = [await new_page(browser, PHONE) for _ in range(2)]
    for phone in phones:
        await phone.goto(f"{stack.url}/e/{event['code']}")
        await expect(phone.locator(".live-indicator")).to_have_attribute("data-live", "on")
    await expect(projector.locator("#joined")).to_contain_text("2 phones joined", timeout=20_000)
    assert await outside_the_screen(projector) == []
    await assert_accessible(projector, "an event's projection, the lobby with phones joined")
