"""The Docker suite's stack: the README's compose commands run verbatim on a real engine, on port 3000.

The engine is scripts/engine's (started by scripts/test). Where Docker Hub cannot be reached, the base images
are scripts/images' equivalents built from Debian's packages, named through the POLLS_*_IMAGE variables the
compose file reads; builds use the host's network, and the CAs this host added to its trust store (a
TLS-intercepting proxy's) reach pip and npm as a build argument. The project is `polls-test`, so a stack of
the user's own (`polls`) is never touched, and its image is rebuilt from the cache of the last run; port 3000
must be free (a native stack on it is stopped first).
"""

from __future__ import annotations

import csv
import fcntl
import io
import json
import os
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.processes import ROOT

URL = "http://127.0.0.1:3000"
STATS = "http://127.0.0.1:8404/stats;csv"
LOCAL_CAS = Path("/usr/local/share/ca-certificates")
LOCK = Path("/tmp/polls-docker-suite.lock")


def run(args: list[str], env: dict[str, str], timeout: float = 600) -> str:
    result = subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout)
    if result.returncode != 0:
        raise AssertionError(
            f"{' '.join(args)} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}"
        )
    return result.stdout


def base_images() -> dict[str, str]:
    """POLLS_*_IMAGE=... for each base image: the official one if the engine has it, else scripts/images'."""
    official = ["python:3.14-slim", "node:26-slim", "haproxy:3.4", "postgres:18", "rabbitmq:4.3-management"]
    present = subprocess.run(["docker", "image", "inspect", *official], capture_output=True).returncode == 0
    if present:
        return {}
    lines = run([str(ROOT / "scripts" / "images"), "--env"], dict(os.environ), timeout=1800)
    return dict(line.split("=", 1) for line in lines.split() if line.startswith("POLLS_"))


@dataclass
class Compose:
    env: dict[str, str]

    def __call__(self, *args: str, timeout: float = 600) -> str:
        return run(["docker", "compose", *args], self.env, timeout)

    def containers(self, service: str) -> list[str]:
        return self("ps", "-q", service).split()

    def health(self) -> dict[str, tuple[str, str]]:
        """Each container of the project: its name -> (service, health or state)."""
        rows = [json.loads(line) for line in self("ps", "--format", "json").splitlines() if line.strip()]
        return {r["Name"]: (r["Service"], r.get("Health") or r["State"]) for r in rows}

    def wait_healthy(self, services: dict[str, int], within: float = 180) -> None:
        """Wait until each of these services has this many containers, all healthy."""
        deadline = time.monotonic() + within
        while True:
            health = self.health().values()
            counts = {
                s: sum(1 for service, state in health if service == s and state == "healthy")
                for s in services
            }
            if counts == services:
                return
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"not healthy within {within} s: {health}\n{self('logs', '--tail', '30')}"
                )
            time.sleep(0.5)

    def addresses(self, container: str) -> set[str]:
        out = run(
            [
                "docker",
                "inspect",
                "-f",
                "{{range .NetworkSettings.Networks}}{{.IPAddress}} {{end}}",
                container,
            ],
            self.env,
        )
        return set(out.split())

    def psql(self, sql: str) -> list[list[str]]:
        out = self("exec", "-T", "db", "psql", "-U", "polls", "-d", "polls", "-AtF", "\t", "-c", sql)
        return [line.split("\t") for line in out.splitlines() if line]


def haproxy_servers() -> dict[str, dict[str, str]]:
    """HAProxy's web backend: slot name -> its stats row (status, addr, ...); {} if stats do not answer."""
    try:
        text = httpx.get(STATS, timeout=2).text
    except httpx.HTTPError:
        return {}
    rows = csv.DictReader(io.StringIO(text.lstrip("# ")))
    return {r["svname"]: r for r in rows if r["pxname"] == "web" and r["svname"] != "BACKEND"}


def wait_for(what: str, check, within: float = 60, every: float = 0.2):
    """Retry `check` until it returns something true; past the deadline, fail with what it last returned."""
    deadline = time.monotonic() + within
    while True:
        try:
            seen = check()
        except (httpx.HTTPError, OSError) as exc:
            seen = exc
        if seen and not isinstance(seen, Exception):
            return seen
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {within} s; last seen: {seen!r}")
        time.sleep(every)


def listening(port: int) -> bool:
    """Whether something accepts connections on the port (a bind test would also fail on the TIME_WAIT
    connections that the last run's load left behind)."""
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
    except OSError:
        return False
    return True


def free_ports_3000_and_8404() -> None:
    """Stop a native stack that holds the ports; anything else holding them is an error to report."""
    if (ROOT / ".stack" / "pids" / "haproxy.pid").exists():
        subprocess.run([str(ROOT / "scripts" / "stack"), "down"], cwd=ROOT, capture_output=True, timeout=120)
    wait_for("ports 3000 and 8404 free", lambda: not listening(3000) and not listening(8404), within=15)


@contextmanager
def the_only_docker_suite(within: float = 1800) -> Iterator[None]:
    """Port 3000 and the project name are the machine's: a second run of this suite (another checkout,
    another user) waits for the first to finish instead of taking its stack down under it."""
    with LOCK.open("w") as lock:
        deadline = time.monotonic() + within
        while True:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise AssertionError(f"another Docker suite held {LOCK} for {within} s") from None
                time.sleep(1)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


@pytest.fixture(scope="session")
def compose() -> Iterator[Compose]:
    env = {
        **os.environ,
        "COMPOSE_PROJECT_NAME": "polls-test",
        "POLLS_BUILD_NETWORK": "host",
        "POLLS_EXTRA_CA_CERT": "".join(p.read_text() for p in sorted(LOCAL_CAS.glob("*.crt"))),
        **base_images(),
    }
    stack = Compose(env)
    stack("down", "-v", "--remove-orphans")  # what an interrupted run left: the demo starts from nothing
    free_ports_3000_and_8404()
    stack("build", timeout=1800)
    try:
        # The README's three commands, verbatim.
        stack("up", "-d", "reverse-proxy")
        stack("up", "-d", "web")
        stack("up", "-d", "--scale", "web=2")
        yield stack
    finally:
        subprocess.run(
            ["docker", "compose", "down", "-v", "--remove-orphans"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            timeout=300,
        )
