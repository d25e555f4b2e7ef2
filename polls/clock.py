"""The time a quiz runs on: PostgreSQL's. It stamps a question's start and end and each ballot's commit, so a
phone's countdown must count to the database's end, whatever the clocks of the replica and the phone say.
Each replica measures how far its own clock is from the database's (the sample with the shortest round
trip of a few, its midpoint) and tells a phone the database's time (GET /api/time); the phone measures
its own offset to that the same way."""

from __future__ import annotations

import time

from polls.store.pool import Database

SAMPLES = 5


class DatabaseClock:
    def __init__(self, database: Database) -> None:
        self.database = database
        self.offset = 0.0  # the database's clock minus this replica's, in seconds

    def now(self) -> float:
        """The database's time now, as this replica reckons it (seconds since the epoch)."""
        return time.time() + self.offset

    async def measure(self) -> float:
        """Measure the offset again (a few round trips); returns it."""
        shortest, offset = float("inf"), self.offset
        for _ in range(SAMPLES):
            sent = time.time()
            database_now = await self.database.run.fetchval("SELECT extract(epoch FROM clock_timestamp())")
            received = time.time()
            if received - sent < shortest:
                shortest, offset = received - sent, float(database_now) - (sent + received) / 2
        self.offset = offset
        return offset
