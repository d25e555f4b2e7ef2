"""All SQL lives here: the connection pool, the migrations runner and the poll store."""

from polls.store.migrate import MigrationError, migrate
from polls.store.polls import PollStore
from polls.store.pool import Database

__all__ = ["Database", "MigrationError", "PollStore", "migrate"]
