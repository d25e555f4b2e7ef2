"""Which exceptions are a fault (503, Retry-After, a warning) and which are a bug (500, a traceback).

The faults are what asyncpg raised while PostgreSQL stopped and started under load (see
test_postgres_restart.py, which restarts a real server); the bugs must not hide among them."""

from __future__ import annotations

import logging
import socket

import asyncpg
import pytest

from polls.errors import Unavailable
from polls.web.errors import describe, is_fault

FAULTS = [
    ConnectionRefusedError(111, "Connect call failed ('127.0.0.1', 5432)"),
    ConnectionResetError(104, "Connection reset by peer"),
    OSError(113, "Connect call failed ('10.0.0.5', 5432)"),
    OSError("Multiple exceptions: [Errno 111] Connect call failed, [Errno 99] Cannot assign address"),
    socket.gaierror(-2, "Name or service not known"),
    TimeoutError(),
    asyncpg.CannotConnectNowError("the database system is shutting down"),
    asyncpg.CannotConnectNowError("the database system is starting up"),
    asyncpg.exceptions.AdminShutdownError("terminating connection due to administrator command"),
    asyncpg.exceptions.CrashShutdownError(
        "terminating connection because of crash of another server process"
    ),
    asyncpg.exceptions.QueryCanceledError("canceling statement due to statement timeout"),
    asyncpg.ConnectionDoesNotExistError("connection was closed in the middle of operation"),
    asyncpg.TooManyConnectionsError("sorry, too many clients already"),
    asyncpg.exceptions.PostgresIOError("could not write to file"),
    asyncpg.InterfaceError("cannot call Transaction.__aexit__(): the underlying connection is closed"),
    asyncpg.exceptions.InternalClientError("cannot switch to state 15; another operation (2) is in progress"),
]

BUGS = [
    ValueError("a bug"),
    KeyError("option"),
    RuntimeError("the database pool is not open"),
    FileNotFoundError(2, "No such file or directory"),
    PermissionError(13, "Permission denied"),
    asyncpg.exceptions.DataError("invalid input for query argument $1"),
    asyncpg.exceptions.UndefinedColumnError('column "votes" does not exist'),
    asyncpg.exceptions.DeadlockDetectedError("deadlock detected"),
    asyncpg.exceptions.UniqueViolationError("duplicate key value violates unique constraint"),
]


@pytest.mark.parametrize("fault", FAULTS, ids=lambda e: type(e).__name__)
def test_a_fault_of_the_database_is_503_with_a_safe_message_and_a_warning(fault, caplog):
    with caplog.at_level(logging.WARNING, logger="polls.web"):
        assert is_fault(fault)
        error = describe(fault)
        assert (error.status_code, error.text(), error.code) == (503, Unavailable.message, "unavailable")
    assert [r.levelname for r in caplog.records] == ["WARNING"]
    assert caplog.records[0].exc_info is None


@pytest.mark.parametrize("bug", BUGS, ids=lambda e: type(e).__name__)
def test_a_bug_stays_a_500_and_is_logged_with_its_traceback(bug, caplog):
    with caplog.at_level(logging.WARNING, logger="polls.web"):
        assert not is_fault(bug)
        error = describe(bug)
    assert error.status_code == 500 and error.code == "internal_error" and str(bug) not in error.text()
    assert [r.levelname for r in caplog.records] == ["ERROR"]
    assert caplog.records[0].exc_info is not None
