"""What the figures were measured on: machine, versions, the repository's commit, the stack's processes."""

from __future__ import annotations

import os
import platform
import subprocess
import time
from importlib import metadata
from typing import Any

from bench import api
from bench.settings import ROOT, Stack


def _first_line(argv: list[str]) -> str:
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=30, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"unavailable ({exc})"
    text = (done.stdout or done.stderr).strip()
    return text.splitlines()[0] if text else f"unavailable (exit {done.returncode})"


def _changed_files(path: str) -> list[str]:
    done = subprocess.run(
        ["git", "-C", str(ROOT), "status", "--porcelain", "--", path],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    return [line[3:] for line in done.stdout.splitlines()]


def _package(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "not installed"


def preflight(stack: Stack) -> dict[str, Any]:
    """Fail with a clear message when the stack is not up (or up but not healthy for 30 s)."""
    try:
        return api.healthz(stack.url)
    except api.StackDown as exc:
        if "HTTP Error" not in str(exc):
            raise SystemExit(f"bench: {exc}: run scripts/stack up first") from None
    trouble = wait_recovered(stack, timeout=30.0)
    if trouble is not None:
        raise SystemExit(f"bench: the stack answers but is not healthy ({trouble}): see scripts/stack status")
    return api.healthz(stack.url)


def wait_recovered(stack: Stack, timeout: float) -> str | None:
    """Between sections: wait (bounded) until HAProxy answers /healthz and sees both replicas UP again,
    which takes a while after a section that overloaded them. None when it does, else what was seen."""
    deadline = time.monotonic() + timeout
    seen = "nothing"
    while time.monotonic() < deadline:
        try:
            api.healthz(stack.url)
            view = api.haproxy_servers(stack.stats_port)
            if all(view.get(name) == "UP" for name in ("web-1", "web-2")):
                return None
            seen = f"HAProxy sees {view}"
        except (api.StackDown, OSError) as exc:
            seen = str(exc)
        time.sleep(0.5)
    return seen


def stack_pids(stack: Stack) -> dict[str, int | None]:
    pids: dict[str, int | None] = {}
    for name in ("haproxy", "web-1", "web-2"):
        try:
            pids[name] = stack.pid_of(name)
        except (OSError, ValueError):
            pids[name] = None
    return pids


def describe(stack: Stack) -> dict[str, Any]:
    return {
        "cpu_count": os.cpu_count(),
        "machine": platform.machine(),
        "kernel": platform.release(),
        "memory_gib": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1),
        "open_files_hard_limit": int(_first_line(["bash", "-c", "ulimit -Hn"]) or 0),
        "versions": {
            "python": platform.python_version(),
            "sanic": _package("sanic"),
            "websockets": _package("websockets"),
            "uvloop": _package("uvloop"),
            "haproxy": _first_line(["haproxy", "-v"]),
            "postgresql": _first_line(["psql", stack.database_url, "-X", "-tAc", "SHOW server_version"]),
            "rabbitmq": _first_line(["rabbitmqctl", "version"]),
            "wrk": _first_line(["wrk", "-v"]),
        },
        "git": {
            "commit": _first_line(["git", "-C", str(ROOT), "rev-parse", "HEAD"]),
            # uncommitted changes of the replica's code: the stack may run code that no commit has
            "changed_files_in_polls": _changed_files("polls"),
        },
        "stack_pids": stack_pids(stack),
    }
