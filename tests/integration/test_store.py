"""The store keeps one ballot per voter per poll and counts in SQL, consistently under concurrency."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import asyncpg
import pytest

from polls.domain import Ballot, Poll, new_join_code
from polls.errors import PollClosed, PollNotFound
from polls.store import Database, PollStore
from polls.store.codes import with_free_code


async def tally_from_ballots(database: Database, code: str) -> dict[int, int]:
    """The truth recounted from the ballots themselves, to compare with the counters."""
    rows = await database.pool.fetch(
        """SELECT o.id, count(b.voter) AS n FROM options o JOIN polls p ON p.id = o.poll_id
           LEFT JOIN ballots b ON b.poll_id = p.id AND o.id = ANY (b.option_ids)
           WHERE p.code = $1 GROUP BY o.id ORDER BY o.id""",
        code,
    )
    return {row["id"]: row["n"] for row in rows}


def counts(results) -> dict[int, int]:
    return {o.id: o.votes for o in results.options}


async def test_a_new_poll_is_open_with_numbered_options(store: PollStore, poll: Poll):
    assert poll.status == "open"
    assert [(o.id, o.label) for o in poll.options] == [(1, "Pizza"), (2, "Tacos"), (3, "Sushi")]
    assert await store.get_poll(poll.code) == poll


def inserting_a_poll(store: PollStore) -> Callable[[str], Awaitable[str]]:
    """An insert of a bare poll row under the code it is given (what with_free_code retries)."""

    async def insert(code: str) -> str:
        await store.database.run.execute(
            """INSERT INTO polls (code, admin_hash, question, kind, max_choices)
               VALUES ($1, 'h', 'Q', 'single', 1)""",
            code,
        )
        return code

    return insert


async def test_a_taken_code_is_drawn_again_and_the_rest_of_the_transaction_stands(
    store: PollStore, poll: Poll
):
    fresh = new_join_code()
    draws = iter([poll.code, poll.code, fresh])
    async with store.database.transaction() as connection:
        await connection.execute("UPDATE polls SET question = 'Kept?' WHERE code = $1", poll.code)
        assert await with_free_code(connection, inserting_a_poll(store), lambda: next(draws)) == fresh
    assert (await store.get_poll(poll.code)).question == "Kept?"
    assert await store.admin_hash(fresh) == "h"


async def test_drawing_gives_up_after_ten_taken_codes(store: PollStore, poll: Poll):
    async with store.database.transaction() as connection:
        with pytest.raises(RuntimeError, match="10 attempts"):
            await with_free_code(connection, inserting_a_poll(store), lambda: poll.code)


async def test_a_ballot_counts_and_bumps_the_version(store: PollStore, poll: Poll):
    committed = (await store.cast_ballots(poll.code, [Ballot("voter-0001", (1, 3))])).results
    results = await store.results(poll.code)
    assert results == committed
    assert results.version == 1
    assert results.voters == 1
    assert counts(results) == {1: 1, 2: 0, 3: 1}


async def test_second_ballot_replaces_first(store: PollStore, poll: Poll, database: Database):
    await store.cast_ballots(poll.code, [Ballot("voter-0001", (1, 3))])
    await store.cast_ballots(poll.code, [Ballot("voter-0001", (2, 3))])
    results = await store.results(poll.code)
    assert results.voters == 1
    assert counts(results) == {1: 0, 2: 1, 3: 1} == await tally_from_ballots(database, poll.code)
    assert await store.choices_of(poll.code, "voter-0001") == (2, 3)


async def test_a_retried_ballot_changes_no_count(store: PollStore, poll: Poll):
    await store.cast_ballots(poll.code, [Ballot("voter-0001", (1,))])
    before = await store.results(poll.code)
    await store.cast_ballots(poll.code, [Ballot("voter-0001", (1,))])
    after = await store.results(poll.code)
    assert counts(after) == counts(before)
    assert after.voters == before.voters == 1
    assert after.version > before.version


async def test_concurrent_ballots_count_exactly(store: PollStore, poll: Poll, database: Database):
    ballots = [Ballot(f"voter-{i:04d}", ((i % 3) + 1,)) for i in range(200)]
    # Every voter votes twice at once, once changing their mind: the counts must still add up.
    changes = [Ballot(b.voter, ((b.answer[0] % 3) + 1,)) for b in ballots[:100]]
    await asyncio.gather(*(store.cast_ballots(poll.code, [b]) for b in ballots + changes))
    results = await store.results(poll.code)
    assert results.voters == 200
    assert counts(results) == await tally_from_ballots(database, poll.code)
    assert sum(counts(results).values()) == 200
    assert results.version == 300


async def test_a_closed_poll_takes_no_ballot_and_reopens(store: PollStore, poll: Poll):
    await store.set_status(poll.code, "closed")
    with pytest.raises(PollClosed):
        await store.cast_ballots(poll.code, [Ballot("voter-0001", (1,))])
    await store.set_status(poll.code, "open")
    await store.cast_ballots(poll.code, [Ballot("voter-0001", (1,))])
    assert (await store.results(poll.code)).voters == 1


async def test_an_unknown_poll_is_not_found(store: PollStore):
    code = new_join_code()
    for attempt in (
        store.get_poll(code),
        store.results(code),
        store.cast_ballots(code, [Ballot("voter-0001", (1,))]),
        store.set_status(code, "closed"),
        store.admin_hash(code),
    ):
        with pytest.raises(PollNotFound):
            await attempt


async def test_the_database_refuses_counts_that_break_its_rules(database: Database, poll: Poll):
    with pytest.raises(asyncpg.CheckViolationError):
        await database.pool.execute(
            "UPDATE options SET votes = -1 WHERE poll_id = (SELECT id FROM polls WHERE code = $1)", poll.code
        )


async def test_a_batch_of_ballots_commits_once_with_one_new_version(
    store: PollStore, poll: Poll, database: Database
):
    await store.cast_ballots(poll.code, [Ballot("voter-0001", (1,))])
    batch = [Ballot("voter-0001", (2, 3)), *(Ballot(f"batch-{i:04d}", (i % 3 + 1,)) for i in range(50))]
    results = (await store.cast_ballots(poll.code, batch)).results
    assert results.version == 2
    assert results.voters == 51
    assert counts(results) == await tally_from_ballots(database, poll.code)
    assert await store.choices_of(poll.code, "voter-0001") == (2, 3)


async def test_a_connection_opened_again_after_postgresql_dropped_the_pool_writes_ballots(
    store: PollStore, poll: Poll, database: Database
):
    # A batch's write is a routine each pooled connection makes for itself as it opens (store.routines,
    # in pg_temp): the connections that replace dropped ones have it too.
    await store.cast_ballots(poll.code, [Ballot("voter-0001", (1,))])
    other = await asyncpg.connect(database.dsn)
    try:
        dropped = await other.fetchval(
            """SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
               WHERE datname = current_database() AND pid <> pg_backend_pid()"""
        )
    finally:
        await other.close()
    assert dropped >= 1
    for _ in range(database.max_size + 1):  # each dropped connection fails once as the pool meets it
        try:
            results = (await store.cast_ballots(poll.code, [Ballot("voter-0002", (2,))])).results
            break
        except (  # what a connection PostgreSQL cut raises once (web.errors answers them with 503)
            asyncpg.InterfaceError,
            asyncpg.InternalClientError,
            asyncpg.PostgresConnectionError,
            asyncpg.exceptions.OperatorInterventionError,
            OSError,
        ):
            continue
    else:
        pytest.fail("no ballot was written through the pool's new connections")
    assert results.voters == 2
    assert counts(results) == await tally_from_ballots(database, poll.code)
