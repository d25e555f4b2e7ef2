"""The use cases of an event's audience Q&A: ask, upvote, read the board; switch it on, moderate, pin.

Each write runs in one unit of work: it locks the event's row, checks the voter's limits, writes, bumps the
board's version and reads the board back in the same transaction; the board is published once that
committed (the presenter's view on the bus; every audience renderer filters it). A write that changes
nothing (an upvote given again, a withdrawal of no upvote) publishes nothing."""

from __future__ import annotations

from dataclasses import dataclass

from polls.domain import VoterNotIssued, code_or_not_found
from polls.errors import EventNotFound
from polls.event_service import EventAdmin
from polls.qa import (
    QUESTIONS_PER_WINDOW,
    VOTES_PER_WINDOW,
    QaBoard,
    QaOff,
    QaQuestion,
    QaSettings,
    QaTooMany,
    state_of_new,
)
from polls.service import Publisher
from polls.store.qa import QaEvent, QaStore
from polls.voters import VoterIds


@dataclass(frozen=True)
class VoteState:
    """What an upvote or a withdrawal left: whether the voter's upvote is on the question, and its votes."""

    question: int
    upvoted: bool
    votes: int


class QaService:
    def __init__(self, store: QaStore, voter_ids: VoterIds, publisher: Publisher) -> None:
        self.store = store
        self.voter_ids = voter_ids
        self.publisher = publisher

    async def board(self, raw_code: str) -> QaBoard:
        """The presenter's board: the web layer gives the audience its for_audience()."""
        return await self.store.board(self._code(raw_code))

    async def voted_by(self, raw_code: str, voter: str) -> set[int]:
        return await self.store.voted_by(self._code(raw_code), voter)

    async def _open_to(self, code: str, voter: str, questions: int = 0, votes: int = 0) -> QaEvent:
        """Inside a unit of work: the event's row locked, its Q&A on, and this voter within the limits once
        this write (its questions and votes) is counted."""
        self._check_voter(voter)
        event = await self.store.lock(code)
        if not event.enabled:
            raise QaOff()
        asked, voted = await self.store.count(event.id, voter, questions, votes)
        if (questions and asked > QUESTIONS_PER_WINDOW) or (votes and voted > VOTES_PER_WINDOW):
            raise QaTooMany()
        return event

    async def ask(self, raw_code: str, voter: str, text: str, named: bool = False) -> QaQuestion:
        """A participant's question (text parsed by polls.qa.parse_text): shown at once, waiting for the
        presenter's approval, or held when the profanity filter matches it; `named`: with the asker's
        nickname in the event, if they have one."""
        code = self._code(raw_code)
        async with self.store.database.unit():
            event = await self._open_to(code, voter, questions=1)
            state = state_of_new(text, event.moderation)
            question = await self.store.ask(event.id, voter, text, state, named)
            await self._published(code, event.id)
            return question

    async def vote(self, raw_code: str, voter: str, question: int, up: bool) -> VoteState:
        """Upvote a shown question, or withdraw this voter's upvote: at most one per voter and question."""
        code = self._code(raw_code)
        async with self.store.database.unit():
            event = await self._open_to(code, voter, votes=1)
            changed, count = await self.store.vote(event.id, question, voter, up)
            if changed:
                await self._published(code, event.id)
            return VoteState(question, up, count)

    async def set_settings(self, admin: EventAdmin, settings: QaSettings) -> QaBoard:
        """Switch Q&A on or off, moderation off or approve-first. Questions already waiting stay waiting."""
        async with self.store.database.unit():
            event = await self.store.lock(admin.code)
            await self.store.set_settings(event.id, settings.enabled, settings.moderation)
            return await self._published(admin.code, event.id)

    async def moderate(self, admin: EventAdmin, question: int, action: str) -> QaBoard:
        """Approve (show), hide, mark answered (or not), pin (one per event) or unpin a question."""
        async with self.store.database.unit():
            event = await self.store.lock(admin.code)
            await self.store.moderate(event.id, question, action)
            return await self._published(admin.code, event.id)

    async def _published(self, code: str, event_id: int) -> QaBoard:
        """Inside the unit of work: bump the board's version and read it; published once committed."""
        await self.store.bump(event_id)
        board = await self.store.board(code)

        async def publish() -> None:
            await self.publisher.publish(board)

        await self.store.database.after_commit(publish)
        return board

    def _check_voter(self, voter: str) -> None:
        if not self.voter_ids.issued(voter):
            raise VoterNotIssued()

    @staticmethod
    def _code(raw_code: str) -> str:
        return code_or_not_found(raw_code, EventNotFound)
