"""Group commit: concurrent ballots of a poll share a write; each is acknowledged only after its write."""

from __future__ import annotations

import asyncio

import pytest

from polls.batcher import BallotBatcher
from polls.domain import Ballot, Committed, OptionResult, Results
from polls.errors import PollClosed


class Writes:
    """Records each batch written, as the store's cast_ballots would receive it, and numbers the commits."""

    def __init__(self, delay: float = 0.01, fail_with: Exception | None = None) -> None:
        self.batches: list[list[Ballot]] = []
        self.delay = delay
        self.fail_with = fail_with
        self.events: list[str] = []

    async def write(self, code: str, ballots: list[Ballot]) -> Committed:
        self.batches.append(ballots)
        await asyncio.sleep(self.delay)
        if self.fail_with is not None:
            raise self.fail_with
        version = len(self.batches)
        self.events.append(f"commit {version}")
        return Committed(Results(code, version, 0, "open", (OptionResult(1, "a", 0),)))

    async def after_commit(self, results: Results) -> None:
        self.events.append(f"published {results.version}")


def ballot(voter: str, *options: int) -> Ballot:
    return Ballot(voter, options or (1,))


async def test_a_ballot_on_an_idle_poll_is_written_at_once_alone():
    writes = Writes()
    batcher = BallotBatcher(writes.write, writes.after_commit)
    results = await batcher.submit("ABCDEF", ballot("voter-001"))
    assert results.version == 1
    assert writes.batches == [[ballot("voter-001")]]


async def submit_while_writing(batcher: BallotBatcher, count: int) -> list[Results]:
    """One ballot starts a write; `count - 1` more arrive while it is in flight."""
    first = asyncio.ensure_future(batcher.submit("ABCDEF", ballot("voter-first")))
    await asyncio.sleep(0.001)
    rest = [batcher.submit("ABCDEF", ballot(f"voter-{i:03d}")) for i in range(count - 1)]
    return await asyncio.gather(first, *rest)


async def test_ballots_arriving_during_a_write_share_the_next_one():
    writes = Writes()
    batcher = BallotBatcher(writes.write, writes.after_commit)
    versions = await submit_while_writing(batcher, 100)
    assert [len(batch) for batch in writes.batches] == [1, 99]
    assert sorted({r.version for r in versions}) == [1, 2]


async def test_ballots_arriving_together_share_one_write():
    writes = Writes()
    batcher = BallotBatcher(writes.write, writes.after_commit)
    await asyncio.gather(*(batcher.submit("ABCDEF", ballot(f"voter-{i:03d}")) for i in range(20)))
    assert [len(batch) for batch in writes.batches] == [20]


async def test_each_poll_is_written_on_its_own():
    writes = Writes()
    batcher = BallotBatcher(writes.write, writes.after_commit)
    await asyncio.gather(
        batcher.submit("AAAAAA", ballot("voter-001")), batcher.submit("BBBBBB", ballot("voter-001"))
    )
    assert len(writes.batches) == 2


async def test_the_last_ballot_of_a_voter_within_a_batch_wins():
    writes = Writes()
    batcher = BallotBatcher(writes.write, writes.after_commit)
    first = asyncio.ensure_future(batcher.submit("ABCDEF", ballot("voter-000")))
    await asyncio.sleep(0)
    await asyncio.gather(
        first,
        batcher.submit("ABCDEF", ballot("voter-001", 1)),
        batcher.submit("ABCDEF", ballot("voter-001", 2)),
    )
    assert writes.batches[1] == [ballot("voter-001", 2)]


async def test_a_batch_is_published_before_any_of_its_ballots_is_acknowledged():
    writes = Writes()
    batcher = BallotBatcher(writes.write, writes.after_commit)

    async def vote(i: int) -> None:
        results = await batcher.submit("ABCDEF", ballot(f"voter-{i:03d}"))
        writes.events.append(f"ack {results.version}")

    first = asyncio.ensure_future(vote(0))
    await asyncio.sleep(0.001)
    await asyncio.gather(first, *(vote(i) for i in range(1, 5)))
    assert writes.events.index("published 1") < writes.events.index("ack 1")
    assert writes.events.index("published 2") < writes.events.index("ack 2")
    assert writes.events.index("commit 2") < writes.events.index("published 2")


async def test_a_failed_write_fails_every_ballot_in_it_and_the_next_batch_still_runs():
    writes = Writes(fail_with=PollClosed())
    batcher = BallotBatcher(writes.write, writes.after_commit)
    outcomes = await asyncio.gather(
        *(batcher.submit("ABCDEF", ballot(f"voter-{i:03d}")) for i in range(3)), return_exceptions=True
    )
    assert len(outcomes) == 3 and all(isinstance(o, PollClosed) for o in outcomes)
    writes.fail_with = None
    assert (await batcher.submit("ABCDEF", ballot("voter-009"))).version == 2


async def test_a_batch_never_exceeds_its_limit():
    writes = Writes()
    batcher = BallotBatcher(writes.write, writes.after_commit, max_batch=10)
    await submit_while_writing(batcher, 35)
    assert [len(batch) for batch in writes.batches] == [1, 10, 10, 10, 4]


async def test_ballots_of_a_cancelled_writer_are_not_left_waiting():
    writes = Writes(delay=10)
    batcher = BallotBatcher(writes.write, writes.after_commit)
    waiting = [asyncio.ensure_future(batcher.submit("ABCDEF", ballot(f"voter-{i:03d}"))) for i in range(3)]
    await asyncio.sleep(0.01)
    batcher._writers["ABCDEF"].cancel()
    for future in waiting:
        with pytest.raises(asyncio.CancelledError):
            await future
