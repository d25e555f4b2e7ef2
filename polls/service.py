"""The use cases of polls. Owns the transaction boundary (through the store) and publishes after commit."""

from __future__ import annotations

import logging
from collections import OrderedDict
from typing import Any, Protocol

from polls.batcher import BallotBatcher
from polls.domain import (
    NOT_ISSUED,
    Poll,
    Results,
    code_or_not_found,
    hash_token,
    new_admin_token,
    new_join_code,
    parse_ballot,
    parse_new_poll,
    token_matches,
)
from polls.errors import EventQuestion, Forbidden, InvalidInput, PollNotFound, ResultsSealed
from polls.store.polls import CodeTaken, PollStore
from polls.voters import VoterIds

log = logging.getLogger("polls.service")


class Publisher(Protocol):
    async def publish(self, snapshot: Any) -> None: ...


class PollService:
    def __init__(
        self, store: PollStore, publisher: Publisher, voter_ids: VoterIds, cached_polls: int = 10_000
    ) -> None:
        self.store = store
        self.publisher = publisher
        self.voter_ids = voter_ids
        # A poll's question and options never change, so validating a ballot needs no query.
        self._polls: OrderedDict[str, Poll] = OrderedDict()
        self._cached_polls = cached_polls
        self._batcher = BallotBatcher(store.cast_ballots, publisher.publish)

    async def create_poll(self, body: Any) -> tuple[Poll, str]:
        """Validate and store a new poll; returns it with its admin token (shown once, stored hashed)."""
        new = parse_new_poll(body)
        token = new_admin_token()
        for _ in range(10):
            try:
                poll = await self.store.create_poll(new_join_code(), hash_token(token), new)
                return poll, token
            except CodeTaken:
                continue
        raise RuntimeError("could not draw a free join code in 10 attempts")

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

    async def choices_of(self, raw_code: str, voter: str) -> tuple[int, ...]:
        return await self.store.choices_of(self._code(raw_code), voter)

    async def cast_ballot(self, raw_code: str, body: Any) -> int:
        """Store the voter's ballot (replacing an earlier one); returns the version that committed it.

        Concurrent ballots of a poll share a commit (the batcher); the snapshot of each commit is
        published before any of its ballots is acknowledged."""
        code = self._code(raw_code)
        ballot = parse_ballot(await self._cached_poll(code), body)
        if not self.voter_ids.issued(ballot.voter):
            raise InvalidInput(NOT_ISSUED)
        return (await self._batcher.submit(code, ballot)).version

    async def set_status(self, raw_code: str, token: str | None, status: str) -> Poll:
        code = self._code(raw_code)
        await self.check_admin(code, token)
        await self.store.set_status(code, status)
        await self.store.database.after_commit(lambda: self._publish(code))
        return await self.store.get_poll(code)

    async def check_admin(self, raw_code: str, token: str | None) -> None:
        code = self._code(raw_code)
        expected = await self.store.admin_hash(code)
        if not token_matches(expected, token):
            raise Forbidden()

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
        if poll is None:
            poll = await self.store.get_poll(code)
            if not poll.in_event:
                self._polls[code] = poll
                if len(self._polls) > self._cached_polls:
                    self._polls.popitem(last=False)
        else:
            self._polls.move_to_end(code)
        return poll

    @staticmethod
    def _code(raw_code: str) -> str:
        return code_or_not_found(raw_code, PollNotFound)
