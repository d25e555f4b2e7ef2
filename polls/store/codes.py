"""Join codes are drawn at random (domain.new_join_code) and made unique by PostgreSQL: an insert that meets
a taken code is tried again with another, in a savepoint, so the rest of the transaction stands."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

import asyncpg

from polls.domain import new_join_code

T = TypeVar("T")
ATTEMPTS = 10  # 31^6 codes: ten taken in a row would mean the table is nearly full, not bad luck


async def with_free_code(
    connection: asyncpg.Connection,
    insert: Callable[[str], Awaitable[T]],
    draw: Callable[[], str] = new_join_code,
) -> T:
    """insert(code) with a code no row holds yet (a poll's, a question's or an event's)."""
    for _ in range(ATTEMPTS):
        try:
            async with connection.transaction():
                return await insert(draw())
        except asyncpg.UniqueViolationError:
            continue
    raise RuntimeError(f"could not draw a free join code in {ATTEMPTS} attempts")
