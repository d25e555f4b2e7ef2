"""The use cases of polls. Each takes values the web layer parsed (NewPoll, Ballot, an Action) and, for the
presenter's, a PollAdmin (the proof that the caller holds the poll's admin token); each runs in one unit of
work and publishes after it committed."""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any, Protocol

from polls.batcher import BallotBatcher
from polls.domain import (
    Action,
    Ballot,
    NewPoll,
    Poll,
    Results,
    VoterNotIssued,
    code_or_not_found,
    hash_token,
    new_admin_token,
    token_matches,
)
from polls.errors import N_, EventQuestion, Forbidden, InvalidInput, PollNotFound, ResultsSealed
from polls.kinds import Answer, kind_of
from polls.store.polls import PollStore
from polls.voters import VoterIds

log = logging.getLogger("polls.service")


class Publisher(Protocol):
    async def publish(self, snapshot: Any) -> None: ...


@dataclass(frozen=True)
class PollAdmin:
    """A standalone poll whose admin token the caller has shown."""

    code: str


class PollService:
    def __init__(
        self, store: PollStore, publisher: Publisher, voter_ids: VoterIds, cached_polls: int = 10_000
    ) -> None:
        self.store = store
        self.publisher = publisher
        self.voter_ids = voter_ids
        # A poll's question and options never change, so validating a ballot needs no query.
        self._polls: OrderedDict[str, Poll] = OrderedDict()
        self._reading: dict[str, asyncio.Event] = {}  # polls being read into the cache, set once read
        self._cached_polls = cached_polls
        self._batcher = BallotBatcher(store.cast_ballots, publisher.publish)

    async def create_poll(self, new: NewPoll) -> tuple[Poll, str]:
        """Store a new poll; returns it with its admin token (shown once, stored hashed)."""
        if kind_of(new.kind).timed:
            raise InvalidInput(
                N_("A quiz question is asked in an event, which keeps its scores: create an event with it."),
                code="kind_event_only",
            )
        token = new_admin_token()
        return await self.store.create_poll(hash_token(token), new), token

    async def get_poll(self, raw_code: str) -> Poll:
        return await self.store.get_poll(self._code(raw_code))

    async def standalone_poll(self, raw_code: str) -> Poll:
        """A poll that is not a question of an event, as it is now: the poll's own pages show its results
        to anyone, which an event's rules may forbid (EventQuestion, a 404, otherwise)."""
        poll = await self.store.get_poll(self._code(raw_code))
        if poll.in_event:
            raise EventQuestion()
        return poll

    async def check_standalone(self, code: str) -> None:
        """The same check for a poll's sockets, from the cache (being an event's question never changes)."""
        if (await self._cached_poll(self._code(code))).in_event:
            raise EventQuestion()

    async def results(self, raw_code: str, event_token: str | None = None) -> Results:
        """A poll's results: public for a standalone poll; for a question of an event, only for its
        presenter (the event's admin token), since the event's rules decide who sees them."""
        code = self._code(raw_code)
        poll = await self._cached_poll(code)
        if poll.in_event and not token_matches(await self.store.event_admin_hash(code), event_token):
            raise ResultsSealed()
        return await self.store.results(code)

    async def voters_with_ballots(self, code: str, voters: set[str]) -> set[str]:
        return await self.store.voters_with_ballots(code, voters)

    async def choices_of(self, raw_code: str, voter: str) -> Answer:
        return await self.store.choices_of(self._code(raw_code), voter)

    async def ballot_poll(self, raw_code: str) -> Poll:
        """The poll a ballot is checked against (parse_ballot); from the cache for a standalone poll."""
        return await self._cached_poll(self._code(raw_code))

    async def cast_ballot(self, poll: Poll, ballot: Ballot) -> int:
        """Store the voter's ballot (replacing an earlier one); returns the version that committed it.

        Concurrent ballots of a poll share a commit (the batcher); the snapshot of each commit is
        published before any of its ballots is acknowledged."""
        if not self.voter_ids.issued(ballot.voter):
            raise VoterNotIssued()
        return (await self._batcher.submit(poll.code, ballot)).version

    async def authorise(self, raw_code: str, token: str | None) -> PollAdmin:
        code = self._code(raw_code)
        if not token_matches(await self.store.admin_hash(code), token):
            raise Forbidden()
        return PollAdmin(code)

    async def moderator(self, raw_code: str, token: str | None) -> PollAdmin:
        """The presenter of a question, who moderates its entries: a standalone poll's admin token, or the
        admin token of the event it is a question of."""
        code = self._code(raw_code)
        poll = await self._cached_poll(code)
        expected = await (self.store.event_admin_hash(code) if poll.in_event else self.store.admin_hash(code))
        if not token_matches(expected, token):
            raise Forbidden()
        return PollAdmin(code)

    async def is_moderator(self, raw_code: str, token: str) -> bool:
        try:
            await self.moderator(raw_code, token)
        except Forbidden:
            return False
        return True

    async def moderate(self, admin: PollAdmin, entry: Any, action: str) -> Results:
        """Show or hide one entry of a word cloud or an open text; every screen follows. Returns the
        results as the presenter sees them."""
        async with self.store.database.unit():
            await self.store.moderate(admin.code, entry, action)
            await self.store.database.after_commit(lambda: self._publish(admin.code))
        return await self.store.results(admin.code)

    async def act(self, admin: PollAdmin, action: Action) -> Poll:
        """A presenter's action on a standalone poll: open or close voting (its results are always public,
        so it has nothing to reveal or hide; a new round is an event's)."""
        if action not in (Action.OPEN, Action.CLOSE):
            raise InvalidInput(
                N_("A poll can be opened or closed; the other actions are an event's."),
                code="action_not_for_poll",
            )
        async with self.store.database.unit():
            await self.apply(admin.code, action)
            await self.store.database.after_commit(lambda: self._publish(admin.code))
            return await self.store.get_poll(admin.code)

    async def apply(self, code: str, action: Action) -> None:
        """Inside the caller's unit of work: what an action changes on a question, a standalone poll's or an
        event's (one table for both; the caller checked who may, and publishes after the commit)."""
        timed = kind_of((await self._cached_poll(code)).kind).timed
        match action:
            case Action.OPEN if timed:  # a quiz question opens with its clock: it is started
                await self.store.start(code)
            case Action.OPEN | Action.CLOSE:
                await self.store.set_status(code, action.status)
            case Action.REVEAL | Action.HIDE:
                await self.store.set_revealed(code, action is Action.REVEAL)
            case Action.RESET:
                await self.store.reset(code)
                if timed:  # its new round waits for the presenter to start it, its answer hidden
                    await self.store.set_status(code, "closed")
                    await self.store.set_revealed(code, False)

    async def _publish(self, code: str) -> None:
        """After commit: read the snapshot that includes the change and hand it to the bus."""
        try:
            results = await self.store.results(code)
        except Exception as exc:  # the change is committed; the screens catch up on the next one
            log.warning("snapshot of %s after commit failed: %s", code, exc)
            return
        await self.publisher.publish(results)

    async def _cached_poll(self, code: str) -> Poll:
        poll = self._polls.get(code)
        if poll is not None:
            self._polls.move_to_end(code)
            return poll
        reading = self._reading.get(code)
        if reading is not None:
            # A reconnect storm on a replica whose cache is cold: the sockets that ask while the first read
            # is in flight wait for it (each in its own task and unit of work), not a read each.
            await reading.wait()
            poll = self._polls.get(code)
            if poll is not None:
                return poll
            return await self.store.get_poll(code)  # not cached (an event's question) or that read failed
        self._reading[code] = reading = asyncio.Event()
        try:
            poll = await self.store.get_poll(code)
            if not poll.in_event:
                self._polls[code] = poll
                if len(self._polls) > self._cached_polls:
                    self._polls.popitem(last=False)
        finally:
            del self._reading[code]
            reading.set()
        return poll

    @staticmethod
    def _code(raw_code: str) -> str:
        return code_or_not_found(raw_code, PollNotFound)
