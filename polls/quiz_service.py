"""The use cases of a quiz's players: their nickname in an event, and their own standing after a reveal."""

from __future__ import annotations

from polls.domain import VoterNotIssued, code_or_not_found
from polls.errors import EventNotFound
from polls.quiz import MyStanding
from polls.store.quiz import QuizStore
from polls.voters import VoterIds


class QuizService:
    def __init__(self, store: QuizStore, voter_ids: VoterIds) -> None:
        self.store = store
        self.voter_ids = voter_ids

    async def nickname(self, raw_code: str, voter: str) -> str | None:
        return await self.store.nickname(self._code(raw_code), voter)

    async def set_nickname(self, raw_code: str, voter: str, nickname: str) -> None:
        """Name the player in the event's leaderboard (a nickname another player has is refused)."""
        if not self.voter_ids.issued(voter):
            raise VoterNotIssued()
        await self.store.set_nickname(self._code(raw_code), voter, nickname)

    async def standing(self, raw_code: str, voter: str, question: str | None) -> MyStanding:
        """The player's place in the event's quiz, and how their answer to the question went."""
        return await self.store.standing(self._code(raw_code), voter, question)

    @staticmethod
    def _code(raw_code: str) -> str:
        return code_or_not_found(raw_code, EventNotFound)
