"""A rating scale in an event, in headless Chromium: a phone rates each statement with a tap or with the
keyboard, the projection's histograms follow without a reload, and both pass axe; screenshots of the phone
and the projector go to the artifacts (and the README)."""

from __future__ import annotations

import pytest
from playwright.async_api import expect

from tests.api_client import admin, create_event
from tests.e2e import test_browser
from tests.e2e.accessibility import assert_accessible
from tests.e2e.test_browser import PHONE, PROJECTOR, new_page

pytestmark = pytest.mark.e2e

browser = test_browser.browser  # the same headless Chromium fixture as the poll pages' tests

TALK = {
    "question": "How was the talk?",
    "options": ["Pace", "Clarity"],
    "kind": "scale",
    "min": 1,
    "max": 5,
    "min_label": "Not at all",
    "max_label": "Very much",
    "visibility": "always",
}


async def test_a_phone_rates_by_tap_and_by_keyboard_and_the_projection_follows(stack, browser, artifacts):
    event = await create_event(stack.url, "Retro", [TALK])
    question = event["questions"][0]["code"]
    await admin(stack.url, event, "PUT", "/live", {"question": question})
    projector = await new_page(browser, PROJECTOR)
    await projector.goto(f"{stack.url}/e/{event['code']}/present")
    pace = projector.locator('.scale-statement[data-option="1"]')
    await expect(pace.locator('.column[data-value="4"]')).to_have_attribute("data-votes", "0")

    phone = await new_page(browser, PHONE)
    await phone.goto(f"{stack.url}/{event['code']}")
    await expect(phone.locator("fieldset.scale")).to_have_count(2)
    await assert_accessible(phone, "an event's phone, a scale to rate")
    await phone.locator("fieldset.scale").nth(0).locator("label.step").nth(3).click()  # Pace: 4
    # Clarity by keyboard: into the group, then the arrow keys move the rating.
    await phone.locator('input[name="rating-2"][value="1"]').focus()
    await phone.keyboard.press("Space")
    await phone.keyboard.press("ArrowRight")
    await phone.keyboard.press("ArrowRight")
    await expect(phone.locator('input[name="rating-2"][value="3"]')).to_be_checked()
    await phone.get_by_role("button", name="Send answer").click()
    await expect(phone.locator("#vote-status .received")).to_be_visible()
    await phone.screenshot(path=artifacts / "screenshots" / "scale-phone.png", full_page=True)

    await expect(pace.locator('.column[data-value="4"]')).to_have_attribute("data-votes", "1")
    clarity = projector.locator('.scale-statement[data-option="2"]')
    await expect(clarity.locator('.column[data-value="3"]')).to_have_attribute("data-votes", "1")
    await expect(pace.locator(".summary")).to_have_text("mean 4.0 · median 4.0")
    await assert_accessible(projector, "an event's projection, a scale's histograms")
    await projector.screenshot(path=artifacts / "screenshots" / "scale-projector.png")

    # The phone's own ratings stay ticked when other phones' answers are pushed to it.
    await phone.reload()
    await expect(phone.locator('input[name="rating-1"][value="4"]')).to_be_checked()
    await expect(phone.locator('input[name="rating-2"][value="3"]')).to_be_checked()
