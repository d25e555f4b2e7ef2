"""The use cases of a quiz's players: their nickname in an event, and their own standing after a reveal.

After a reveal every phone asks for its own place at once. Each replica reads every player's place once per
event version and question (the ranking costs the same for one player as for all: ~170 ms for 10,000 players
of 5 questions, scripts/bench kinds), shares that read among the phones that asked meanwhile, and answers
the rest from it; a presenter's change bumps the event's version, after which it reads them again."""

from __future__ import annotations

import asyncio
from collections import OrderedDict

from polls.domain import VoterNotIssued, code_or_not_found
from polls.errors import EventNotFound
from polls.quiz import MyStanding, Places, animal_name
from polls.store.quiz import QuizStore
from polls.voters import VoterIds


class QuizService:
    def __init__(self, store: QuizStore, voter_ids: VoterIds, cached_events: int = 16) -> None:
        self.store = store
        self.voter_ids = voter_ids
        # Per event and question: the event's version asked for, and the read of the places as of it.
        self._places: OrderedDict[tuple[str, str | None], tuple[int, asyncio.Future[Places]]] = OrderedDict()
        self._cached_events = cached_events

    async def nickname(self, raw_code: str, voter: str) -> str | None:
        return await self.store.nickname(self._code(raw_code), voter)

    async def set_nickname(self, raw_code: str, voter: str, nickname: str) -> None:
        """Name the player in the event's leaderboard (a nickname another player has is refused)."""
        if not self.voter_ids.issued(voter):
            raise VoterNotIssued()
        await self.store.set_nickname(self._code(raw_code), voter, nickname)

    async def standing(self, raw_code: str, voter: str, question: str | None) -> MyStanding:
        """The player's place in the event's quiz, and how their answer to the question went."""
        code = self._code(raw_code)
        places = await self._places_of(code, question, await self.store.version(code))
        found = places.mine.get(voter)
        if found is None:  # no answer yet: their name only
            nickname = await self.store.nickname(code, voter)
            return MyStanding(nickname or animal_name(voter), None, places.players, None)
        standing, answer = found
        return MyStanding(standing.name, standing, places.players, answer)

    async def _places_of(self, code: str, question: str | None, version: int) -> Places:
        """The places as of this version (or newer): one read per version, shared by every phone asking."""
        key = (code, question)
        cached = self._places.get(key)
        if cached is None or cached[0] < version or _failed(cached[1]):
            cached = (version, asyncio.ensure_future(self.store.places(code, question)))
            self._places[key] = cached
            if len(self._places) > self._cached_events:
                self._places.popitem(last=False)
        self._places.move_to_end(key)
        return await asyncio.shield(cached[1])

    @staticmethod
    def _code(raw_code: str) -> str:
        return code_or_not_found(raw_code, EventNotFound)


def _failed(read: asyncio.Future[Places]) -> bool:
    """A read that failed is not kept: the next phone reads again."""
    return read.done() and (read.cancelled() or read.exception() is not None)
