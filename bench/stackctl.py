"""Driving the native stack through scripts/stack (never editing it): kill and start a replica."""

from __future__ import annotations

import time

from bench import api
from bench.procs import run
from bench.settings import ROOT, Stack

STACK = str(ROOT / "scripts" / "stack")


def kill(name: str) -> float:
    """`scripts/stack kill NAME` (SIGKILL); returns how long the command took, in seconds."""
    start = time.monotonic()
    run([STACK, "kill", name], timeout=30)
    return time.monotonic() - start


def start(stack: Stack, name: str) -> bool:
    """`scripts/stack start NAME`, then wait (bounded) until HAProxy sees it UP again."""
    run([STACK, "start", name], timeout=60)
    return api.wait_servers_up(stack.stats_port, (name,), timeout=20.0)


def restart_replica(stack: Stack, name: str) -> None:
    kill(name)
    if not start(stack, name):
        raise RuntimeError(f"HAProxy does not see {name} UP again after a restart")
