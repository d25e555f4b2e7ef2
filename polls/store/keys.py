"""The keys every replica shares (server_keys): the first replica to ask makes one, the others read it."""

from __future__ import annotations

import secrets

from polls.store.pool import Database
from polls.voters import KEY_BYTES


async def shared_key(database: Database, name: str) -> bytes:
    """The key of that name, made now from the system's random source if no replica made it before."""
    async with database.acquire() as connection:
        await connection.execute(
            "INSERT INTO server_keys (name, secret) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING",
            name,
            secrets.token_bytes(KEY_BYTES),
        )
        return bytes(await connection.fetchval("SELECT secret FROM server_keys WHERE name = $1", name))
