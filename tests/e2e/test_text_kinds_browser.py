"""A word cloud and an open text in an event, in headless Chromium: a phone types its answer (kept as typed,
with the caret, while other phones' answers are pushed to it), the projection's cloud and wall follow
without a reload, and the presenter approves and hides answers from the control view, which the
projection follows too. Every page passes axe; screenshots go to the artifacts (and the README)."""

from __future__ import annotations

import pytest
from playwright.async_api import expect

from tests.api_client import admin, answer, create_event, create_poll
from tests.e2e import test_browser
from tests.e2e.accessibility import assert_accessible
from tests.e2e.test_browser import PHONE, PROJECTOR, new_page

pytestmark = pytest.mark.e2e

browser = test_browser.browser  # the same headless Chromium fixture as the poll pages' tests

LAPTOP = {"width": 1280, "height": 900}
CLOUD = {
    "question": "One word for this conference?",
    "kind": "wordcloud",
    "entries": 3,
    "visibility": "always",
}
WALL = {
    "question": "What should we change next year?",
    "kind": "text",
    "moderation": "approve_first",
    "visibility": "always",
}
WORDS = ["community", "python", "coffee", "great talks", "async", "learning", "Berlin", "friendly", "docs"]


async def test_a_phone_sends_its_words_and_the_projected_cloud_follows(stack, browser, artifacts):
    event = await create_event(stack.url, "Conference", [CLOUD])
    question = event["questions"][0]["code"]
    await admin(stack.url, event, "PUT", "/live", {"question": question})
    projector = await new_page(browser, PROJECTOR)
    await projector.goto(f"{stack.url}/e/{event['code']}/present")
    await expect(projector.locator(".results .empty")).to_be_visible()

    phone = await new_page(browser, PHONE)
    await phone.goto(f"{stack.url}/{event['code']}")
    fields = phone.locator("fieldset.entries input[name=entry]")
    await expect(fields).to_have_count(3)
    await assert_accessible(phone, "an event's phone, a word cloud's entries")
    await fields.nth(0).fill("Inspiring")
    await fields.nth(1).fill("comm")
    # Another phone's answer is pushed while this one types: its text and its caret stay.
    await answer(stack.url, question, "cloud-other", entries=["python"])
    await expect(projector.locator("svg text.word", has_text="python")).to_have_count(1)
    await expect(fields.nth(1)).to_have_value("comm")
    await expect(fields.nth(1)).to_be_focused()
    await phone.keyboard.type("unity")
    await expect(fields.nth(1)).to_have_value("community")
    await phone.get_by_role("button", name="Send answer").click()
    await expect(phone.locator("#vote-status .received")).to_be_visible()

    for i, word in enumerate(WORDS * 3):
        await answer(stack.url, question, f"cloud-{i}", entries=[word, WORDS[i % 4]])
    words = projector.locator("svg text.word")
    await expect(words.filter(has_text="inspiring")).to_have_count(1)  # normalised: case-folded
    await expect(words.filter(has_text="community")).to_have_attribute("data-votes", "10")
    await expect(projector.locator(".results .summary")).to_contain_text("10 different entries")
    await assert_accessible(projector, "an event's projection, a word cloud")
    await projector.screenshot(path=artifacts / "screenshots" / "wordcloud-projector.png")
    await phone.screenshot(path=artifacts / "screenshots" / "wordcloud-phone.png", full_page=True)

    await phone.reload()  # the phone's own entries come back, as the server keeps them
    await expect(fields.nth(0)).to_have_value("inspiring")
    await expect(fields.nth(1)).to_have_value("community")


async def test_the_presenter_approves_and_hides_answers_and_the_projected_wall_follows(
    stack, browser, artifacts
):
    event = await create_event(stack.url, "Town hall", [WALL])
    question = event["questions"][0]["code"]
    await admin(stack.url, event, "PUT", "/live", {"question": question})
    projector = await new_page(browser, PROJECTOR)
    await projector.goto(f"{stack.url}/e/{event['code']}/present")
    control = await new_page(browser, LAPTOP)
    await control.goto(f"{stack.url}/e/{event['code']}/control?token={event['admin_token']}")

    phone = await new_page(browser, PHONE)
    await phone.goto(f"{stack.url}/{event['code']}")
    await assert_accessible(phone, "an event's phone, an open text")
    await phone.get_by_role("textbox", name="Your answer").fill("More breaks between the talks, please.")
    await phone.get_by_role("button", name="Send answer").click()
    await expect(phone.locator("#vote-status .received")).to_be_visible()
    for i, text in enumerate(
        ["Live captions on every talk.", "Better coffee!", "Slides online before the talk."]
    ):
        await answer(stack.url, question, f"wall-{i}", text=text)

    queue = control.locator("section.moderation.queue li")
    await expect(queue).to_have_count(4)
    await expect(projector.locator(".wall")).to_have_count(0)  # nothing approved: nothing projected
    await assert_accessible(control, "the control view, answers waiting for review")
    for text in ("More breaks", "Better coffee", "Live captions"):
        await queue.filter(has_text=text).get_by_role("button", name="Show").click()
        await expect(projector.locator(".wall .entry").filter(has_text=text)).to_have_count(1)
    await expect(queue).to_have_count(1)
    newest = projector.locator(".wall .entry").first  # newest written first
    await expect(newest).to_contain_text("Better coffee")
    await projector.screenshot(path=artifacts / "screenshots" / "text-projector.png")
    await phone.screenshot(path=artifacts / "screenshots" / "text-phone.png", full_page=True)

    wall = control.locator(".wall .entry")
    await wall.filter(has_text="Better coffee").get_by_role("button", name="Hide").click()
    await expect(projector.locator(".wall .entry").filter(has_text="Better coffee")).to_have_count(0)
    await expect(projector.locator(".wall .entry")).to_have_count(2)
    await assert_accessible(projector, "an event's projection, a wall of answers")
    # Last: Playwright's screenshot leaves style="" on the page's inputs, which htmx's next swap would copy
    # (refused by the page's policy).
    live = control.locator("section.control-live")
    await live.screenshot(path=artifacts / "screenshots" / "text-control.png")


async def test_a_polls_admin_page_hides_a_word_and_its_projector_follows_in_german(stack, browser):
    created = await create_poll(stack.url, "Ein Wort?", (), kind="wordcloud", entries=2, filter=True)
    code = created["code"]
    for i, words in enumerate((["Kaffee", "Pause"], ["kaffee", "Scheiße"], ["Pause", "Mittag"])):
        await answer(stack.url, code, f"de-{i}", entries=words)
    projector = await new_page(browser, PROJECTOR)
    await projector.goto(f"{stack.url}/p/{code}/present?lang=de")
    words = projector.locator("svg text.word")
    await expect(words).to_have_count(3)  # kaffee, pause, mittag: the rude one is held
    admin_page = await new_page(browser, LAPTOP)
    await admin_page.goto(f"{stack.url}/p/{code}/admin?token={created['admin_token']}")  # the token: a cookie
    await admin_page.goto(f"{stack.url}/p/{code}/admin?lang=de")
    await expect(admin_page.locator(".moderation .queue li")).to_have_count(1)
    await assert_accessible(admin_page, "a poll's admin page in German, a word held for review")
    await admin_page.get_by_text("Einen Eintrag ausblenden").click()
    await (
        admin_page.locator(".moderation .shown li")
        .filter(has_text="mittag")
        .get_by_role("button", name="Ausblenden")
        .click()
    )
    await expect(words.filter(has_text="mittag")).to_have_count(0)
    await expect(admin_page.locator(".moderation .hidden-entries li")).to_have_count(1)
    await answer(stack.url, code, "de-3", entries=["Mittag"])  # hidden stays hidden, the counts still follow
    await expect(projector.locator(".results .tally .voters")).to_have_text("4")
    await expect(words).to_have_count(2)
    await assert_accessible(projector, "a poll's projector in German, a word cloud")
