"""axe-core finds nothing on the page states that no other browser test reaches (the other browser tests
check each state they reach, with the same helper, tests/e2e/accessibility.py): the home page with a mistyped
code, a refused event and the presenter's own list; the error pages; a poll closed from its admin page, as
the admin page, a German phone and a German projection show it."""

from __future__ import annotations

import pytest
from playwright.async_api import expect

from tests.api_client import create_event, create_poll
from tests.e2e import test_browser
from tests.e2e.accessibility import assert_accessible
from tests.e2e.events import fill_event_form, open_page
from tests.e2e.test_browser import PHONE, PROJECTOR

pytestmark = pytest.mark.e2e

browser = test_browser.browser  # the same headless Chromium fixture as the poll pages' tests

LANGUAGES = {"en": "en-US", "de": "de-DE"}


@pytest.mark.parametrize("language", LANGUAGES)
async def test_the_home_page_with_a_mistyped_code_a_refused_event_and_the_presenters_list(
    stack, browser, language
):
    errors: list[str] = []
    page = await open_page(browser, PHONE, errors, locale=LANGUAGES[language])
    await page.goto(stack.url)
    await page.locator("#join-code").fill("NOPE11")
    await page.locator(".join-form button").click()
    await expect(page.locator("#join-error")).to_be_visible()
    await expect(page.locator("#join-code")).to_have_value("NOPE11")
    await assert_accessible(page, f"the home page in {language}, a mistyped code")

    await fill_event_form(page, "Only one option", [("Alone?", ["yes"])])
    await page.locator(".create-event button[type=submit]").click()
    await expect(page.locator("#event-result .error")).to_be_visible()
    await assert_accessible(page, f"the home page in {language}, an event refused")

    await page.locator("#question").fill("Tea?")
    await page.locator("#options").fill("Yes\nNo")
    await page.locator(".create-form button[type=submit]").click()
    await page.wait_for_url("**/admin")
    await page.goto(stack.url)
    await expect(page.locator(".mine a")).to_have_text("Tea?")
    await assert_accessible(page, f"the home page in {language}, with the presenter's own polls")
    assert errors == []


@pytest.mark.parametrize("language", LANGUAGES)
async def test_the_error_pages(stack, browser, language):
    event = await create_event(stack.url, "Guarded", [{"question": "Here?", "options": ["a", "b"]}])
    errors: list[str] = []
    page = await open_page(browser, PHONE, errors, locale=LANGUAGES[language])
    for path, status in (
        ("/no/such/page", 404),
        ("/p/NOPE11", 404),
        (f"/e/{event['code']}/control?token=not-the-secret", 403),
    ):
        response = await page.goto(stack.url + path)
        assert response is not None and response.status == status, path
        await assert_accessible(page, f"the error page {status} in {language}, {path}")
    assert errors == []


async def test_a_poll_closed_from_its_admin_page_on_a_german_phone_and_projection(stack, browser):
    poll = await create_poll(stack.url, "Kaffee oder Tee?", ("Kaffee", "Tee"))
    errors: list[str] = []
    phone = await open_page(browser, PHONE, errors, locale="de-DE")
    await phone.goto(f"{stack.url}/p/{poll['code']}")
    await assert_accessible(phone, "a poll's phone page in German, before voting")
    projection = await open_page(browser, PROJECTOR, errors, locale="de-DE")
    await projection.goto(f"{stack.url}/p/{poll['code']}/present")
    await expect(projection.locator(".live-indicator")).to_have_attribute("data-live", "on")

    admin = await open_page(browser, {"width": 1280, "height": 900}, errors)
    await admin.goto(f"{stack.url}/p/{poll['code']}/admin?token={poll['admin_token']}")
    await admin.get_by_role("button", name="Close voting").click()
    await expect(admin.get_by_role("button", name="Reopen voting")).to_be_visible()
    await assert_accessible(admin, "a poll's admin page, the poll closed")
    await expect(phone.locator("#ballot .notice.closed")).to_have_text("Diese Umfrage ist geschlossen.")
    await assert_accessible(phone, "a poll's phone page in German, the poll closed")
    await expect(projection.locator("#results .results")).to_have_class("results is-closed")
    await assert_accessible(projection, "a poll's projection in German, the poll closed")
    assert errors == []
