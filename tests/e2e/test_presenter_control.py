"""A presenter cannot lose a question or a round by one click (headless Chromium, the control view):
Delete and New round ask first, a presenter who says no keeps what they had, and one who said yes by mistake
has a few seconds to undo it, on every control screen."""

from __future__ import annotations

import pytest
from playwright.async_api import Dialog, Page, expect

from tests.api_client import admin, create_event, vote
from tests.e2e import test_browser
from tests.e2e.accessibility import assert_accessible
from tests.e2e.test_browser import PHONE, new_page

pytestmark = pytest.mark.e2e

browser = test_browser.browser  # the same headless Chromium fixture as the poll pages' tests

LAPTOP = {"width": 1366, "height": 768}


async def control_view(stack, browser, event: dict) -> Page:
    """The presenter's control view on a laptop, opened with the event's secret link."""
    page = await new_page(browser, LAPTOP)
    await page.goto(f"{stack.url}/e/{event['code']}/control?token={event['admin_token']}")
    return page


async def add_question(page: Page, question: str, options: str) -> None:
    """Fill in the control view's Add-question form and send it."""
    await page.locator("#new-question").fill(question)
    await page.locator("#new-options").fill(options)
    await page.get_by_role("button", name="Add question").click()


async def live_with_a_vote(stack, title: str, first: str) -> dict:
    """An event of two questions, the first (`first`) live with one vote in it."""
    questions = [{"question": first, "options": ["a", "b"]}, {"question": "Second?", "options": ["c", "d"]}]
    event = await create_event(stack.url, title, questions)
    code = event["questions"][0]["code"]
    await admin(stack.url, event, "PUT", "/live", {"question": code})
    await vote(stack.url, code, f"{title}-1", [1])
    return event


async def test_delete_and_new_round_ask_first_and_a_no_changes_nothing(stack, browser):
    event = await live_with_a_vote(stack, "Careful", "First?")
    page = await control_view(stack, browser, event)
    asked: list[str] = []
    answer = {"accept": False}

    async def on_dialog(dialog: Dialog) -> None:
        asked.append(dialog.message)
        await (dialog.accept() if answer["accept"] else dialog.dismiss())

    page.on("dialog", on_dialog)
    await page.get_by_role("button", name="New round").click()
    await expect(page.locator("#control .question-item")).to_have_count(2)
    assert asked and "new round" in asked[-1]
    assert (await admin(stack.url, event, "GET", ""))["questions"][0]["round"] == 1  # said no: still round 1
    answer["accept"] = True
    await page.get_by_role("button", name="New round").click()
    await expect(page.locator("#control")).to_contain_text("0 answers")
    assert (await admin(stack.url, event, "GET", ""))["questions"][0]["round"] == 2

    answer["accept"] = False
    delete = page.locator("#control .question-item").nth(1).get_by_role("button", name="Delete")
    await delete.click()
    assert "undo it for a few seconds" in asked[-1]
    await expect(page.locator("#control .question-item")).to_have_count(2)
    answer["accept"] = True
    await delete.click()
    await expect(page.locator("#control .question-item")).to_have_count(1)


async def test_a_delete_and_a_new_round_can_be_undone_from_any_control_screen(stack, browser):
    event = await live_with_a_vote(stack, "Oops", "Keep me?")
    page, other = await control_view(stack, browser, event), await control_view(stack, browser, event)
    page.on("dialog", lambda dialog: dialog.accept())

    await page.locator("#control .question-item").nth(0).get_by_role("button", name="Delete").click()
    for screen in (page, other):
        await expect(screen.locator("#control .question-item")).to_have_count(1)
        await expect(screen.locator("#undo")).to_contain_text("Deleted: Keep me?")
    await assert_accessible(other, "the control view, a delete to undo")
    await other.locator("#undo").get_by_role("button", name="Undo").click()
    for screen in (page, other):
        await expect(screen.locator("#control .question-item")).to_have_count(2)
        await expect(screen.locator("#control .control-live")).to_contain_text("1 answer")

    await page.get_by_role("button", name="New round").click()
    await expect(page.locator("#undo")).to_contain_text("New round started: Keep me?")
    await expect(page.locator("#control .control-live")).to_contain_text("0 answers")
    await page.locator("#undo").get_by_role("button", name="Undo").click()
    await expect(page.locator("#control .control-live")).to_contain_text("1 answer")
    await expect(page.locator("#undo")).to_have_count(0)
    assert (await admin(stack.url, event, "GET", ""))["questions"][0]["round"] == 1


async def test_the_add_question_form_is_empty_again_once_the_question_is_added(stack, browser):
    event = await create_event(stack.url, "Growing", [{"question": "First?", "options": ["a", "b"]}])
    page = await control_view(stack, browser, event)
    await add_question(page, "Second?", "yes\nno")
    await expect(page.locator("#control .question-item")).to_have_count(2)
    await expect(page.locator("#new-question")).to_have_value("")
    await expect(page.locator("#new-options")).to_have_value("")


async def test_ending_the_event_shows_every_screen_that_it_is_over(stack, browser):
    event = await create_event(
        stack.url, "Farewell", [{"question": "Good session?", "options": ["Yes", "No"]}]
    )
    question = event["questions"][0]["code"]
    await admin(stack.url, event, "PUT", "/live", {"question": question})
    phone = await new_page(browser, PHONE)
    await phone.goto(f"{stack.url}/e/{event['code']}")
    projector = await new_page(browser, {"width": 1280, "height": 720})
    await projector.goto(f"{stack.url}/e/{event['code']}/present")
    for page in (phone, projector):
        await expect(page.locator(".live-indicator")).to_have_attribute("data-live", "on")
    control = await control_view(stack, browser, event)
    control.on("dialog", lambda dialog: dialog.accept())
    await control.get_by_role("button", name="End event").click()
    await expect(phone.locator("#stage")).to_contain_text("This event has ended.")
    await expect(projector.locator("#stage")).to_contain_text("This event has ended.")
    await expect(control.locator("#control")).to_contain_text("This event has ended")
    await assert_accessible(phone, "an event's phone, the event ended")
    await assert_accessible(projector, "an event's projection, the event ended")
    await assert_accessible(control, "the control view, the event ended")
    state = await admin(stack.url, event, "GET", "")
    assert state["ended"] and state["live"] is None and state["questions"][0]["status"] == "closed"


async def test_a_refused_change_keeps_the_control_view_and_says_why(stack, browser):
    event = await create_event(stack.url, "Typos", [{"question": "First?", "options": ["a", "b"]}])
    page = await control_view(stack, browser, event)
    await add_question(page, "Only one option?", "lonely")
    await expect(page.locator("#control-error")).to_contain_text("2 to 20 options")
    await expect(page.locator("#control .question-item")).to_have_count(1)
    await expect(page.get_by_role("button", name="Make live")).to_be_visible()
    await expect(page.locator("#new-question")).to_have_value("Only one option?")  # kept, to be fixed
    await assert_accessible(page, "the control view, a change refused")


async def test_the_secret_link_is_copied_on_a_click_and_opens_the_control_view_elsewhere(stack, browser):
    event = await create_event(stack.url, "Portable", [{"question": "Here?", "options": ["a", "b"]}])
    context = await browser.new_context(viewport=LAPTOP, permissions=["clipboard-read", "clipboard-write"])
    page = await context.new_page()
    await page.goto(f"{stack.url}/e/{event['code']}/control?token={event['admin_token']}")
    assert "token=" not in page.url  # exchanged for a cookie: the address bar no longer has it
    await page.get_by_role("button", name="Copy the secret link").click()
    await expect(page.locator(".secret-link [role=status]")).to_contain_text("Copied")
    copied = await page.evaluate("navigator.clipboard.readText()")
    assert copied.endswith(f"/e/{event['code']}/control?token={event['admin_token']}")
    other_device = await new_page(browser, LAPTOP)
    await other_device.goto(copied.replace(copied.split("/e/")[0], stack.url))
    await expect(other_device.locator("#control .question-item")).to_have_count(1)
