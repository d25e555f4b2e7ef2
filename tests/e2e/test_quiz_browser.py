"""A five-question quiz in headless Chromium, as a room plays it: two phones on different replicas (one of
them with a clock seven seconds fast) show the same countdown; a phone names itself, locks in its answer and,
after the presenter closes and reveals the question from the control view, sees whether it was right and its
place; the projection shows the correct answer and the leaderboard, and the podium at the end. Every page
passes axe; screenshots go to the artifacts (and the README)."""

from __future__ import annotations

import json
import time

import pytest
from playwright.async_api import Dialog, Page, expect

from tests.api_client import admin, create_event, vote
from tests.e2e import test_browser
from tests.e2e.accessibility import assert_accessible
from tests.e2e.test_browser import PHONE, PROJECTOR, new_page

pytestmark = pytest.mark.e2e

browser = test_browser.browser  # the same headless Chromium fixture as the poll pages' tests

LAPTOP = {"width": 1280, "height": 900}
QUESTIONS = [
    ("The capital of Australia?", ["Sydney", "Canberra", "Melbourne", "Perth"], 2),
    ("How many legs has a spider?", ["6", "8", "10"], 2),
    ("Which planet is the largest?", ["Mars", "Jupiter", "Saturn", "Venus"], 2),
    ("H2O is…", ["Water", "Salt", "Oxygen"], 1),
    ("Python's creator?", ["Guido van Rossum", "Linus Torvalds", "Ada Lovelace", "Grace Hopper"], 1),
]
# A phone's clock seven seconds fast: its countdown must still end when the database's does.
FAST_CLOCK = "(() => { const real = Date.now; Date.now = () => real() + 7000; })()"


async def remaining_ms(page: Page) -> tuple[float, float]:
    """The phone's countdown, in ms left by its own clock, and when the test read it (its own clock)."""
    left = await page.evaluate(
        """() => {
            const el = document.querySelector('.countdown[data-deadline]');
            return el ? Number(el.dataset.deadline) - Date.now() : null;
        }"""
    )
    return left, time.monotonic() * 1000


async def test_a_five_question_quiz_with_a_leaderboard_on_phones_and_projection(stack, browser, artifacts):
    questions = [
        {"kind": "quiz", "question": q, "options": options, "correct": [right], "time_limit": 30}
        for q, options, right in QUESTIONS
    ]
    event = await create_event(stack.url, "Friday pub quiz", questions)
    codes = [q["code"] for q in event["questions"]]
    await admin(stack.url, event, "PUT", "/live", {"question": codes[0]})

    control = await new_page(browser, LAPTOP)
    await control.goto(event["urls"]["control"])
    projector = await new_page(browser, PROJECTOR)
    await projector.goto(f"{stack.url}/e/{event['code']}/present")
    await expect(projector.locator(".state-waiting")).to_be_visible()
    # Two phones, each straight to one replica (not through HAProxy), one with a clock seven seconds fast.
    first_replica, second_replica = stack.replica_url("web-1"), stack.replica_url("web-2")
    ada = await new_page(browser, PHONE)
    await ada.add_init_script(FAST_CLOCK)
    await ada.goto(f"{first_replica}/e/{event['code']}")
    bob = await new_page(browser, PHONE)
    await bob.goto(f"{second_replica}/e/{event['code']}")
    for phone in (ada, bob):
        await expect(phone.locator(".live-indicator")).to_have_attribute("data-live", "on")

    await ada.get_by_label("Your name in the leaderboard").fill("Ada <3")
    await ada.get_by_role("button", name="Save").click()
    await expect(ada.locator("#nickname .received")).to_be_visible()

    await control.get_by_role("button", name="Start (30 s)").click()
    for phone in (ada, bob):
        await expect(phone.locator(".countdown[data-deadline]")).to_be_visible()
        await expect(phone.locator(".quiz-option").first).to_be_enabled()
    # Both phones count to the same moment: within 250 ms, though one's clock is 7 s off.
    (ada_left, ada_read), (bob_left, bob_read) = await remaining_ms(ada), await remaining_ms(bob)
    apart = abs((ada_left - (bob_read - ada_read)) - bob_left)
    assert apart < 250, (ada_left, bob_left)
    assert 20_000 < bob_left <= 30_000
    ada_offset = int(await ada.evaluate("document.body.dataset.clockOffset"))
    (artifacts / "quiz_countdown.json").write_text(
        json.dumps({"countdowns_apart_ms": round(apart, 1), "fast_phone_offset_ms": ada_offset}) + "\n"
    )
    await assert_accessible(ada, "a quiz question on a phone")
    await ada.screenshot(path=artifacts / "screenshots" / "quiz-phone-question.png", full_page=True)

    await ada.get_by_text("Canberra").click()
    await ada.get_by_role("button", name="Lock in answer").click()
    await expect(ada.locator("#vote-status")).to_contain_text("locked in")
    await expect(ada.locator(".quiz-option input").first).to_be_disabled()
    await bob.get_by_text("Sydney").click()
    await bob.get_by_role("button", name="Lock in answer").click()
    await expect(bob.locator("#vote-status")).to_contain_text("locked in")
    await expect(projector.locator(".answers .voters")).to_have_text("2")
    await expect(projector.locator(".bar")).to_have_count(0)  # no tally (and no answer) while it runs

    await control.get_by_role("button", name="Close voting").click()
    await control.get_by_role("button", name="Reveal answer and leaderboard").click()
    await expect(projector.locator(".bar.correct .label")).to_contain_text("Canberra")
    await expect(projector.locator(".quiz-right")).to_contain_text("1 of 2 answers were right")
    await expect(projector.locator(".standings li").first).to_contain_text("Ada <3")
    await expect(ada.locator(".my-answer.right")).to_contain_text("Right!")
    await expect(ada.locator(".my-standing")).to_contain_text("place 1 of 2")
    await expect(bob.locator(".my-answer.wrong")).to_be_visible()
    await expect(bob.locator(".my-standing")).to_contain_text("place 2 of 2")
    await assert_accessible(projector, "a quiz question revealed, with its leaderboard")
    await assert_accessible(ada, "a phone after a quiz question's reveal")
    await projector.screenshot(path=artifacts / "screenshots" / "quiz-projector-reveal.png")
    await ada.screenshot(path=artifacts / "screenshots" / "quiz-phone-reveal.png", full_page=True)

    # The same event's Q&A: Ada asks, with her nickname, and the projection shows it beside the quiz.
    await admin(stack.url, event, "PUT", "/qa", {"enabled": True, "moderation": "off"})
    await ada.get_by_label("Ask a question").fill("Is there a bonus round?")
    await ada.get_by_label("Show my nickname with it").check()
    await ada.get_by_role("button", name="Send question").click()
    asked = projector.locator(".qa-panel .qa-item", has_text="Is there a bonus round?")
    await expect(asked).to_contain_text("— Ada <3")
    await expect(bob.locator(".qa-item", has_text="Is there a bonus round?")).to_be_visible()
    await expect(projector.locator(".standings li").first).to_contain_text("Ada <3")  # the quiz stays
    await admin(stack.url, event, "PUT", "/qa", {"enabled": False})

    # Questions two to five, a room of API players with them.
    for n, code in enumerate(codes[1:], start=2):
        await admin(stack.url, event, "PUT", "/live", {"question": code})
        await admin(stack.url, event, "POST", f"/questions/{code}/open")
        for i in range(6):
            await vote(stack.url, code, f"quiz-player-{i}", [QUESTIONS[n - 1][2] if i % (n) else 1])
        await admin(stack.url, event, "POST", f"/questions/{code}/close")
        await admin(stack.url, event, "POST", f"/questions/{code}/reveal")
        await expect(projector.locator(".event-progress")).to_contain_text(f"Question {n} of 5")
        await expect(projector.locator(".quiz-board")).to_be_visible()

    async def confirm(dialog: Dialog) -> None:  # "End the event for everyone?"
        await dialog.accept()

    control.on("dialog", confirm)
    await control.get_by_role("button", name="End event").click()
    await expect(projector.locator(".podium .place")).to_have_count(3)
    await expect(projector.locator(".quiz-board.final h2")).to_contain_text("8 players")
    await expect(ada.locator(".ended .my-standing")).to_contain_text("of 8")
    await assert_accessible(projector, "a quiz's podium")
    await projector.screenshot(path=artifacts / "screenshots" / "quiz-projector-podium.png")
    await control.screenshot(path=artifacts / "screenshots" / "quiz-control.png", full_page=True)
