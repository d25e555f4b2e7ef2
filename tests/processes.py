"""Real replica processes (`python -m polls`) for tests that need a network between replicas."""

from __future__ import annotations

import os
import random
import socket
import subprocess
import sys
import time
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

    def wait_healthy(self, within: float = 30.0) -> None:
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
