"""Audience Q&A in real headless Chromium on the native stack (HAProxy and two replicas): two phones and a
projector. Phone A asks, phone B upvotes, and the projector reorders by itself; under approve-first the
presenter approves from the control view; a pinned question shows large on the projector. No page reloads.
Screenshots of the phone, the projector and the control view go to the artifacts (and the README)."""

from __future__ import annotations

import re

import httpx
import pytest
from playwright.async_api import Page, expect

from tests.e2e import test_browser
from tests.e2e.events import Presenter, mark_loaded, open_page, still_loaded

pytestmark = pytest.mark.e2e

browser = test_browser.browser  # the same headless Chromium fixture as the other browser tests
PHONE = {"width": 390, "height": 844}
PROJECTOR = {"width": 1280, "height": 720}
LAPTOP = {"width": 1280, "height": 900}


async def ask(phone: Page, text: str) -> None:
    await phone.locator("#qa-text").fill(text)
    await phone.locator(".qa-ask").get_by_role("button", name="Send question").click()


def item(page: Page, text: str):
    return page.locator("#qa .qa-item").filter(has_text=text)


async def expect_on_screen(page: Page, locator) -> None:
    """Within the viewport and not cut off by its panel (a clipped list still counts as "visible")."""
    box = await locator.bounding_box()
    panel = await page.locator("#qa").bounding_box()
    assert box is not None and panel is not None
    assert box["height"] > 0 and box["y"] + box["height"] <= min(
        panel["y"] + panel["height"], PROJECTOR["height"]
    ), (
        box,
        panel,
    )


async def texts(page: Page) -> list[str]:
    return [t.strip() for t in await page.locator("#qa .qa-item .qa-text").all_text_contents()]


async def test_two_phones_and_a_projector_follow_the_questions_live(stack, browser, artifacts):
    errors: list[str] = []
    async with httpx.AsyncClient(base_url=stack.url, timeout=10) as http:
        presenter = await Presenter.create(
            http, "All hands", [{"question": "How was the quarter?", "options": ["Good", "Bad"]}]
        )
        code = presenter.code
        await presenter.call("PUT", "/qa", {"enabled": True})

        projector = await open_page(browser, PROJECTOR, errors)
        await projector.goto(f"{stack.url}/e/{code}/present")
        phone_a = await open_page(browser, PHONE, errors)
        await phone_a.goto(f"{stack.url}/{code}")
        phone_b = await open_page(browser, PHONE, errors)
        await phone_b.goto(f"{stack.url}/{code}")
        for page in (projector, phone_a, phone_b):
            await expect(page.locator(".live-indicator")).to_have_attribute("data-live", "on")
            await mark_loaded(page)

        # Phone A asks twice; both questions reach phone B and the projector without a reload.
        await ask(phone_a, "Will the office move next year?")
        await expect(phone_a.locator("#qa-status")).to_contain_text("Question sent")
        await ask(phone_a, "Is there a budget for <b>training</b>?")
        for page in (projector, phone_b):
            await expect(item(page, "Is there a budget")).to_be_visible()
        assert await texts(projector) == [
            "Will the office move next year?",
            "Is there a budget for <b>training</b>?",
        ]

        # Phone B upvotes the second: its button says so, and the projector puts it first.
        upvote = item(phone_b, "Is there a budget").locator("button.qa-upvote")
        await upvote.click()
        await expect(item(phone_b, "Is there a budget").locator("button.qa-upvote")).to_have_attribute(
            "aria-pressed", "true"
        )
        await expect(projector.locator("#qa .qa-item").first).to_contain_text("Is there a budget")
        await expect(projector.locator("#qa .qa-item").first.locator(".qa-votes")).to_contain_text("1")
        await expect_on_screen(projector, projector.locator("#qa .qa-item").nth(1))
        # Phone A did not upvote it: its own button is not marked, though it sees the count.
        await expect(item(phone_a, "Is there a budget").locator("button.qa-upvote")).to_have_attribute(
            "aria-pressed", "false"
        )
        await expect(item(phone_a, "Is there a budget").locator(".qa-votes")).to_have_text("1")
        # A push (another question) keeps phone B's mark: its script re-marks the new list.
        await ask(phone_a, "Can we have the slides?")
        await expect(item(phone_b, "Can we have the slides?")).to_be_visible()
        await expect(item(phone_b, "Is there a budget").locator("button.qa-upvote")).to_have_attribute(
            "aria-pressed", "true"
        )
        assert re.search("<b>", await projector.locator("#qa").inner_text())  # markup shows as text
        await phone_b.screenshot(path=str(artifacts / "screenshots" / "qa-phone.png"), full_page=True)
        await projector.screenshot(path=str(artifacts / "screenshots" / "qa-projector.png"))

        # Approve first: a new question waits in the control view's queue, not on any audience screen.
        await presenter.call("PUT", "/qa", {"moderation": "approve"})
        control = await open_page(browser, LAPTOP, errors)
        await control.goto(f"{stack.url}/e/{code}/control?token={presenter.token}")
        await expect(control.locator(".live-indicator")).to_have_attribute("data-live", "on")
        await mark_loaded(control)
        await ask(phone_b, "Who approves the roadmap?")
        await expect(phone_b.locator("#qa-status")).to_contain_text("once the presenter has approved it")
        waiting = control.locator("#qa-control .qa-queue .qa-item").filter(
            has_text="Who approves the roadmap?"
        )
        await expect(waiting).to_be_visible()
        await expect(item(projector, "Who approves")).to_have_count(0)
        await control.screenshot(path=str(artifacts / "screenshots" / "qa-control.png"), full_page=True)
        await waiting.get_by_role("button", name="Approve").click()
        for page in (projector, phone_a):
            await expect(item(page, "Who approves the roadmap?")).to_be_visible()

        # Pinned: the projector shows it large, in the question's place.
        shown = control.locator("#qa-control .qa-list .qa-item").filter(has_text="Will the office move")
        await shown.get_by_role("button", name="Pin on screen").click()
        pinned = projector.locator(".qa-pinned .qa-pinned-text")
        await expect(pinned).to_have_text("Will the office move next year?")
        await expect(projector.locator(".question-panel")).to_be_hidden()
        size = await pinned.evaluate("e => parseFloat(getComputedStyle(e).fontSize)")
        assert size >= 40, size
        box = await pinned.bounding_box()
        assert box is not None and box["y"] + box["height"] <= PROJECTOR["height"], box
        await expect(item(phone_a, "Will the office move").locator(".badge.live")).to_be_visible()
        await projector.screenshot(path=str(artifacts / "screenshots" / "qa-projector-pinned.png"))
        await phone_a.screenshot(path=str(artifacts / "screenshots" / "qa-phone-a.png"), full_page=True)

        for page in (projector, phone_a, phone_b, control):
            assert await still_loaded(page)
        assert errors == []
