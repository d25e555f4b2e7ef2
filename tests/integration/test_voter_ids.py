"""Voter ids are issued by any replica and honoured by every one: the signing key is made once, kept in
PostgreSQL, and read by each replica as it starts."""

from __future__ import annotations

import asyncio
import uuid

import httpx

from polls.store import Database
from polls.store.keys import shared_key
from tests.voters import get_voter


async def test_replicas_asking_for_a_key_at_once_all_get_the_one_that_was_stored(database: Database):
    name = f"race-{uuid.uuid4().hex}"
    keys = await asyncio.gather(*(shared_key(database, name) for _ in range(20)))
    assert len(set(keys)) == 1 and len(keys[0]) >= 32
    rows = await database.pool.fetchval("SELECT count(*) FROM server_keys WHERE name = $1", name)
    assert rows == 1


def test_an_id_issued_by_one_replica_is_honoured_by_the_other_and_after_a_restart(replicas):
    one, two = replicas
    code = httpx.post(f"{one.url}/api/polls", json={"question": "Q?", "options": ["a", "b"]}).json()["code"]
    voter = get_voter(one.url)
    assert (
        httpx.post(f"{two.url}/api/polls/{code}/votes", json={"voter": voter, "options": [1]}).status_code
        == 200
    )
    two.stop()
    two.start()
    again = httpx.post(f"{two.url}/api/polls/{code}/votes", json={"voter": voter, "options": [2]})
    assert again.status_code == 200
    results = httpx.get(f"{one.url}/api/polls/{code}/results").json()
    assert results["voters"] == 1 and [o["votes"] for o in results["options"]] == [0, 1]
