"""In real headless Chromium: the projector's bars move when a phone votes, without a reload, and the
projector reconnects by itself when the replica behind its websocket is killed. Screenshots of every page
are written to tests/artifacts/screenshots for a person to look at."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator

import httpx
import pytest
from playwright.async_api import Browser, Page, async_playwright, expect

from tests.e2e.accessibility import assert_accessible
from tests.e2e.events import refused_by_policy

pytestmark = pytest.mark.e2e

CHROMIUM = "/usr/bin/chromium"
# The machine has no network beyond package registries: no background services, no first-run fetches.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PHONE = {"width": 390, "height": 844}
PROJECTOR = {"width": 1920, "height": 1080}


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
        )
        yield browser
        await browser.close()


async def new_page(browser: Browser, viewport: dict) -> Page:
    context = await browser.new_context(viewport=viewport)
    page = await context.new_page()
    page.on("pageerror", lambda error: pytest.fail(f"page error: {error}"))
    page.on("console", lambda message: refused_by_policy(message) and pytest.fail(f"refused: {message.text}"))
    return page


async def api(method: str, url: str, **kwargs) -> dict:
    async with httpx.AsyncClient() as http:
        response = await http.request(method, url, **kwargs)
        response.raise_for_status()
        return response.json()


def bar(page: Page, option: int):
    return page.locator(f'#results .bar[data-option="{option}"]')


async def vote_from_phone(phone: Page, url: str, label: str) -> None:
    await phone.goto(url)
    await phone.get_by_text(label, exact=True).click()
    await (
        phone.get_by_role("button", name="Vote").or_(phone.get_by_role("button", name="Change vote")).click()
    )
    await expect(phone.locator(".notice.received")).to_contain_text("Vote received")


async def test_a_phone_vote_moves_the_projector_bars_live_and_survives_a_killed_replica(
    stack, browser, artifacts
):
    shots = artifacts / "screenshots"
    shots.mkdir(exist_ok=True)
    created = await api(
        "POST",
        f"{stack.url}/api/polls",
        json={"question": "Where should the team offsite be?", "options": ["Lisbon", "Berlin", "Kraków"]},
    )
    code = created["code"]

    projector = await new_page(browser, PROJECTOR)
    await projector.goto(f"{stack.url}/p/{code}/present")
    await expect(projector.locator(".live-indicator")).to_have_attribute("data-live", "on")
    await projector.evaluate("window.__notReloaded = true")
    await expect(bar(projector, 1)).to_have_attribute("data-votes", "0")

    phone = await new_page(browser, PHONE)
    await vote_from_phone(phone, f"{stack.url}/p/{code}", "Lisbon")
    await expect(bar(projector, 1)).to_have_attribute("data-votes", "1")
    await expect(bar(projector, 1)).to_contain_text("100%")
    await assert_accessible(phone, "a poll's phone page, voted")
    await assert_accessible(projector, "a poll's projection, live with a vote")

    # Change of mind: the same phone's second vote replaces its first.
    await vote_from_phone(phone, f"{stack.url}/p/{code}", "Kraków")
    await expect(bar(projector, 3)).to_have_attribute("data-votes", "1")
    await expect(bar(projector, 1)).to_have_attribute("data-votes", "0")
    await phone.screenshot(path=shots / "vote-phone.png", full_page=True)

    # Kill each replica in turn: whichever one held the projector's socket, it must come back by itself.
    for i, (name, label) in enumerate((("web-1", "Berlin"), ("web-2", "Lisbon"))):
        await asyncio.to_thread(stack.run, "kill", name)
        await asyncio.to_thread(stack.wait_haproxy, name, "DOWN")
        other = await new_page(browser, PHONE)
        await vote_from_phone(other, f"{stack.url}/p/{code}", label)
        await expect(projector.locator(".tally .voters")).to_have_text(str(2 + i), timeout=15_000)
        await expect(projector.locator(".live-indicator")).to_have_attribute("data-live", "on")
        await asyncio.to_thread(stack.run, "start", name)
        await asyncio.to_thread(stack.wait_haproxy, name, "UP")
    assert await projector.evaluate("window.__notReloaded === true")
    truth = await api("GET", f"{stack.url}/api/polls/{code}/results")
    for option in truth["options"]:
        await expect(bar(projector, option["id"])).to_have_attribute("data-votes", str(option["votes"]))
    await projector.screenshot(path=shots / "present-projector.png")

    small_projector = await new_page(browser, PHONE)
    await small_projector.goto(f"{stack.url}/p/{code}/present")
    await small_projector.screenshot(path=shots / "present-phone.png", full_page=True)
    admin = await new_page(browser, {"width": 1280, "height": 900})
    await admin.goto(created["urls"]["admin"].replace("http://localhost", "http://127.0.0.1"))
    await assert_accessible(admin, "a poll's admin page, with votes")
    await admin.screenshot(path=shots / "admin.png", full_page=True)


async def test_a_poll_created_from_the_home_page_opens_its_admin_page(stack, browser, artifacts):
    page = await new_page(browser, PHONE)
    await page.goto(stack.url)
    await assert_accessible(page, "the home page")
    await page.screenshot(path=artifacts / "screenshots" / "home-phone.png", full_page=True)
    await page.locator(".create-form").get_by_label("Question", exact=True).fill("Coffee or tea?")
    await page.locator("#options").fill("Coffee\nTea\nNeither")
    await page.get_by_role("button", name="Create poll").click()
    await expect(page).to_have_url(re.compile(r"/p/[A-Z0-9]{6}/admin$"))  # the secret link, exchanged
    await expect(page.locator("h1.question")).to_have_text("Coffee or tea?")
    await expect(page.locator(".live-indicator")).to_have_attribute("data-live", "on")
    await assert_accessible(page, "a new poll's admin page")


async def test_a_bad_poll_from_the_home_page_shows_the_reason_in_place(stack, browser):
    page = await new_page(browser, PHONE)
    await page.goto(stack.url)
    await page.locator(".create-form").get_by_label("Question", exact=True).fill("Only one option?")
    await page.locator("#options").fill("Alone")
    await page.get_by_role("button", name="Create poll").click()
    await expect(page.locator("#create-result .error")).to_contain_text("2 to 20 options")
    assert page.url.rstrip("/") == stack.url
    await assert_accessible(page, "the home page, a poll refused")


async def test_joining_by_code_from_the_home_page_opens_the_ballot(stack, browser):
    created = await api("POST", f"{stack.url}/api/polls", json={"question": "Join?", "options": ["y", "n"]})
    code = created["code"]
    page = await new_page(browser, PHONE)
    await page.goto(stack.url)
    await page.get_by_label("Code").fill(code.lower())
    await page.get_by_role("button", name="Join").click()
    await expect(page.locator("h1.question")).to_have_text("Join?")
    await assert_accessible(page, "a poll's phone page, before voting")
