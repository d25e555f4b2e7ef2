"""Voter ids are issued by the server: an id it made is recognised by every replica sharing its key, and
nothing else is: not a made-up id, not a changed one, not one signed with another key."""

from __future__ import annotations

import pytest

from polls.voters import VOTER_ID, VoterIds

KEY = b"the key every replica reads from PostgreSQL"


def test_an_issued_id_is_recognised_by_any_holder_of_the_key():
    voter = VoterIds(KEY).issue()
    assert VOTER_ID.fullmatch(voter)
    assert VoterIds(KEY).issued(voter)


def test_every_issued_id_is_new():
    ids = VoterIds(KEY)
    assert len({ids.issue() for _ in range(1000)}) == 1000


def test_an_id_signed_with_another_key_is_not_recognised():
    assert not VoterIds(KEY).issued(VoterIds(b"another key of at least thirty-two bytes").issue())


@pytest.mark.parametrize("at", [0, 10, 21, 23, 30, 44])
def test_an_id_with_one_character_changed_is_not_recognised(at):
    voter = VoterIds(KEY).issue()
    changed = voter[:at] + ("A" if voter[at] != "A" else "B") + voter[at + 1 :]
    assert not VoterIds(KEY).issued(changed)


@pytest.mark.parametrize("value", [None, 42, "", "phone-0001", "a" * 22 + "." + "b" * 22, "x" * 45])
def test_a_made_up_id_is_not_recognised(value):
    assert not VoterIds(KEY).issued(value)


def test_a_short_key_is_refused():
    with pytest.raises(ValueError, match="at least 32 bytes"):
        VoterIds().use_key(b"short")


def test_issuing_before_the_key_is_loaded_fails_loudly():
    with pytest.raises(RuntimeError, match="not loaded"):
        VoterIds().issue()
