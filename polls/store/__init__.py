"""All SQL lives here: the connection pool, the migrations runner, the poll and event stores."""

from polls.store.events import EventStore
from polls.store.migrate import MigrationError, migrate
from polls.store.polls import PollStore
from polls.store.pool import Database

__all__ = ["Database", "EventStore", "MigrationError", "PollStore", "migrate"]
