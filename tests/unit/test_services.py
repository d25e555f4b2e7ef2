"""The use cases over fake stores (tests/unit/fakes.py), in milliseconds: what is published and when, what a
failure leaves behind, the poll cache, who may do what. The same services run on PostgreSQL in
tests/integration."""

from __future__ import annotations

import asyncio

import pytest

from polls.domain import Action, Ballot, NewPoll, Option, Poll, Results, hash_token
from polls.errors import Conflict, EventQuestion, Forbidden, InvalidInput, ResultsSealed
from polls.event import EventView, NewEvent, NewQuestion
from polls.event_service import EventAdmin, EventService
from polls.service import PollService
from polls.voters import VoterIds
from tests.unit.fakes import FakeDatabase, FakeEventStore, FakePollStore, Publisher

VOTER_IDS = VoterIds(b"the key of these tests, 32 bytes or more")
YES_NO = NewPoll("Yes or no?", ("Yes", "No"), "single", 1)


@pytest.fixture
def database() -> FakeDatabase:
    return FakeDatabase()


@pytest.fixture
def store(database) -> FakePollStore:
    return FakePollStore(database)


@pytest.fixture
def publisher() -> Publisher:
    return Publisher()


@pytest.fixture
def polls(store, publisher) -> PollService:
    return PollService(store, publisher, VOTER_IDS)


@pytest.fixture
def events(database, store, polls, publisher) -> EventService:
    return EventService(FakeEventStore(database, store), polls, publisher)


# --- polls ------------------------------------------------------------------------------------------------


async def test_a_new_poll_is_controlled_only_with_the_token_it_was_given(polls: PollService, store):
    poll, token = await polls.create_poll(YES_NO)
    assert store.state["hashes"][poll.code] == hash_token(token) != token
    assert (await polls.authorise(poll.code.lower(), token)).code == poll.code
    for wrong in ("", None, token + "x"):
        with pytest.raises(Forbidden):
            await polls.authorise(poll.code, wrong)


async def test_a_ballot_is_acknowledged_after_its_snapshot_was_published(polls: PollService, publisher):
    poll, _ = await polls.create_poll(YES_NO)
    version = await polls.cast_ballot(await polls.ballot_poll(poll.code), Ballot(VOTER_IDS.issue(), (2,)))
    assert [(r.version, r.voters) for r in publisher.published] == [(version, 1)]


async def test_a_ballot_whose_voter_the_server_did_not_issue_is_refused_and_nothing_is_stored(
    polls: PollService, store, publisher
):
    poll, _ = await polls.create_poll(YES_NO)
    for voter in (
        "phone-0001",
        "A" * 22 + "." + "B" * 22,
        VoterIds(b"another key, also 32 bytes long!!").issue(),
    ):
        with pytest.raises(InvalidInput, match="issued by POST /api/voters"):
            await polls.cast_ballot(poll, Ballot(voter, (1,)))
    assert store.state["ballots"][poll.code] == {} and publisher.published == []


async def test_a_standalone_poll_is_read_once_for_many_ballots_and_an_event_question_every_time(
    polls: PollService, store
):
    poll, _ = await polls.create_poll(YES_NO)
    question = store.add(Poll("QQQQQQ", "Q?", "single", 1, "open", (Option(1, "a"), Option(2, "b")), True))
    for _ in range(5):
        await polls.ballot_poll(poll.code)
    assert store.reads == 1
    for _ in range(5):
        await polls.ballot_poll(question.code)
    assert store.reads == 6  # an event's question may be edited, so it is never cached


async def test_screens_asking_at_once_for_a_poll_not_yet_cached_share_one_read(polls: PollService, store):
    # A reconnect storm on a replica that just started: a thousand sockets of one poll, its cache cold.
    poll, _ = await polls.create_poll(YES_NO)
    question = store.add(Poll("QQQQQQ", "Q?", "single", 1, "open", (Option(1, "a"), Option(2, "b")), True))
    read = store.get_poll

    async def slow_read(code: str) -> Poll:
        await asyncio.sleep(0.01)
        return await read(code)

    store.get_poll = slow_read
    await asyncio.gather(*(polls.check_standalone(poll.code) for _ in range(100)))
    assert store.reads == 1
    await asyncio.gather(*(polls.ballot_poll(question.code) for _ in range(10)))
    assert store.reads == 11  # an event's question is never cached: each asker reads it


async def test_closing_a_poll_commits_then_publishes_and_it_takes_no_reveal(
    polls: PollService, database, publisher
):
    poll, token = await polls.create_poll(YES_NO)
    admin = await polls.authorise(poll.code, token)
    closed = await polls.act(admin, Action.CLOSE)
    assert closed.status == "closed" and database.commits == 1
    assert [r.status for r in publisher.published] == ["closed"]
    with pytest.raises(InvalidInput, match="opened or closed"):
        await polls.act(admin, Action.REVEAL)


async def test_an_event_question_is_reached_only_through_its_event(polls: PollService, store):
    question = store.add(
        Poll("QQQQQQ", "Q?", "single", 1, "open", (Option(1, "a"), Option(2, "b")), True),
        event_hash=hash_token("t"),
    )
    with pytest.raises(EventQuestion):
        await polls.standalone_poll(question.code)
    with pytest.raises(ResultsSealed):
        await polls.results(question.code)
    with pytest.raises(ResultsSealed):
        await polls.results(question.code, "not the event's token")
    assert isinstance(await polls.results(question.code, "t"), Results)


# --- events -----------------------------------------------------------------------------------------------


async def new_event(events: EventService, *visibilities: str) -> tuple[EventAdmin, list[str]]:
    questions = tuple(NewQuestion(YES_NO, visibility) for visibility in visibilities or ("always",))
    event, token = await events.create_event(NewEvent("Town hall", questions))
    return await events.authorise(event.code, token), [q.code for q in event.questions]


async def test_going_live_opens_the_question_in_the_same_commit_and_publishes_once_after_it(
    events: EventService, database, publisher
):
    admin, (first,) = await new_event(events)
    commits = database.commits
    event = await events.set_live(admin, first)
    assert database.commits == commits + 1
    assert event.live == first and event.live_question is not None and event.live_question.status == "open"
    kinds = [type(snapshot).__name__ for snapshot in publisher.published]
    assert kinds == ["Results", "EventView"]
    assert publisher.published[1].question.status == "open"


async def test_a_use_case_that_fails_changes_nothing_and_publishes_nothing(events: EventService, publisher):
    admin, (first,) = await new_event(events)
    await events.set_live(admin, first)
    await events.questions.store.cast_ballots(first, [Ballot("voter-0001", (1,))])
    publisher.published.clear()
    before = await events.get_event(admin.code)
    with pytest.raises(Conflict):
        await events.edit_question(
            admin, first, NewQuestion(NewPoll("Other?", ("x", "y"), "single", 1), "always")
        )
    assert await events.get_event(admin.code) == before
    assert publisher.published == []


async def test_moving_a_question_swaps_it_with_its_neighbour_and_stays_at_either_end(events: EventService):
    admin, codes = await new_event(events, "always", "always", "always")
    moved = await events.move(admin, codes[2], -1)
    assert [q.code for q in moved.questions] == [codes[0], codes[2], codes[1]]
    top = await events.move(admin, codes[0], -1)
    assert [q.code for q in top.questions] == [codes[0], codes[2], codes[1]]
    with pytest.raises(InvalidInput, match="not part of this event"):
        await events.move(admin, "ZZZZZZ", 1)


async def test_a_reorder_reads_the_questions_under_the_events_lock(events: EventService):
    admin, codes = await new_event(events, "always", "always")
    locks = events.store.state["locks"]
    reordered = await events.reorder(admin, list(reversed(codes)))
    assert [q.code for q in reordered.questions] == list(reversed(codes))
    assert events.store.state["locks"] == locks + 1
    with pytest.raises(InvalidInput, match="exactly once"):
        await events.reorder(admin, codes[:1])


async def test_revealing_publishes_the_questions_results_and_the_view_that_shows_them(
    events: EventService, publisher
):
    admin, (first,) = await new_event(events, "after_close")
    await events.set_live(admin, first)
    await events.act(admin, first, Action.REVEAL)
    view: EventView = publisher.published[-1]
    assert (
        view.question is not None and view.question.revealed and not view.audience_sees_results
    )  # still open
    await events.act(admin, first, Action.CLOSE)
    assert publisher.published[-1].audience_sees_results


async def test_every_presenters_use_case_needs_the_events_token(events: EventService):
    admin, _ = await new_event(events)
    with pytest.raises(Forbidden):
        await events.authorise(admin.code, "not the token")


async def test_going_back_to_a_question_closed_with_votes_keeps_it_closed_and_an_unanswered_one_opens(
    events: EventService,
):
    admin, (first, second) = await new_event(events, "always", "always")
    await events.set_live(admin, first)
    await events.questions.store.cast_ballots(first, [Ballot("voter-0001", (1,))])
    await events.act(admin, first, Action.CLOSE)
    await events.set_live(admin, second)
    back = await events.set_live(admin, first)
    assert back.live_question is not None and back.live_question.status == "closed"
    await events.act(admin, second, Action.CLOSE)  # closed without a vote: going back opens it
    again = await events.set_live(admin, second)
    assert again.live_question is not None and again.live_question.status == "open"


async def test_ending_an_event_closes_its_questions_and_shows_the_end_and_a_question_going_live_goes_on(
    events: EventService, publisher
):
    admin, (first, second) = await new_event(events, "always", "always")
    await events.set_live(admin, first)
    ended = await events.end(admin)
    assert ended.ended and ended.live is None
    assert [q.status for q in ended.questions] == ["closed", "closed"]
    view: EventView = publisher.published[-1]
    assert view.event.ended and view.question is None
    resumed = await events.set_live(admin, second)
    assert not resumed.ended and resumed.live == second
