"""An event in real headless Chromium, as a room uses it: a presenter creates it on the home page and drives
it from the control page; two phones join by code and follow every question without a reload; the
projection shows their answers, hides and reveals them; voting closes by hand and by a countdown; the CSV
export matches the database. Screenshots of the three views, on a phone and on a big screen, are written
to tests/artifacts/screenshots for a person to look at."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import re
import time
from pathlib import Path
from urllib.parse import urlparse

import httpx
import pytest
from playwright.async_api import Page, expect

from tests.api_client import vote
from tests.e2e import test_browser
from tests.e2e.accessibility import assert_accessible
from tests.e2e.events import (
    Presenter,
    database_counts,
    database_voters,
    fill_event_form,
    mark_loaded,
    open_page,
    still_loaded,
)
from tests.e2e.test_browser import PHONE, PROJECTOR
from tests.voters import new_voter

pytestmark = pytest.mark.e2e

browser = test_browser.browser  # the same headless Chromium fixture as the poll pages' tests
LAPTOP = {"width": 1280, "height": 800}

QUESTIONS = [
    ("How was your week?", ["Great", "Fine", "Hard"]),
    ("Pizza or pasta?", ["Pizza", "Pasta"]),
    ("Which day for the offsite?", ["Monday", "Friday"]),
]


def question_item(control: Page, text: str):
    return control.locator("li.question-item").filter(has_text=text)


def bar(page: Page, option: int):
    return page.locator(f'#stage .results .bar[data-option="{option}"]')


async def answer(phone: Page, label: str) -> None:
    """Choose an option on a phone's ballot and send it."""
    await phone.locator("#ballot label.choice").filter(has_text=label).click()
    await phone.locator("#ballot").get_by_role("button", name=re.compile("Send answer|Change answer")).click()


async def expect_answers(pages: list[Page], count: int) -> None:
    """Every page shows this number of answers to the live question (its results are visible)."""
    for page in pages:
        await expect(page.locator("#stage .results .tally .voters")).to_have_text(str(count))


async def expect_question(pages: list[Page], text: str) -> None:
    for page in pages:
        await expect(page.locator("#live-question")).to_have_text(text)


async def expect_bars(page: Page, votes: dict[int, int]) -> None:
    for option, count in votes.items():
        await expect(bar(page, option)).to_have_attribute("data-votes", str(count))


async def expect_closed(phones: list[Page], projector: Page, wait_ms: float = 5_000) -> None:
    for phone in phones:
        await expect(phone.locator("#stage .question-state")).to_contain_text(
            "Voting is closed", timeout=wait_ms
        )
        await expect(phone.locator("#ballot fieldset")).to_have_attribute("disabled", "")
        for option in await phone.locator("#ballot input[name=option]").all():
            await expect(option).to_be_disabled()
        await expect(phone.locator("#ballot button")).to_have_count(0)
    await expect(projector.locator("#stage .question-state")).to_contain_text(
        "Voting is closed", timeout=wait_ms
    )


async def test_a_presenter_runs_an_event_and_two_phones_and_the_projection_follow_live(
    stack, browser, database_url
):
    errors: list[str] = []
    (q1, q1_options), (q2, _), (q3, _) = QUESTIONS

    # The presenter creates the event with three questions on the home page and lands on its control page.
    control = await open_page(browser, LAPTOP, errors)
    await control.goto(stack.url)
    # Results for everyone, always (the form's default is results after voting): every screen shows them.
    await fill_event_form(control, "Friday retro", QUESTIONS, visibility="always")
    await control.get_by_role("button", name="Create event").click()
    await expect(control).to_have_url(re.compile(r"/e/[A-Z2-9]{6}/control$"))  # the secret link, exchanged
    code = urlparse(control.url).path.split("/")[2]
    headers = await control.locator(".control-page").get_attribute("hx-headers:inherited")
    token = json.loads(headers or "{}")["X-Admin-Token"]
    await expect(control.locator(".live-indicator")).to_have_attribute("data-live", "on")
    for text, _ in QUESTIONS:
        await expect(question_item(control, text)).to_have_count(1)
    await assert_accessible(control, "the control view, no question live yet")

    projector = await open_page(browser, PROJECTOR, errors)
    await projector.goto(f"{stack.url}/e/{code}/present")
    await expect(projector.locator(".join-code")).to_have_text(code)
    await expect(projector.locator(".live-indicator")).to_have_attribute("data-live", "on")
    await assert_accessible(projector, "an event's projection, the lobby with the join panel")

    # One phone types the code on the home page, the other opens the short link; each is its own voter.
    phone_a = await open_page(browser, PHONE, errors)
    await phone_a.goto(stack.url)
    await phone_a.get_by_label("Code").fill(code.lower())
    await phone_a.get_by_role("button", name="Join").click()
    phone_b = await open_page(browser, PHONE, errors)
    await phone_b.goto(f"{stack.url}/{code}")
    phones = [phone_a, phone_b]
    audience = [*phones, projector]
    for phone in phones:
        await expect(phone).to_have_url(f"{stack.url}/e/{code}")
        await expect(phone.locator("#stage .waiting")).to_be_visible()
        await expect(phone.locator(".live-indicator")).to_have_attribute("data-live", "on")
    for page in audience:
        await mark_loaded(page)
    await assert_accessible(phone_a, "an event's phone, waiting for the first question")
    await expect(control.locator("#counts .participants")).to_have_text("2", timeout=10_000)

    # Question 1 goes live from the control page; both phones and the projection follow by themselves.
    await question_item(control, q1).get_by_role("button", name="Make live").click()
    await expect_question(audience, q1)
    await assert_accessible(phone_a, "an event's phone, a question live")
    # One person after the other: a push of another's answer wipes a choice not yet sent (see the test below).
    await answer(phone_a, "Great")
    await expect_answers(audience, 1)
    await answer(phone_b, "Hard")
    await expect_answers(audience, 2)
    for phone in phones:
        await expect(phone.locator("#vote-status")).to_contain_text("Answer received")
    await expect_bars(projector, {1: 1, 2: 0, 3: 1})
    await expect(projector.locator("#stage .tally .voters")).to_have_text("2")
    await expect(control.locator("#counts .answers")).to_have_text("2", timeout=10_000)
    await assert_accessible(phone_a, "an event's phone, answered, with the results")
    await assert_accessible(projector, "an event's projection, a question live with its results")
    await assert_accessible(control, "the control view, a question live with its results")

    # Hide and reveal: the projection shows the number of answers only, then the bars again.
    await control.get_by_role("button", name="Hide results").click()
    await expect(projector.locator("#stage .results-hidden")).to_be_visible()
    await expect(projector.locator("#stage .results .bar")).to_have_count(0)
    await expect(projector.locator("#stage .answers .voters")).to_have_text("2")
    for phone in phones:
        await expect(phone.locator("#stage .participant-results")).to_have_count(0)
    await assert_accessible(projector, "an event's projection, the results hidden")
    await control.get_by_role("button", name="Reveal results").click()
    await expect(projector.locator("#stage .results-hidden")).to_have_count(0)
    await expect_bars(projector, {1: 1, 2: 0, 3: 1})

    # The next question: the phones get a fresh ballot; a phone changes its mind; voting is closed by hand.
    await control.get_by_role("button", name="Next question →").click()
    await expect_question(audience, q2)
    for phone in phones:
        await expect(phone.locator("#ballot").get_by_role("button", name="Send answer")).to_be_visible()
        await expect(phone.locator("#vote-status")).not_to_contain_text("Answer received")
        await expect(phone.locator("#ballot input[name=option]:checked")).to_have_count(0)
    await answer(phone_a, "Pizza")
    await expect_answers(audience, 1)
    await answer(phone_b, "Pasta")
    await expect_answers(audience, 2)
    await expect_bars(projector, {1: 1, 2: 1})
    await answer(phone_a, "Pasta")
    await expect_bars(projector, {1: 0, 2: 2})
    await control.get_by_role("button", name="Close voting").click()
    await expect_closed(phones, projector)
    await expect(control.get_by_role("button", name="Open voting")).to_be_visible()
    await assert_accessible(phone_a, "an event's phone, voting closed")
    await assert_accessible(projector, "an event's projection, voting closed")
    await assert_accessible(control, "the control view, voting closed")

    # The last question closes by itself when its countdown runs out.
    await control.get_by_role("button", name="Next question →").click()
    await expect_question(audience, q3)
    q3_code = await phone_a.locator("#ballot input[name=question]").get_attribute("value")
    assert q3_code is not None
    async with httpx.AsyncClient(base_url=stack.url, timeout=10) as http:
        presenter = Presenter(http, {"code": code, "admin_token": token, "questions": []})
        started = time.monotonic()
        await presenter.countdown(q3_code, 3)
        for page in audience:
            await expect(page.locator("#stage .countdown")).to_contain_text(re.compile(r"closes in [1-3] s"))
        await answer(phone_a, "Friday")
        await expect_bars(projector, {1: 0, 2: 1})
        await expect(phone_a.locator("#stage .question-state")).to_contain_text(
            "Voting is closed", timeout=10_000
        )
        closed_after = time.monotonic() - started
        assert 2.5 <= closed_after <= 8, closed_after
        await expect_closed(phones, projector)
        late = await http.post(
            f"/api/polls/{q3_code}/votes", json={"voter": await new_voter(http), "options": [1]}
        )
        assert late.status_code == 409
    for page in audience:
        await expect(page.locator("#stage .countdown")).to_have_count(0)

    # Nothing was reloaded: every page followed over its websocket.
    assert [await still_loaded(page) for page in audience] == [True, True, True]

    # The CSV export, downloaded from the control page's link, has exactly the database's counts.
    async with control.expect_download() as download_info:
        await control.get_by_role("link", name="CSV", exact=True).click()
    download = await download_info.value
    text = await asyncio.to_thread(Path(await download.path()).read_text, "utf-8")
    exported = list(csv.DictReader(io.StringIO(text)))
    counts = await database_counts(database_url, code)
    voters = await database_voters(database_url, code)
    assert {(row["question_code"], int(row["option_id"])): int(row["votes"]) for row in exported} == {
        (question, option): counter
        for question, options in counts.items()
        for option, (counter, _) in options.items()
    }
    assert {row["question_code"]: int(row["voters"]) for row in exported} == voters
    assert all(counter == recount for options in counts.values() for counter, recount in options.values())
    by_position = {int(row["position"]): row["question_code"] for row in exported}
    assert [row["question"] for row in exported if row["question_code"] == by_position[1]] == [q1] * 3
    assert [row["option"] for row in exported if row["question_code"] == by_position[1]] == q1_options
    assert {question: {o: c for o, (c, _) in options.items()} for question, options in counts.items()} == {
        by_position[1]: {1: 1, 2: 0, 3: 1},
        by_position[2]: {1: 0, 2: 2},
        by_position[3]: {1: 0, 2: 1},
    }
    assert {row["question_code"]: row["round_status"] for row in exported} == {
        by_position[1]: "open",  # going on to the next question leaves the previous one open
        by_position[2]: "closed",
        by_position[3]: "closed",
    }
    assert errors == []


async def test_a_phone_keeps_the_choice_it_has_not_sent_yet_while_other_answers_arrive(stack, browser):
    """A room votes at the same time: another person's answer, pushed to every phone, must not undo the
    option this phone has picked but not sent yet (nor turn a change of mind back into the old answer)."""
    errors: list[str] = []
    async with httpx.AsyncClient(base_url=stack.url, timeout=10) as http:
        presenter = await Presenter.create(
            http, "Busy room", [{"question": "Tea?", "options": ["Yes", "No"]}]
        )
        question = presenter.questions[0]
        await presenter.go_live(question)
        phone = await open_page(browser, PHONE, errors)
        await phone.goto(f"{stack.url}/e/{presenter.code}")
        await expect(phone.locator(".live-indicator")).to_have_attribute("data-live", "on")
        await phone.locator("#ballot label.choice").filter(has_text="No").click()
        await vote(stack.url, question, "someone-else-0001", [1])
        await expect_answers([phone], 1)
        await expect(phone.locator("#ballot").get_by_label("No")).to_be_checked()
        await phone.locator("#ballot").get_by_role("button", name="Send answer").click()
        await expect(phone.locator("#vote-status")).to_contain_text("Answer received")
        await expect_answers([phone], 2)

        # A change of mind, not sent yet, while another answer arrives: still the new choice when sent.
        await phone.locator("#ballot label.choice").filter(has_text="Yes").click()
        await vote(stack.url, question, "someone-else-0002", [1])
        await expect_answers([phone], 3)
        await expect(phone.locator("#ballot").get_by_label("Yes")).to_be_checked()
        await phone.locator("#ballot").get_by_role("button", name="Change answer").click()
        await expect(bar(phone, 1)).to_have_attribute("data-votes", "3")
        results = await presenter.results(question)
        assert [option["votes"] for option in results["options"]] == [3, 0]
    assert errors == []


async def test_a_phone_is_not_told_its_answer_was_received_for_a_question_it_did_not_answer(stack, browser):
    """The presenter goes back to an answered question and then on to one the phone has not answered:
    the phone must offer a fresh ballot, not claim that an answer was received."""
    errors: list[str] = []
    async with httpx.AsyncClient(base_url=stack.url, timeout=10) as http:
        presenter = await Presenter.create(
            http,
            "Going back",
            [{"question": question, "options": options} for question, options in QUESTIONS],
        )
        first, second = presenter.questions[:2]
        phone = await open_page(browser, PHONE, errors)
        await phone.goto(f"{stack.url}/e/{presenter.code}")
        await expect(phone.locator(".live-indicator")).to_have_attribute("data-live", "on")
        await presenter.go_live(first)
        await expect_question([phone], QUESTIONS[0][0])
        await answer(phone, "Fine")
        await expect(phone.locator("#vote-status")).to_contain_text("Answer received")

        await presenter.go_live(second)
        await expect_question([phone], QUESTIONS[1][0])
        await expect(phone.locator("#vote-status")).not_to_contain_text("Answer received")

        await presenter.go_live(first)  # back to the answered question: the answer is shown again
        await expect_question([phone], QUESTIONS[0][0])
        await expect(phone.locator("#vote-status")).to_contain_text("Answer received")
        await expect(phone.locator("#ballot").get_by_label("Fine")).to_be_checked()

        await presenter.go_live(second)  # on to the unanswered one again
        await expect_question([phone], QUESTIONS[1][0])
        await expect(phone.locator("#ballot").get_by_role("button", name="Send answer")).to_be_visible()
        await expect(phone.locator("#vote-status")).not_to_contain_text("Answer received")
    assert errors == []


async def test_the_participant_page_follows_the_phone_language(stack, browser):
    """A phone set to German gets the page in German (the words are the catalog's business) and it works,
    up to voting closed and the event ended."""
    errors: list[str] = []
    async with httpx.AsyncClient(base_url=stack.url, timeout=10) as http:
        presenter = await Presenter.create(
            http, "Umfrage", [{"question": "Kaffee oder Tee?", "options": ["Kaffee", "Tee"]}]
        )
        phone = await open_page(browser, PHONE, errors, locale="de-DE")
        await phone.goto(f"{stack.url}/{presenter.code}")
        await expect(phone.locator("html")).to_have_attribute("lang", "de")
        await expect(phone.locator(".live-indicator")).to_have_attribute("data-live", "on")
        await mark_loaded(phone)
        await assert_accessible(phone, "an event's phone in German, waiting for the first question")
        await presenter.go_live(presenter.questions[0])
        await expect(phone.locator("#live-question")).to_have_text("Kaffee oder Tee?")
        await assert_accessible(phone, "an event's phone in German, a question live")
        await phone.locator("#ballot label.choice").filter(has_text="Tee").click()
        await phone.locator("#ballot button[type=submit]").click()
        await expect(phone.locator("#vote-status .notice.received")).to_be_visible()
        results = await presenter.results(presenter.questions[0])
        assert [o["votes"] for o in results["options"]] == [0, 1]
        await expect(phone.locator("#stage .results .bar[data-option='2']")).to_have_attribute(
            "data-votes", "1"
        )
        await assert_accessible(phone, "an event's phone in German, answered")
        await presenter.act(presenter.questions[0], "close")
        await expect(phone.locator("#vote-status")).to_contain_text("Die Abstimmung ist geschlossen.")
        await assert_accessible(phone, "an event's phone in German, voting closed")
        await presenter.call("POST", "/end")
        await expect(phone.locator("#stage")).to_contain_text("Diese Veranstaltung ist beendet.")
        await assert_accessible(phone, "an event's phone in German, the event ended")
        assert await still_loaded(phone)
    assert errors == []


async def test_screenshots_of_every_event_view_on_a_phone_and_a_big_screen(stack, browser, artifacts):
    shots = artifacts / "screenshots"
    shots.mkdir(exist_ok=True)
    errors: list[str] = []
    async with httpx.AsyncClient(base_url=stack.url, timeout=10) as http:
        presenter = await Presenter.create(
            http,
            "All-hands, November",
            [
                {"question": "How was your week?", "options": ["Great", "Fine", "Hard"]},
                {
                    "question": "Which of these should we tackle first next quarter?",
                    "options": ["Onboarding", "Build times", "On-call load", "Documentation"],
                    "kind": "multiple",
                    "max_choices": 2,
                    "visibility": "after_close",
                },
                {"question": "Pizza or pasta?", "options": ["Pizza", "Pasta"], "visibility": "presenter"},
            ],
        )
        first = presenter.questions[0]
        await presenter.go_live(first)
        for i, option in enumerate([1, 1, 1, 2, 2, 3, 1, 2, 1]):
            await vote(stack.url, first, f"screenshot-{i:03d}", [option])
        await presenter.countdown(first, 60)

    event_url = f"{stack.url}/e/{presenter.code}"
    shots_to_take = [
        ("participant", "phone", PHONE, event_url),
        ("participant", "projector", PROJECTOR, event_url),
        ("present", "phone", PHONE, f"{event_url}/present"),
        ("present", "projector", PROJECTOR, f"{event_url}/present"),
        ("control", "phone", PHONE, f"{event_url}/control?token={presenter.token}"),
        ("control", "laptop", LAPTOP, f"{event_url}/control?token={presenter.token}"),
    ]
    for view, size_name, size, url in shots_to_take:
        page = await open_page(browser, size, errors)
        await page.goto(url)
        await expect(page.locator(".live-indicator")).to_have_attribute("data-live", "on")
        if view == "participant":
            await answer(page, "Fine")
            await expect(page.locator("#vote-status")).to_contain_text("Answer received")
        if view == "control":  # the two participant pages are still open
            await expect(page.locator("#counts .participants")).to_have_text("2", timeout=10_000)
        await expect(page.locator(".countdown").first).to_contain_text(re.compile(r"\d+ s"))
        await assert_accessible(page, f"an event's {view} view on a {size_name}, a countdown running")
        await page.screenshot(path=shots / f"event-{view}-{size_name}.png", full_page=True)
    assert errors == []
