"""Group commit: concurrent ballots for one poll share one transaction, and each is acknowledged after it.

A ballot that arrives while its poll has no write in flight is written at once, alone; ballots that
arrive while one is in flight wait for it and are then written together, up to `max_batch` at a time.
So an idle poll pays no added latency, and a busy poll pays one commit per batch instead of one per
ballot: commits are what bound the vote rate (a flush to disk each). Every ballot's future resolves
only after its batch committed (with the batch's results), or fails with the batch's error.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from polls.domain import Ballot, Committed, Results
from polls.errors import AnswerFinal

WriteBatch = Callable[[str, list[Ballot]], Awaitable[Committed]]
AfterCommit = Callable[[Results], Awaitable[None]]

log = logging.getLogger("polls.batcher")


class BallotBatcher:
    def __init__(self, write: WriteBatch, after_commit: AfterCommit, max_batch: int = 500) -> None:
        self._write = write
        self._after_commit = after_commit
        self._max_batch = max_batch
        self._waiting: dict[str, list[tuple[Ballot, asyncio.Future[Results]]]] = {}
        self._writers: dict[str, asyncio.Task[None]] = {}

    async def submit(self, code: str, ballot: Ballot) -> Results:
        """Queue the ballot for its poll; returns the results of the commit that included it."""
        done: asyncio.Future[Results] = asyncio.get_running_loop().create_future()
        self._waiting.setdefault(code, []).append((ballot, done))
        if code not in self._writers:
            self._writers[code] = asyncio.create_task(self._write_while_waiting(code), name=f"ballots-{code}")
        return await done

    async def _write_while_waiting(self, code: str) -> None:
        try:
            while queue := self._waiting.pop(code, None):
                batch, rest = queue[: self._max_batch], queue[self._max_batch :]
                if rest:
                    self._waiting[code] = rest
                await self._write_one(code, batch)
        finally:
            # No await between the last look at the queue and this line, so no ballot is left behind,
            # unless this task was cancelled (shutdown): then the ballots still waiting fail.
            del self._writers[code]
            for _, done in self._waiting.pop(code, []):
                done.cancel()

    async def _write_one(self, code: str, batch: list[tuple[Ballot, asyncio.Future[Results]]]) -> None:
        # The last ballot of a voter within a batch wins, as if they had been written one after another;
        # where answers are final, the first does, and a later different one is refused.
        latest: dict[str, Ballot] = {}
        for ballot, done in batch:
            first = latest.get(ballot.voter)
            if first is not None and ballot.final:
                if first.answer != ballot.answer:
                    done.set_exception(AnswerFinal())
                continue
            latest[ballot.voter] = ballot
        try:
            committed = await self._write(code, list(latest.values()))
            results = committed.results
        except Exception as exc:
            for _, done in batch:
                if not done.done():
                    done.set_exception(exc)
            return
        except BaseException:
            for _, done in batch:
                done.cancel()
            raise
        try:
            await self._after_commit(results)
        except Exception as exc:  # the batch is committed: its voters are acknowledged regardless
            log.warning("after-commit step of %s v%d failed: %s", code, results.version, exc)
        for ballot, done in batch:
            if done.done():
                continue
            if ballot.voter in committed.refused:
                done.set_exception(AnswerFinal())
            else:
                done.set_result(results)
