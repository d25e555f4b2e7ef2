"""The asyncpg pool of one replica: opened before the server starts, closed after it stops."""

from __future__ import annotations

import asyncio
import logging

import asyncpg

log = logging.getLogger("polls.store")


class Database:
    def __init__(self, dsn: str, max_size: int = 10) -> None:
        self.dsn = dsn
        self.max_size = max_size
        self._pool: asyncpg.Pool | None = None
        self._health: asyncpg.Connection | None = None
        # HAProxy checks each replica once per backend (web and live), so pings overlap; two queries at once
        # on one connection fail ("another operation is in progress"), which made healthy replicas flap DOWN.
        self._health_lock = asyncio.Lock()

    @property
    def pool(self) -> asyncpg.Pool:
        if self._pool is None:
            raise RuntimeError("the database pool is not open")
        return self._pool

    async def open(self, attempts: int = 30, delay: float = 1.0) -> None:
        """Open the pool, waiting for PostgreSQL to accept connections (it may start after us)."""
        for attempt in range(1, attempts + 1):
            try:
                self._pool = await asyncpg.create_pool(
                    self.dsn, min_size=1, max_size=self.max_size, command_timeout=10
                )
                return
            except (OSError, asyncpg.CannotConnectNowError, asyncpg.TooManyConnectionsError) as exc:
                if attempt == attempts:
                    raise
                log.warning("PostgreSQL not reachable yet (%s); retry %d/%d", exc, attempt, attempts)
                await asyncio.sleep(delay)

    async def close(self) -> None:
        if self._health is not None:
            health, self._health = self._health, None
            health.terminate()
        if self._pool is not None:
            pool, self._pool = self._pool, None
            await asyncio.wait_for(pool.close(), timeout=5)

    async def ping(self, limit: float = 2.0) -> bool:
        """True while PostgreSQL answers this replica; never raises.

        On a connection of its own, not one from the pool: a replica whose pool is busy with votes is
        loaded, not unhealthy, and must not be taken out of the balancer for it (which would only move
        its load to the others)."""
        try:
            async with asyncio.timeout(limit), self._health_lock:
                if self._health is None or self._health.is_closed():
                    self._health = await asyncpg.connect(self.dsn)
                return await self._health.fetchval("SELECT 1") == 1
        except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError):
            if self._health is not None:
                self._health.terminate()
                self._health = None
            return False
