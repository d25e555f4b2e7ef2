"""The answers kept for Idempotency-Keys: claimed and recorded inside the write's own unit of work."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import timedelta

from polls.store.pool import Database

KEEP = timedelta(days=1)


@dataclass(frozen=True)
class KeptAnswer:
    fingerprint: str
    status: int | None  # None: claimed by a unit of work that has not committed (it cannot be seen then)
    headers: dict[str, str]
    body: bytes


class IdempotencyKeys:
    def __init__(self, database: Database) -> None:
        self.database = database

    async def claim(self, key: str, route: str, fingerprint: str) -> KeptAnswer | None:
        """Inside a unit of work: claim the key for this request (None), or the answer kept for it. A
        concurrent claim of the same key waits here until the other unit of work ends."""
        claimed = await self.database.run.fetchval(
            """INSERT INTO idempotency_keys (key, route, fingerprint) VALUES ($1, $2, $3)
               ON CONFLICT (key, route) DO NOTHING RETURNING true""",
            key,
            route,
            fingerprint,
        )
        if claimed:
            return None
        row = await self.database.run.fetchrow(
            "SELECT fingerprint, status, headers, body FROM idempotency_keys WHERE key = $1 AND route = $2",
            key,
            route,
        )
        return KeptAnswer(
            row["fingerprint"], row["status"], json.loads(row["headers"] or "{}"), row["body"] or b""
        )

    async def record(self, key: str, route: str, status: int, headers: dict[str, str], body: bytes) -> None:
        """Inside the same unit of work: the answer to give every repeat of the request."""
        await self.database.run.execute(
            "UPDATE idempotency_keys SET status = $3, headers = $4, body = $5 WHERE key = $1 AND route = $2",
            key,
            route,
            status,
            json.dumps(headers),
            body,
        )

    async def expire(self) -> int:
        """Forget keys older than a day; returns how many."""
        done = await self.database.run.execute(
            "DELETE FROM idempotency_keys WHERE created_at < now() - $1::interval", KEEP
        )
        return int(done.split()[-1])
