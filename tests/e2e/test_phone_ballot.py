"""A phone's ballot never gets stuck (in headless Chromium, on a phone's screen): a refused vote leaves the
options and the phone's ticks in place with the reason beside them, a multiple-choice ballot takes no more
ticks than its question allows, a vote on a poll closed meanwhile shows it closed, and one long word in an
option does not make the page wider than the phone."""

from __future__ import annotations

import httpx
import pytest
from playwright.async_api import expect

from tests.api_client import admin, create_event, create_poll, vote
from tests.e2e import test_browser
from tests.e2e.accessibility import assert_accessible
from tests.e2e.test_browser import PHONE, new_page

pytestmark = pytest.mark.e2e

browser = test_browser.browser  # the same headless Chromium fixture as the poll pages' tests


async def test_a_vote_with_nothing_ticked_keeps_the_ballot_and_says_why_in_the_phones_language(
    stack, browser
):
    poll = await create_poll(stack.url, "Lunch?", ("Pizza", "Tacos", "Sushi"), kind="multiple", max_choices=2)
    for language, reason in (
        ("en", "Choose at least one option."),
        ("de", "Bitte mindestens eine Option wählen."),
    ):
        phone = await new_page(browser, PHONE)
        await phone.goto(f"{stack.url}/p/{poll['code']}?lang={language}")
        await phone.locator("#ballot button[type=submit]").click()
        await expect(phone.locator("#ballot-error")).to_have_text(reason)
        await expect(phone.locator("#ballot label.choice")).to_have_count(3)
        await assert_accessible(phone, f"a poll's phone page in {language}, a vote refused")
        await phone.locator("#ballot label.choice").filter(has_text="Tacos").click()
        await phone.locator("#ballot button[type=submit]").click()
        await expect(phone.locator(".notice.received")).to_be_visible()
        await expect(phone.locator("#ballot-error")).to_have_count(0)
        await assert_accessible(phone, f"a poll's phone page in {language}, voted")


async def test_a_ballot_of_up_to_two_takes_no_third_tick(stack, browser):
    poll = await create_poll(
        stack.url, "Toppings?", ("Cheese", "Ham", "Olives"), kind="multiple", max_choices=2
    )
    phone = await new_page(browser, PHONE)
    await phone.goto(f"{stack.url}/p/{poll['code']}")
    boxes = phone.locator("#ballot input[name=option]")
    await boxes.nth(0).check()
    await boxes.nth(1).check()
    await expect(boxes.nth(2)).to_be_disabled()
    await assert_accessible(phone, "a poll's phone page, as many ticks as allowed")
    await boxes.nth(0).uncheck()
    await expect(boxes.nth(2)).to_be_enabled()


async def test_a_poll_closed_meanwhile_shows_closed_on_the_phone_with_its_options_and_tick(stack, browser):
    poll = await create_poll(stack.url, "Still open?", ("Yes", "No"))
    phone = await new_page(browser, PHONE)
    await phone.goto(f"{stack.url}/p/{poll['code']}")
    await phone.locator("#ballot label.choice").filter(has_text="Yes").click()
    async with httpx.AsyncClient(base_url=stack.url) as http:
        closed = await http.post(
            f"/api/polls/{poll['code']}/close", headers={"Authorization": f"Bearer {poll['admin_token']}"}
        )
        assert closed.status_code == 200
    await expect(phone.locator("#ballot .notice.closed")).to_be_visible()
    await expect(phone.locator("#ballot label.choice")).to_have_count(2)
    await expect(phone.locator("#ballot input[value='1']")).to_be_checked()
    await assert_accessible(phone, "a poll's phone page, the poll closed")


async def test_one_long_word_in_an_option_does_not_make_the_phones_page_wider(stack, browser):
    long_word = "https://example.org/" + "x" * 100
    poll = await create_poll(stack.url, "Which link?", (long_word, "Short"))
    phone = await new_page(browser, PHONE)
    await phone.goto(f"{stack.url}/p/{poll['code']}")
    width = await phone.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], width
    await expect(phone.locator("#ballot button[type=submit]")).to_be_in_viewport()


async def test_once_voting_closes_a_phone_no_longer_says_its_answer_can_change(stack, browser):
    event = await create_event(stack.url, "Closing", [{"question": "Coffee?", "options": ["Yes", "No"]}])
    question = event["questions"][0]["code"]
    await admin(stack.url, event, "PUT", "/live", {"question": question})
    phone = await new_page(browser, PHONE)
    await phone.goto(f"{stack.url}/e/{event['code']}")
    await expect(phone.locator(".live-indicator")).to_have_attribute("data-live", "on")
    await phone.locator("#ballot label.choice").filter(has_text="Yes").click()
    await phone.locator("#ballot button[type=submit]").click()
    await expect(phone.locator("#vote-status")).to_contain_text("You can change it while voting is open")
    await admin(stack.url, event, "POST", f"/questions/{question}/close")
    await expect(phone.locator("#vote-status")).to_contain_text("Answer received. Voting is closed.")
    await expect(phone.locator("#vote-status")).not_to_contain_text("You can change it")
    await assert_accessible(phone, "an event's phone, answered, voting closed")
    await phone.reload()  # a fresh page of the closed question says the same
    await expect(phone.locator("#vote-status")).to_contain_text("Voting is closed.")


async def test_a_single_polls_phone_follows_the_poll_closing_and_opening_without_a_reload(stack, browser):
    poll = await create_poll(stack.url, "Open?", ("Yes", "No"))
    token = {"Authorization": f"Bearer {poll['admin_token']}"}
    phone = await new_page(browser, PHONE)
    await phone.goto(f"{stack.url}/p/{poll['code']}")
    await phone.evaluate("window.__notReloaded = true")
    vote_button = phone.locator("#ballot").get_by_role("button", name="Vote")
    await expect(vote_button).to_be_visible()
    async with httpx.AsyncClient(base_url=stack.url) as http:
        assert (await http.post(f"/api/polls/{poll['code']}/close", headers=token)).status_code == 200
        await expect(phone.locator("#ballot .notice.closed")).to_be_visible()
        await expect(vote_button).to_be_hidden()
        await expect(phone.locator("#ballot input[name=option]").first).to_be_disabled()
        assert (await http.post(f"/api/polls/{poll['code']}/open", headers=token)).status_code == 200
        await expect(vote_button).to_be_visible()
        await expect(phone.locator("#ballot .notice.closed")).to_be_hidden()
    assert await phone.evaluate("window.__notReloaded") is True


async def test_a_keyboard_user_keeps_focus_across_pushes_and_hears_a_new_question(stack, browser):
    questions = [
        {"question": "Coffee or tea?", "options": ["Coffee", "Tea", "Water"]},
        {"question": "Lunch at noon?", "options": ["Yes", "No"]},
    ]
    event = await create_event(stack.url, "Keyboard", questions)
    first, second = (q["code"] for q in event["questions"])
    await admin(stack.url, event, "PUT", "/live", {"question": first})
    await admin(stack.url, event, "POST", f"/questions/{first}/reveal")
    phone = await new_page(browser, PHONE)
    await phone.goto(f"{stack.url}/e/{event['code']}")
    await expect(phone.locator(".live-indicator")).to_have_attribute("data-live", "on")
    tea = phone.locator("#ballot input[value='2']")
    await tea.focus()
    await vote(stack.url, first, "someone-else", [1])  # a push: another phone answered
    await expect(phone.locator(".participant-results .voters")).to_have_text("1")
    await expect(tea).to_be_focused()
    await phone.keyboard.press("Space")  # still where the keyboard user was: Space chooses Tea
    await expect(tea).to_be_checked()
    await expect(phone.locator("#question-announcer")).to_have_text("")
    await admin(stack.url, event, "PUT", "/live", {"question": second})
    await expect(phone.locator("#question-announcer")).to_have_text("Lunch at noon?")
