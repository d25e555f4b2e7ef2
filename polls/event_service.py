"""The use cases of events: create and edit them, and drive them live. Every change commits first, then
publishes the event's new state (and the touched question's results) for every screen."""

from __future__ import annotations

import logging
from typing import Any

from polls.domain import (
    clean_text,
    code_or_not_found,
    hash_token,
    new_admin_token,
    new_join_code,
    normalise_code,
    token_matches,
)
from polls.errors import EventNotFound, Forbidden, InvalidInput, PollNotFound
from polls.event import (
    TITLE_MAX,
    Event,
    EventView,
    parse_countdown,
    parse_new_event,
    parse_new_question,
    parse_order,
)
from polls.service import Publisher
from polls.store.events import EventStore
from polls.store.polls import CodeTaken, PollStore

log = logging.getLogger("polls.events")


class EventService:
    def __init__(self, store: EventStore, polls: PollStore, publisher: Publisher) -> None:
        self.store = store
        self.polls = polls
        self.publisher = publisher

    async def create_event(self, body: Any) -> tuple[Event, str]:
        """Validate and store a new event with its questions; returns it with its admin token."""
        new = parse_new_event(body)
        token = new_admin_token()
        for _ in range(10):
            code = new_join_code()
            try:
                await self.store.create_event(code, hash_token(token), new, new_join_code)
            except CodeTaken:
                continue
            return await self.store.get_event(code), token
        raise RuntimeError("could not draw a free join code in 10 attempts")

    async def get_event(self, raw_code: str) -> Event:
        return await self.store.get_event(self._code(raw_code))

    async def view(self, raw_code: str) -> EventView:
        return await self.store.view(self._code(raw_code))

    async def check_admin(self, raw_code: str, token: str | None) -> str:
        code = self._code(raw_code)
        if not token_matches(await self.store.admin_hash(code), token):
            raise Forbidden()
        return code

    async def set_title(self, raw_code: str, token: str | None, body: Any) -> Event:
        code = await self.check_admin(raw_code, token)
        if not isinstance(body, dict):
            raise InvalidInput("The body must be a JSON object.")
        await self.store.set_title(code, clean_text(body.get("title"), "title", TITLE_MAX))
        return await self._published(code)

    async def add_question(self, raw_code: str, token: str | None, body: Any) -> Event:
        code = await self.check_admin(raw_code, token)
        await self.store.add_question(code, parse_new_question(body), new_join_code)
        return await self._published(code)

    async def edit_question(self, raw_code: str, token: str | None, question: str, body: Any) -> Event:
        code = await self.check_admin(raw_code, token)
        question = self._question(question)
        await self.store.edit_question(code, question, parse_new_question(body))
        return await self._published(code, question)

    async def delete_question(self, raw_code: str, token: str | None, question: str) -> Event:
        code = await self.check_admin(raw_code, token)
        await self.store.delete_question(code, self._question(question))
        return await self._published(code)

    async def reorder(self, raw_code: str, token: str | None, order: Any) -> Event:
        code = await self.check_admin(raw_code, token)
        event = await self.store.get_event(code)
        await self.store.reorder(code, parse_order(order, event.questions))
        return await self._published(code)

    async def set_live(
        self, raw_code: str, token: str | None, question: Any, open_voting: bool = True
    ) -> Event:
        """Put a question on every screen (None: none, e.g. before the first); opens its voting by default."""
        code = await self.check_admin(raw_code, token)
        if question is not None:
            if not isinstance(question, str):
                raise InvalidInput("question must be a question code or null.")
            question = self._question(question)
        await self.store.set_live(code, question)
        if question is not None and open_voting:
            await self.store.set_status(code, question, "open")
        return await self._published(code, question)

    async def set_status(self, raw_code: str, token: str | None, question: str, status: str) -> Event:
        code = await self.check_admin(raw_code, token)
        if status not in ("open", "closed"):
            raise InvalidInput("status must be 'open' or 'closed'.")
        question = self._question(question)
        await self.store.set_status(code, question, status)
        return await self._published(code, question)

    async def set_revealed(self, raw_code: str, token: str | None, question: str, revealed: Any) -> Event:
        code = await self.check_admin(raw_code, token)
        if not isinstance(revealed, bool):
            raise InvalidInput("revealed must be true or false.")
        question = self._question(question)
        await self.store.set_revealed(code, question, revealed)
        return await self._published(code, question)

    async def start_countdown(self, raw_code: str, token: str | None, question: str, seconds: Any) -> Event:
        code = await self.check_admin(raw_code, token)
        question = self._question(question)
        await self.store.start_countdown(code, question, parse_countdown(seconds))
        return await self._published(code, question)

    async def reset(self, raw_code: str, token: str | None, question: str) -> Event:
        code = await self.check_admin(raw_code, token)
        question = self._question(question)
        await self.store.reset(code, question)
        return await self._published(code, question)

    async def export(self, raw_code: str, token: str | None) -> list[dict[str, Any]]:
        code = await self.check_admin(raw_code, token)
        return await self.store.export_rows(code)

    async def close_expired(self) -> int:
        """Close the questions whose countdown ran out, and tell every screen; returns how many."""
        closed = await self.store.close_expired()
        for event_code, poll_code in closed:
            await self._published(event_code, poll_code)
        return len(closed)

    async def _published(self, code: str, question: str | None = None) -> Event:
        """The event as changed; its state and the touched question's results are published once the change
        committed (at once outside a unit of work, else when it commits)."""
        try:
            results = await self.polls.results(question) if question is not None else None
            view = await self.store.view(code)
        except EventNotFound:
            raise
        except Exception as exc:  # committed already: the screens catch up on the next change
            log.warning("snapshot of event %s after commit failed: %s", code, exc)
            return await self.store.get_event(code)

        async def publish() -> None:
            if results is not None:
                await self.publisher.publish(results)
            await self.publisher.publish(view)

        await self.store.database.after_commit(publish)
        return view.event

    @staticmethod
    def _code(raw_code: str) -> str:
        return code_or_not_found(raw_code, EventNotFound)

    @staticmethod
    def _question(raw_code: str) -> str:
        """A question's poll code as stored; text that cannot be a code (NUL, say) never reaches SQL."""
        code = normalise_code(raw_code)
        if code is None:
            raise PollNotFound("There is no question with that code in this event.")
        return code
