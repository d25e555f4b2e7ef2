"""Fakes of the store for service tests in milliseconds (as cosmicpython's FakeRepository and
FakeUnitOfWork): the same methods as polls.store, over dictionaries. A unit of work keeps a copy of the
state and puts it back if the use case fails, and runs what was registered after commit only once the
unit ends well, so a test sees what was published, when, and what a failure left behind. The real stores
are tested on PostgreSQL (tests/integration)."""

from __future__ import annotations

import copy
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import replace
from typing import Any

from polls.domain import Ballot, Committed, NewPoll, Option, OptionResult, Poll, Results, new_join_code
from polls.errors import Conflict, EventNotFound, PollClosed, PollNotFound
from polls.event import Event, EventView, NewEvent, NewQuestion, Question


class FakeDatabase:
    """The unit of work: commits count, a failure rolls the stores' state back."""

    def __init__(self) -> None:
        self.stores: list[Any] = []
        self.commits = 0
        self._after: list[Callable[[], Awaitable[None]]] | None = None

    @asynccontextmanager
    async def unit(self) -> AsyncIterator[None]:
        if self._after is not None:  # joined: the caller's unit commits
            yield
            return
        saved = [copy.deepcopy(store.state) for store in self.stores]
        self._after = []
        try:
            yield
        except BaseException:
            for store, state in zip(self.stores, saved, strict=True):
                store.state = state
            self._after = None
            raise
        callbacks, self._after = self._after, None
        self.commits += 1
        for callback in callbacks:
            await callback()

    async def after_commit(self, callback: Callable[[], Awaitable[None]]) -> None:
        if self._after is None:
            await callback()
        else:
            self._after.append(callback)


class Publisher:
    """The bus, as the services see it: what they published, in order."""

    def __init__(self) -> None:
        self.published: list[Any] = []

    async def publish(self, snapshot: Any) -> None:
        self.published.append(snapshot)


class FakePollStore:
    def __init__(self, database: FakeDatabase) -> None:
        self.database = database
        database.stores.append(self)
        self.state: dict[str, Any] = {
            "polls": {},
            "hashes": {},
            "event_hashes": {},
            "ballots": {},
            "versions": {},
            "revealed": {},
            "rounds": {},
        }
        self.reads = 0  # get_poll calls: what the service's cache saves

    def add(self, poll: Poll, admin_hash: str = "", event_hash: str | None = None) -> Poll:
        self.state["polls"][poll.code] = poll
        self.state["hashes"][poll.code] = admin_hash
        self.state["ballots"][poll.code] = {}
        self.state["versions"][poll.code] = 0
        self.state["revealed"][poll.code] = False
        self.state["rounds"][poll.code] = 1
        if event_hash is not None:
            self.state["event_hashes"][poll.code] = event_hash
        return poll

    async def create_poll(self, admin_hash: str, new: NewPoll) -> Poll:
        options = tuple(Option(i, label) for i, label in enumerate(new.labels, start=1))
        return self.add(
            Poll(new_join_code(), new.question, new.kind, new.max_choices, "open", options), admin_hash
        )

    def _poll(self, code: str) -> Poll:
        if code not in self.state["polls"]:
            raise PollNotFound()
        return self.state["polls"][code]

    async def get_poll(self, code: str) -> Poll:
        self.reads += 1
        return self._poll(code)

    async def admin_hash(self, code: str) -> str:
        self._poll(code)
        return self.state["hashes"][code]

    async def event_admin_hash(self, code: str) -> str:
        if code not in self.state["event_hashes"]:
            raise PollNotFound()
        return self.state["event_hashes"][code]

    async def set_status(self, code: str, status: str) -> int:
        self.state["polls"][code] = replace(self._poll(code), status=status)
        self.state["versions"][code] += 1
        return self.state["versions"][code]

    async def set_revealed(self, code: str, revealed: bool) -> None:
        self._poll(code)
        self.state["revealed"][code] = revealed

    async def reset(self, code: str) -> None:
        self.state["ballots"][code] = {}
        self.state["rounds"][code] += 1
        await self.set_status(code, "open")

    async def cast_ballots(self, code: str, ballots: list[Ballot]) -> Committed:
        if self._poll(code).status != "open":
            raise PollClosed()
        for ballot in ballots:
            self.state["ballots"][code][ballot.voter] = ballot.answer
        self.state["versions"][code] += 1
        return Committed(await self.results(code))

    async def choices_of(self, code: str, voter: str) -> tuple[int, ...]:
        return self.state["ballots"].get(code, {}).get(voter, ())

    async def voters_with_ballots(self, code: str, voters: set[str]) -> set[str]:
        return voters & set(self.state["ballots"].get(code, {}))

    async def results(self, code: str) -> Results:
        poll, ballots = self._poll(code), self.state["ballots"][code]
        counts = [OptionResult(o.id, o.label, sum(o.id in c for c in ballots.values())) for o in poll.options]
        return Results(code, self.state["versions"][code], len(ballots), poll.status, tuple(counts))


class FakeEventStore:
    """Events over the poll store's questions (an event's question is a poll there too)."""

    def __init__(self, database: FakeDatabase, polls: FakePollStore) -> None:
        self.database = database
        database.stores.append(self)
        self.polls = polls
        self.state: dict[str, Any] = {"events": {}, "hashes": {}, "locks": 0}

    def _event(self, code: str) -> Event:
        if code not in self.state["events"]:
            raise EventNotFound()
        event: Event = self.state["events"][code]
        polls = self.polls.state
        questions = tuple(
            replace(
                q,
                poll=polls["polls"][q.code],
                revealed=polls["revealed"][q.code],
                round=polls["rounds"][q.code],
            )
            for q in event.questions
        )
        return replace(event, questions=questions)

    def _change(self, code: str, **changes: Any) -> None:
        event = self._event(code)
        self.state["events"][code] = replace(event, version=event.version + 1, **changes)

    def _replace_question(self, code: str, question: str, **changes: Any) -> None:
        event = self._event(code)
        if event.question(question) is None:
            raise PollNotFound("There is no question with that code in this event.")
        questions = tuple(replace(q, **changes) if q.code == question else q for q in event.questions)
        self._change(code, questions=questions)

    async def touch(self, code: str, question: str) -> None:
        self._replace_question(code, question)

    async def create_event(self, admin_hash: str, new: NewEvent) -> str:
        code = new_join_code()
        self.state["events"][code] = Event(code, new.title, 1, None, ())
        self.state["hashes"][code] = admin_hash
        for question in new.questions:
            await self.add_question(code, question)
        return code

    async def admin_hash(self, code: str) -> str:
        self._event(code)
        return self.state["hashes"][code]

    async def exists(self, code: str) -> None:
        self._event(code)

    async def lock(self, code: str) -> None:
        self._event(code)
        self.state["locks"] += 1

    async def get_event(self, code: str) -> Event:
        return self._event(code)

    async def view(self, code: str) -> EventView:
        event = self._event(code)
        return EventView(event, await self.polls.results(event.live) if event.live else None)

    async def set_title(self, code: str, title: str) -> None:
        self._change(code, title=title)

    async def add_question(self, code: str, new: NewQuestion) -> str:
        event = self._event(code)
        options = tuple(Option(i, label) for i, label in enumerate(new.poll.labels, start=1))
        poll = Poll(
            new_join_code(), new.poll.question, new.poll.kind, new.poll.max_choices, "closed", options, True
        )
        self.polls.add(poll, event_hash=self.state["hashes"][code])
        question = Question(poll, len(event.questions) + 1, new.visibility, False, None, 1)
        self._change(code, questions=(*event.questions, question))
        return poll.code

    async def edit_question(self, code: str, question: str, new: NewQuestion) -> None:
        if self.polls.state["ballots"].get(question):
            raise Conflict("This question has votes in its current round; reset it before editing it.")
        old = self.polls._poll(question)
        options = tuple(Option(i, label) for i, label in enumerate(new.poll.labels, start=1))
        poll = replace(
            old,
            question=new.poll.question,
            kind=new.poll.kind,
            max_choices=new.poll.max_choices,
            options=options,
        )
        self.polls.state["polls"][question] = poll
        self._replace_question(code, question, poll=poll, visibility=new.visibility)

    async def delete_question(self, code: str, question: str) -> None:
        event = self._event(code)
        self._change(code, questions=tuple(q for q in event.questions if q.code != question))

    async def reorder(self, code: str, order: list[str]) -> None:
        by_code = {q.code: q for q in self._event(code).questions}
        self._change(
            code, questions=tuple(replace(by_code[c], position=i) for i, c in enumerate(order, start=1))
        )

    async def set_live(self, code: str, question: str | None) -> None:
        if question is not None:
            self._replace_question(code, question)
            self._change(code, live=question, ended=False)
        else:
            self._change(code, live=None)

    async def end(self, code: str) -> None:
        for question in self._event(code).questions:
            if self.polls.state["polls"][question.code].status == "open":
                await self.polls.set_status(question.code, "closed")
        self._change(code, live=None, ended=True)

    async def start_countdown(self, code: str, question: str, seconds: int) -> None:
        self._replace_question(code, question)
        await self.polls.set_status(question, "open")

    async def close_expired(self) -> list[tuple[str, str]]:
        return []

    async def export_rows(self, code: str) -> list[dict[str, Any]]:
        return []
