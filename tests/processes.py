"""Real replica processes (`python -m polls`) for tests that need a network between replicas, and the native
stack of scripts/stack (HAProxy in front of replicas) on test ports."""

from __future__ import annotations

import os
import random
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent


def port_free(port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def free_port() -> int:
    """A free port below the kernel's ephemeral range (32768 and up), where outgoing connections of
    other programs on the machine cannot take it between this check and the server's bind."""
    for _ in range(200):
        port = random.randint(20000, 32000)
        if port_free(port):
            return port
    raise RuntimeError("no free port found between 20000 and 32000")


class Replica:
    def __init__(self, name: str, database_url: str, amqp_url: str, exchange: str, log_dir: Path) -> None:
        self.name = name
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.ws_url = f"ws://127.0.0.1:{self.port}"
        self.log = log_dir / f"{name}.log"
        self.env = {
            **os.environ,
            "POLLS_INSTANCE": name,
            "POLLS_PORT": str(self.port),
            "POLLS_DATABASE_URL": database_url,
            "POLLS_AMQP_URL": amqp_url,
            "POLLS_EXCHANGE": exchange,
            "POLLS_GRACEFUL_SHUTDOWN_TIMEOUT": "2",
        }
        self.process: subprocess.Popen | None = None

    def start(self, wait_healthy: bool = True) -> Replica:
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "polls"], cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT
            )
        if wait_healthy:
            self.wait_healthy()
        return self

    def wait_healthy(self, within: float = 90.0) -> None:
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            assert self.process is not None and self.process.poll() is None, self.log.read_text()[-2000:]
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise TimeoutError(f"{self.name} not healthy within {within}s:\n{self.log.read_text()[-2000:]}")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


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
        """HAProxy's state of each server, in both its backends (web for requests, live for websockets,
        each with health checks of its own): {"web-1": "UP", ...} where both agree, the state of each
        backend ("UP/DOWN") where they do not yet; {} while the stats page does not answer (a busy machine
        can make one request slow)."""
        try:
            rows = httpx.get(f"{self.stats_url};csv", timeout=2).text.splitlines()
        except httpx.HTTPError:
            return {}
        states: dict[str, dict[str, str]] = {}
        for fields in (row.split(",") for row in rows[1:]):
            if len(fields) > 17 and fields[0] in ("web", "live") and fields[1] != "BACKEND":
                states.setdefault(fields[1], {})[fields[0]] = fields[17]
        return {
            server: (
                by_backend.get("web", "?")
                if by_backend.get("web") == by_backend.get("live")
                else f"{by_backend.get('web', '?')}/{by_backend.get('live', '?')}"
            )
            for server, by_backend in states.items()
        }

    def wait_haproxy(self, name: str, state: str, within: float = 15.0) -> float:
        """Wait until HAProxy reports the server in the state in both backends; returns the seconds it took.
        (A replica UP for requests may not be UP for websockets yet: screens would all go to the other.)"""
        start = time.monotonic()
        while time.monotonic() - start < within:
            seen = self.haproxy_view().get(name, "")
            if seen.startswith(state) and "/" not in seen:
                return time.monotonic() - start
            time.sleep(0.05)
        raise AssertionError(f"HAProxy never saw {name} {state}: {self.haproxy_view()}")

    def wait_haproxy_view(self, view: dict[str, str], within: float = 15.0) -> None:
        """Wait until HAProxy's view of both backends is exactly this."""
        deadline = time.monotonic() + within
        while self.haproxy_view() != view:
            if time.monotonic() > deadline:
                raise AssertionError(f"HAProxy's view stayed {self.haproxy_view()}, not {view}")
            time.sleep(0.1)
