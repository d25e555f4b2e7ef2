"""Helpers for the end-to-end tests of events: the presenter's API calls, the database's view of an event,
pages in their own browser contexts, and a reconnecting JSON screen of an event's live socket."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import Any

import asyncpg
import httpx
from playwright.async_api import Browser, ConsoleMessage, Page, expect

from tests.e2e.clients import Screen

ANY = object()  # a screen may show any results


def refused_by_policy(message: ConsoleMessage) -> bool:
    """A console message saying the page's Content-Security-Policy refused something it tried to run."""
    return message.type == "error" and "Content Security Policy" in message.text


class Presenter:
    """The presenter's side of the JSON API: one event, its admin token, and retries of its own calls."""

    def __init__(self, http: httpx.AsyncClient, created: dict) -> None:
        self.http = http
        self.code: str = created["code"]
        self.token: str = created["admin_token"]
        self.questions: list[str] = [q["code"] for q in created["questions"]]
        self.failed_attempts = 0
        self.errors: list[str] = []
        self.served_by: str | None = None  # the replica that answered the last call

    @classmethod
    async def create(cls, http: httpx.AsyncClient, title: str, questions: list[dict]) -> Presenter:
        response = await http.post("/api/events", json={"title": title, "questions": questions})
        assert response.status_code == 201, response.text
        return cls(http, response.json())

    async def call(self, method: str, path: str, body: dict | None = None, attempts: int = 20) -> dict:
        """One admin call; a failed attempt is retried (every admin call is safe to repeat)."""
        for _ in range(attempts):
            try:
                response = await self.http.request(
                    method,
                    f"/api/events/{self.code}{path}",
                    json=body,
                    headers={"Authorization": f"Bearer {self.token}"},
                )
                if response.status_code == 200:
                    self.served_by = response.headers.get("X-Instance")
                    return response.json()
                self.errors.append(f"{response.status_code} {response.text[:100]}")
            except httpx.HTTPError as exc:
                self.errors.append(type(exc).__name__)
            self.failed_attempts += 1
            await asyncio.sleep(0.1)
        raise AssertionError(f"{method} {path} failed {attempts} times: {self.errors[-3:]}")

    async def results(self, question: str) -> dict:
        """A question's results as its presenter reads them (the poll API seals them from anyone else)."""
        response = await self.http.get(
            f"/api/polls/{question}/results", headers={"Authorization": f"Bearer {self.token}"}
        )
        assert response.status_code == 200, response.text
        return response.json()

    async def go_live(self, question: str | None) -> dict:
        return await self.call("PUT", "/live", {"question": question, "open": True})

    async def act(self, question: str, action: str) -> dict:
        return await self.call("POST", f"/questions/{question}/{action}")

    async def countdown(self, question: str, seconds: int) -> dict:
        return await self.call("POST", f"/questions/{question}/countdown", {"seconds": seconds})

    async def event(self) -> dict:
        return await self.call("GET", "")


async def database_counts(database_url: str, event: str) -> dict[str, dict[int, tuple[int, int]]]:
    """Per question code of the event, per option: (the option's counter, a recount from the ballots)."""
    connection = await asyncpg.connect(database_url)
    try:
        rows = await connection.fetch(
            """SELECT p.code, o.id, o.votes,
                      (SELECT count(*) FROM ballots b WHERE b.poll_id = p.id AND o.id = ANY (b.option_ids))
                        AS recount
               FROM events e JOIN polls p ON p.event_id = e.id JOIN options o ON o.poll_id = p.id
               WHERE e.code = $1 ORDER BY p.position, o.id""",
            event,
        )
    finally:
        await connection.close()
    counts: dict[str, dict[int, tuple[int, int]]] = {}
    for row in rows:
        counts.setdefault(row["code"], {})[row["id"]] = (row["votes"], row["recount"])
    return counts


async def database_voters(database_url: str, event: str) -> dict[str, int]:
    """Per question code of the event: how many ballots it holds."""
    connection = await asyncpg.connect(database_url)
    try:
        rows = await connection.fetch(
            """SELECT p.code, count(b.voter) AS voters FROM events e JOIN polls p ON p.event_id = e.id
               LEFT JOIN ballots b ON b.poll_id = p.id WHERE e.code = $1 GROUP BY p.code""",
            event,
        )
    finally:
        await connection.close()
    return {row["code"]: row["voters"] for row in rows}


async def open_page(browser: Browser, viewport: dict, errors: list[str], **context: Any) -> Page:
    """A page in its own browser context (its own cookies: its own voter); script errors go to `errors`.

    A variant of test_browser.new_page that takes context options (a locale) and collects page errors
    for the test to assert on, instead of failing inside Playwright's event callback."""
    browser_context = await browser.new_context(viewport=viewport, **context)
    page = await browser_context.new_page()
    page.on("pageerror", lambda error: errors.append(f"{page.url}: {error}"))
    page.on(
        "console", lambda message: refused_by_policy(message) and errors.append(f"{page.url}: {message.text}")
    )
    return page


async def mark_loaded(page: Page) -> None:
    """A marker that a reload would wipe: each page asserts at the end that it still has it."""
    await page.evaluate("window.__notReloaded = true")


async def still_loaded(page: Page) -> bool:
    return await page.evaluate("window.__notReloaded === true")


@dataclass
class EventScreen(Screen):
    """A reconnecting JSON client of /api/events/{code}/live (drops and versions are kept by Screen)."""

    def shows_event(self, question: str | None, results: Any = ANY, answers: int | None = None) -> bool:
        """Whether the last message shows this question (a code or None) with these results (a dict, None
        while hidden, or ANY) and this number of answers (None: any)."""
        last = self.last
        if not last:
            return False
        shown = last["question"]["code"] if last["question"] else None
        if shown != question or (results is not ANY and last["results"] != results):
            return False
        return answers is None or last["answers"] == answers


async def wait_until_screens_show(
    screens: list[EventScreen],
    question: str | None,
    results: Any = ANY,
    answers: int | None = None,
    within: float = 15.0,
) -> float:
    """Wait until every screen shows this question with these results; returns the seconds it took."""
    start = time.monotonic()
    try:
        async with asyncio.timeout(within):
            while not all(screen.shows_event(question, results, answers) for screen in screens):
                await asyncio.sleep(0.02)
    except TimeoutError:
        wrong = [s.last for s in screens if not s.shows_event(question, results, answers)]
        raise AssertionError(
            f"{len(wrong)} of {len(screens)} screens never showed question {question} with results "
            f"{'(any)' if results is ANY else results} and answers {answers}; one shows {wrong[0]}"
        ) from None
    return time.monotonic() - start


async def fill_event_form(
    page: Page, title: str, questions: list[tuple[str, list[str]]], visibility: str | None = None
) -> None:
    """Fill in the home page's event form: its title and each question with its options (one more question
    asked for with "Add another question", which puts the cursor in it), and who sees each one's results."""
    await page.locator("#event-title").fill(title)
    for n, (question, options) in enumerate(questions, start=1):
        field = page.locator(f"#event-question-{n}")
        if await field.count() == 0:
            await page.locator("#event-questions > button").click()
            await expect(field).to_be_focused()
        await field.fill(question)
        await page.locator(f"#event-options-{n}").fill("\n".join(options))
        if visibility is not None:
            await page.locator(f'select[name="visibility-{n}"]').select_option(visibility)
