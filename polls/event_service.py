"""The use cases of events: create and edit them, and drive them live.

Each use case takes values the web layer parsed (NewEvent, NewQuestion, an Action) and, for the presenter's,
an EventAdmin: the proof, made by authorise(), that the caller holds the event's admin token. Each runs in
one unit of work (one transaction: its reads and its writes), and publishes the event's new state (and the
touched question's results) for every screen once that committed."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from polls.domain import Action, code_or_not_found, hash_token, new_admin_token, normalise_code, token_matches
from polls.errors import N_, EventNotFound, Forbidden, InvalidInput, NotInEvent, QuestionNotFound
from polls.event import Event, EventView, NewEvent, NewQuestion, check_order
from polls.kinds import kind_of
from polls.service import PollService, Publisher
from polls.store.events import EventStore

log = logging.getLogger("polls.events")


@dataclass(frozen=True)
class EventAdmin:
    """An event whose admin token the caller has shown: what every presenter's use case takes."""

    code: str


class EventService:
    def __init__(self, store: EventStore, questions: PollService, publisher: Publisher) -> None:
        self.store = store
        self.questions = questions  # an event's question is a poll: its actions, votes and results are theirs
        self.publisher = publisher

    async def authorise(self, raw_code: str, token: str | None) -> EventAdmin:
        code = self._code(raw_code)
        if not token_matches(await self.store.admin_hash(code), token):
            raise Forbidden()
        return EventAdmin(code)

    async def create_event(self, new: NewEvent) -> tuple[Event, str]:
        """Store a new event with its questions; returns it with its admin token (shown once, kept hashed)."""
        token = new_admin_token()
        async with self.store.database.unit():
            code = await self.store.create_event(hash_token(token), new)
            return await self.store.get_event(code), token

    async def event_code(self, raw_code: str) -> str:
        """The event's code as stored, if there is such an event (EventNotFound otherwise)."""
        code = self._code(raw_code)
        await self.store.exists(code)
        return code

    async def get_event(self, raw_code: str) -> Event:
        return await self.store.get_event(self._code(raw_code))

    async def view(self, raw_code: str) -> EventView:
        return await self.store.view(self._code(raw_code))

    async def set_title(self, admin: EventAdmin, title: str) -> Event:
        async with self.store.database.unit():
            await self.store.set_title(admin.code, title)
            return await self._published(admin.code)

    async def add_question(self, admin: EventAdmin, new: NewQuestion) -> Event:
        async with self.store.database.unit():
            await self.store.add_question(admin.code, new)
            return await self._published(admin.code)

    async def edit_question(self, admin: EventAdmin, question: str, new: NewQuestion) -> Event:
        question = self._question(question)
        async with self.store.database.unit():
            await self.store.edit_question(admin.code, question, new)
            return await self._published(admin.code, question)

    async def delete_question(self, admin: EventAdmin, question: str) -> Event:
        async with self.store.database.unit():
            await self.store.delete_question(admin.code, self._question(question))
            return await self._published(admin.code)

    async def reorder(self, admin: EventAdmin, order: list[str]) -> Event:
        """Put the questions in this order (their codes, each exactly once)."""
        async with self.store.database.unit():
            await self.store.lock(admin.code)
            event = await self.store.get_event(admin.code)
            await self.store.reorder(admin.code, check_order(order, event.questions))
            return await self._published(admin.code)

    async def move(self, admin: EventAdmin, question: str, step: int) -> Event:
        """Move a question one place up (-1) or down (+1); at either end it stays."""
        async with self.store.database.unit():
            await self.store.lock(admin.code)
            order = [q.code for q in (await self.store.get_event(admin.code)).questions]
            if question not in order:
                raise NotInEvent()
            i = order.index(question)
            j = i + step
            if 0 <= j < len(order):
                order[i], order[j] = order[j], order[i]
            await self.store.reorder(admin.code, order)
            return await self._published(admin.code)

    async def set_live(self, admin: EventAdmin, question: str | None, open_voting: bool = True) -> Event:
        """Put a question on every screen (None: none, e.g. before the first). Its voting opens, by default,
        unless it was closed with votes in its round: going back to an answered question shows it as it
        ended, and the presenter reopens it (or starts a new round) on purpose."""
        question = self._question(question) if question is not None else None
        async with self.store.database.unit():
            await self.store.set_live(admin.code, question)
            if question is not None and open_voting:
                tally = await self.questions.store.results(question)
                # A quiz question waits for the presenter to start its clock.
                if not kind_of(tally.kind).timed and (tally.status == "open" or tally.voters == 0):
                    await self.questions.apply(question, Action.OPEN)
            return await self._published(admin.code, question)

    async def undo(self, admin: EventAdmin) -> Event:
        """Undo the latest Delete or New round, within UNDO_SECONDS of it (the control view offers it)."""
        async with self.store.database.unit():
            question = await self.store.undo(admin.code)
            return await self._published(admin.code, question)

    async def forget_undo(self) -> None:
        await self.store.forget_undo()

    async def end(self, admin: EventAdmin) -> Event:
        """End the event for everyone: its questions close, none is live, every screen shows the end."""
        async with self.store.database.unit():
            await self.store.end(admin.code)
            return await self._published(admin.code)

    async def act(self, admin: EventAdmin, question: str, action: Action) -> Event:
        """Open or close voting, reveal or hide the results, or start a new round."""
        question = self._question(question)
        async with self.store.database.unit():
            await self.store.touch(admin.code, question)
            await self.questions.apply(question, action)
            return await self._published(admin.code, question)

    async def moderate(self, admin: EventAdmin, question: str, entry: Any, action: str) -> Event:
        """Show or hide one entry of a question's word cloud or open text."""
        question = self._question(question)
        async with self.store.database.unit():
            await self.store.touch(admin.code, question)
            await self.questions.store.moderate(question, entry, action)
            return await self._published(admin.code, question)

    async def start_countdown(self, admin: EventAdmin, question: str, seconds: int) -> Event:
        question = self._question(question)
        if kind_of((await self.questions.store.results(question)).kind).timed:
            raise InvalidInput(
                N_("A quiz question runs for its own time limit: start it instead."),
                code="countdown_not_for_quiz",
            )
        async with self.store.database.unit():
            await self.store.start_countdown(admin.code, question, seconds)
            return await self._published(admin.code, question)

    async def export(self, admin: EventAdmin) -> list[dict[str, Any]]:
        return await self.store.export_rows(admin.code)

    async def close_expired(self) -> int:
        """Close the questions whose countdown ran out, and tell every screen; returns how many."""
        async with self.store.database.unit():
            closed = await self.store.close_expired()
            for event_code, poll_code in closed:
                await self._published(event_code, poll_code)
        return len(closed)

    async def _published(self, code: str, question: str | None = None) -> Event:
        """Inside the use case's unit of work: the event as changed. Its state and the touched question's
        results, read in the same transaction, are published once it committed."""
        results = await self.questions.store.results(question) if question is not None else None
        view = await self.store.view(code)

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
            raise QuestionNotFound()
        return code
