"""The asyncpg pool of one replica: opened before the server starts, closed after it stops."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

import asyncpg

from polls.store.routines import create_routines

log = logging.getLogger("polls.store")

AfterCommit = Callable[[], Awaitable[None]]


@dataclass
class _Unit:
    """One use case's transaction: its connection, and what to do once it committed."""

    owner: asyncio.Task[Any] | None
    connection: asyncpg.Connection
    after_commit: list[AfterCommit] = field(default_factory=list)


# The unit of work of the running task. A task started inside one inherits the variable, and is not the
# owner: its queries go to the pool, never onto another task's transaction.
_unit: ContextVar[_Unit | None] = ContextVar("polls_unit_of_work", default=None)


async def _keep_session(connection: asyncpg.Connection) -> None:
    """The pool's reset of a connection it takes back. asyncpg's own rolls back an open transaction (it
    still does, before this) and then runs a query that releases advisory locks, closes cursors, unlistens
    and resets settings: a round trip on every release, the vote's included. The replica leaves none of
    those behind (no SET, LISTEN or cursor; the migrations' advisory lock is released where it is taken)."""


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
                    self.dsn,
                    min_size=1,
                    max_size=self.max_size,
                    command_timeout=10,
                    init=create_routines,
                    reset=_keep_session,
                )
                return
            except (OSError, asyncpg.CannotConnectNowError, asyncpg.TooManyConnectionsError) as exc:
                if attempt == attempts:
                    raise
                log.warning("PostgreSQL not reachable yet (%s); retry %d/%d", exc, attempt, attempts)
                await asyncio.sleep(delay)

    def _current(self) -> _Unit | None:
        unit = _unit.get()
        return unit if unit is not None and unit.owner is asyncio.current_task() else None

    @property
    def run(self) -> asyncpg.Connection | asyncpg.Pool:
        """Where a query runs: on the unit of work's connection inside one, else on the pool."""
        unit = self._current()
        return unit.connection if unit is not None else self.pool

    @asynccontextmanager
    async def acquire(self) -> AsyncIterator[asyncpg.Connection]:
        """A connection: the unit of work's inside one (its own transactions become savepoints)."""
        unit = self._current()
        if unit is not None:
            yield unit.connection
            return
        async with self.pool.acquire() as connection:
            yield connection

    @asynccontextmanager
    async def snapshot(self) -> AsyncIterator[asyncpg.Connection]:
        """A connection whose reads see one snapshot: a read-only repeatable-read transaction, or the unit
        of work's own (which sees its own writes)."""
        unit = self._current()
        if unit is not None:
            yield unit.connection
            return
        async with self.pool.acquire() as connection:
            async with connection.transaction(isolation="repeatable_read", readonly=True):
                yield connection

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[asyncpg.Connection]:
        """A unit of work: every query of the running task in one transaction, committed once; what was
        registered with after_commit (the publishes) runs after the commit, never before."""
        if self._current() is not None:
            raise RuntimeError("a unit of work is already open in this task")
        async with self.pool.acquire() as connection:
            unit = _Unit(asyncio.current_task(), connection)
            token = _unit.set(unit)
            try:
                async with connection.transaction():
                    yield connection
            finally:
                _unit.reset(token)
        for callback in unit.after_commit:
            try:
                await callback()
            except Exception as exc:  # committed: the answer stands, the screens catch up on the next change
                log.warning("after commit: %s", exc)

    async def value(self, query: str, *args: Any, missing: type[Exception]) -> Any:
        """The first column of the query's first row, or the `missing` error (a not-found) if it has none."""
        found = await self.run.fetchval(query, *args)
        if found is None:
            raise missing()
        return found

    @asynccontextmanager
    async def unit(self) -> AsyncIterator[asyncpg.Connection]:
        """A use case's unit of work: a new one, or the one its caller opened already (a write sent with an
        Idempotency-Key runs inside the unit that also keeps its answer), which commits it."""
        unit = self._current()
        if unit is not None:
            yield unit.connection
            return
        async with self.transaction() as connection:
            yield connection

    async def after_commit(self, callback: AfterCommit) -> None:
        """Run the callback once the running unit of work committed, or now outside of one."""
        unit = self._current()
        if unit is None:
            await callback()
        else:
            unit.after_commit.append(callback)

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
                return bool(await self._health.fetchval("SELECT 1") == 1)
        except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError):
            if self._health is not None:
                self._health.terminate()
                self._health = None
            return False
