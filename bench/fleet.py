"""Subscriber processes seen from the benchmark: start them, ask them things, always stop them."""

from __future__ import annotations

import multiprocessing
import time
from collections.abc import Sequence
from dataclasses import replace
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import Any

from bench.stats import summary_ms
from bench.subscribers import WorkerSpec, worker_main


def processes_for(subscribers: int, per_process: int = 2_500) -> int:
    """How many subscriber processes: one per 2,500 sockets (a Python loop's share, measured), at most 8."""
    return max(1, min(8, -(-subscribers // per_process)))


def spread(ports: Sequence[int], processes: int) -> list[tuple[int, ...]]:
    """Deal subscribers (one port each) round-robin to processes."""
    return [tuple(ports[i::processes]) for i in range(processes)]


def merge_ready(replies: list[dict[str, Any]]) -> dict[str, Any]:
    """The processes' connect reports as one."""
    errors: dict[str, int] = {}
    for reply in replies:
        for kind, n in reply["connect_errors"].items():
            errors[kind] = errors.get(kind, 0) + n
    upgraded = [t for r in replies for t in r["upgraded_after"]]
    snapshots = [t for r in replies for t in r["snapshot_after"]]
    return {
        "upgraded": summary_ms(upgraded),
        "snapshot": summary_ms(snapshots),
        "connected": sum(r["connected"] for r in replies),
        "failed": sum(r["failed"] for r in replies),
        "connect_errors": errors,
        "connect_seconds": max(r["seconds"] for r in replies),
    }


class Fleet:
    def __init__(self, spec: WorkerSpec, processes: int) -> None:
        context = multiprocessing.get_context("spawn")
        self.workers: list[tuple[BaseProcess, Connection]] = []
        for i, ports in enumerate(spread(spec.ports, processes)):
            ours, theirs = context.Pipe()
            process = context.Process(
                target=worker_main, args=(theirs, replace(spec, ports=ports, seed=spec.seed + i)), daemon=True
            )
            process.start()
            theirs.close()
            self.workers.append((process, ours))

    @property
    def pids(self) -> list[int]:
        return [p.pid for p, _ in self.workers if p.pid is not None]

    def _receive(self, pipe: Connection, deadline: float) -> dict[str, Any]:
        if not pipe.poll(max(0.0, deadline - time.monotonic())):
            raise TimeoutError("a subscriber process did not answer in time")
        return dict(pipe.recv())

    def ready(self, timeout: float) -> dict[str, Any]:
        """Wait until every process has connected its subscribers (or given up on some)."""
        deadline = time.monotonic() + timeout
        return merge_ready([self._receive(pipe, deadline) for _, pipe in self.workers])

    def ask(self, cmd: str, timeout: float = 60.0, **args: Any) -> list[dict[str, Any]]:
        deadline = time.monotonic() + timeout
        for _, pipe in self.workers:
            pipe.send({"cmd": cmd, **args})
        return [self._receive(pipe, deadline) for _, pipe in self.workers]

    def wait_versions(self, version: int, timeout: float) -> dict[str, Any]:
        """Wait until every open subscriber shows `version` or newer (bounded); the last status seen."""
        deadline = time.monotonic() + timeout
        while True:
            status = self.ask("status", timeout=10.0)
            merged = {
                "open": sum(s["open"] for s in status),
                "min_version": min(s["min_version"] for s in status),
            }
            if merged["min_version"] >= version or time.monotonic() > deadline:
                return merged
            time.sleep(0.2)

    def close(self) -> None:
        for process, pipe in self.workers:
            if process.is_alive():
                try:
                    pipe.send({"cmd": "stop"})
                except OSError:
                    pass
        deadline = time.monotonic() + 10.0
        for process, pipe in self.workers:
            process.join(max(0.1, deadline - time.monotonic()))
            if process.is_alive():
                process.kill()
                process.join(5.0)
            pipe.close()

    def __enter__(self) -> Fleet:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()
