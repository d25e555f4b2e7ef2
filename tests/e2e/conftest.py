"""The native stack of scripts/stack (HAProxy + two replicas), started on test ports for this run."""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.processes import ROOT, free_port, port_free


def consecutive_free_ports(count: int) -> int:
    """A base port B such that B+1 .. B+count are free."""
    for _ in range(50):
        base = free_port()
        if all(port_free(base + i) for i in range(1, count + 1)):
            return base
    raise RuntimeError("no run of free ports found")


@dataclass
class Stack:
    env: dict[str, str]
    url: str
    stats_url: str
    base_port: int

    def run(
        self, *args: str, check: bool = True, env: dict[str, str] | None = None
    ) -> subprocess.CompletedProcess:
        result = subprocess.run(
            [str(ROOT / "scripts" / "stack"), *args],
            env=env or self.env,
            capture_output=True,
            text=True,
            timeout=180,
        )
        if check and result.returncode != 0:
            raise AssertionError(f"scripts/stack {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
        return result

    def replica_url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.base_port + int(name.removeprefix('web-'))}"

    def pid(self, name: str) -> int:
        """The process id of a part of the stack (web-1, haproxy, ...) from its pid file."""
        return int(Path(self.env["POLLS_STACK_DIR"], "pids", f"{name}.pid").read_text())

    def haproxy_view(self) -> dict[str, str]:
        """HAProxy's state of each server of the web backend: {"web-1": "UP", ...}; {} while the stats
        page does not answer (a busy machine can make one request slow)."""
        try:
            rows = httpx.get(f"{self.stats_url};csv", timeout=2).text.splitlines()
        except httpx.HTTPError:
            return {}
        return {f[1]: f[17] for f in (r.split(",") for r in rows[1:]) if f[0] == "web" and f[1] != "BACKEND"}

    def wait_haproxy(self, name: str, state: str, within: float = 15.0) -> float:
        """Wait until HAProxy reports the server in the state; returns the seconds it took."""
        start = time.monotonic()
        while time.monotonic() - start < within:
            if self.haproxy_view().get(name, "").startswith(state):
                return time.monotonic() - start
            time.sleep(0.05)
        raise AssertionError(f"HAProxy never saw {name} {state}: {self.haproxy_view()}")

    def wait_haproxy_view(self, view: dict[str, str], within: float = 15.0) -> None:
        """Wait until HAProxy's view of the backend is exactly this."""
        deadline = time.monotonic() + within
        while self.haproxy_view() != view:
            if time.monotonic() > deadline:
                raise AssertionError(f"HAProxy's view stayed {self.haproxy_view()}, not {view}")
            time.sleep(0.1)


@pytest.fixture(scope="session")
def stack(database_name: str, exchange_name: str, tmp_path_factory) -> Iterator[Stack]:
    base = consecutive_free_ports(2)
    http_port, stats_port = free_port(), free_port()
    env = {
        **os.environ,
        "POLLS_STACK_DIR": str(tmp_path_factory.mktemp("stack")),
        "POLLS_HTTP_PORT": str(http_port),
        "POLLS_STATS_PORT": str(stats_port),
        "POLLS_BASE_PORT": str(base),
        "POLLS_DB_NAME": database_name,
        "POLLS_EXCHANGE": exchange_name,
    }
    stack = Stack(env, f"http://127.0.0.1:{http_port}", f"http://127.0.0.1:{stats_port}/stats", base)
    try:
        stack.run("up")
        yield stack
    finally:
        stack.run("down", check=False)  # also when "up" failed half-way
