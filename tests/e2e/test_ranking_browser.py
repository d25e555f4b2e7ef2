"""A ranking in an event, in headless Chromium: a phone puts the options in order with the up and down
buttons (the keyboard's and a screen reader's way) and by dragging, sends it, and the projection's
instant-runoff table follows without a reload; both pass axe. Screenshots go to the artifacts."""

from __future__ import annotations

import pytest
from playwright.async_api import expect

from tests.api_client import admin, create_event
from tests.e2e import test_browser
from tests.e2e.accessibility import assert_accessible
from tests.e2e.test_browser import PHONE, PROJECTOR, new_page

pytestmark = pytest.mark.e2e

browser = test_browser.browser  # the same headless Chromium fixture as the poll pages' tests

NAMES = {
    "question": "Name the new meeting room",
    "options": ["Ada", "Grace", "Hedy", "Katherine"],
    "kind": "ranking",
    "visibility": "always",
}


async def test_a_phone_ranks_by_keyboard_and_by_dragging_and_the_projection_counts_it(
    stack, browser, artifacts
):
    event = await create_event(stack.url, "Naming", [NAMES])
    question = event["questions"][0]["code"]
    await admin(stack.url, event, "PUT", "/live", {"question": question})
    projector = await new_page(browser, PROJECTOR)
    await projector.goto(f"{stack.url}/e/{event['code']}/present")
    await expect(projector.locator(".ranking-results .winner")).to_contain_text("No ballots yet.")

    phone = await new_page(browser, PHONE)
    await phone.goto(f"{stack.url}/{event['code']}")
    items = phone.locator(".rank-item .label")
    await expect(items).to_have_text(["Ada", "Grace", "Hedy", "Katherine"])
    await assert_accessible(phone, "an event's phone, a ranking to order")
    # Hedy to the top with the keyboard: focus its "up" button, press Enter twice.
    await phone.get_by_role("button", name="Move up: Hedy").focus()
    await phone.keyboard.press("Enter")
    await phone.keyboard.press("Enter")
    await expect(items).to_have_text(["Hedy", "Ada", "Grace", "Katherine"])
    await expect(phone.locator("[data-rank-announcer]")).to_have_text("Hedy: place 1")
    # Katherine dragged by her handle above Ada.
    handle = phone.locator('.rank-item[data-option="4"] .handle')
    target = await phone.locator('.rank-item[data-option="1"]').bounding_box()
    start = await handle.bounding_box()
    assert target is not None and start is not None
    await phone.mouse.move(start["x"] + start["width"] / 2, start["y"] + start["height"] / 2)
    await phone.mouse.down()
    await phone.mouse.move(start["x"] + 5, target["y"] + 4, steps=8)
    await phone.mouse.up()
    await expect(items).to_have_text(["Hedy", "Katherine", "Ada", "Grace"])
    await expect(phone.locator(".rank-item .place")).to_have_text(["1", "2", "3", "4"])
    await phone.get_by_role("button", name="Send answer").click()
    await expect(phone.locator("#vote-status .received")).to_be_visible()
    await phone.screenshot(path=artifacts / "screenshots" / "ranking-phone.png", full_page=True)

    await expect(projector.locator(".ranking-results .winner")).to_contain_text("Hedy")
    await expect(projector.locator('.runoff tr[data-option="3"] td').first).to_have_text("1")
    await assert_accessible(projector, "an event's projection, a ranking's runoff")
    await projector.screenshot(path=artifacts / "screenshots" / "ranking-projector.png")

    # The phone's order is its own after a reload, from the server and from its storage alike.
    await phone.reload()
    await expect(items).to_have_text(["Hedy", "Katherine", "Ada", "Grace"])
