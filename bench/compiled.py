"""Subscriber processes in C (bench/wsclient.c) behind the interface of bench.fleet.Fleet; `build` compiles
the harness's C tools (this client, and bench/voter.c for bench.compiled_voter).

For the biggest loads (the stadium's 20,000 phones): the Python subscribers' own CPU there was more than one
core's worth, so their late reads, not the stack, set the figures. The C client keeps what they record (the
kernel's receive time and the version of every message) at a fraction of the cost. It is built once per
content of its source with the machine's gcc (Debian's package) into bench/.build/, which git ignores.
"""

from __future__ import annotations

import hashlib
import json
import os
import select
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from bench.fleet import Fleet, merge_ready, spread
from bench.subscribers import WorkerSpec, latency_histograms

SOURCE = Path(__file__).with_name("wsclient.c")
BUILD = Path(__file__).with_name(".build")


def build(source: Path = SOURCE) -> Path:
    """A C tool's binary, compiled if its source changed (or gcc's absence, said plainly)."""
    # The binary is named by the source and the headers it may include (bench/*.h), so either's change
    # builds it again.
    parts = [source, *sorted(source.parent.glob("*.h"))]
    digest = hashlib.sha256(b"".join(part.read_bytes() for part in parts)).hexdigest()[:16]
    binary = BUILD / f"{source.stem}-{digest}"
    if not binary.exists():
        BUILD.mkdir(exist_ok=True)
        done = subprocess.run(
            ["gcc", "-O2", "-Wall", "-o", str(binary), str(source), "-lm"],
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            raise RuntimeError(f"building bench/{source.name} failed: {done.stderr.strip()[-500:]}")
    return binary


@dataclass
class Receipts:
    """One socket's receipts, as latency_histograms reads them from a Python subscriber."""

    times: np.ndarray
    versions: np.ndarray


def read_receipts(path: Path) -> list[Receipts]:
    data = path.read_bytes()
    out, at = [], 0
    record = np.dtype([("time", "<f8"), ("version", "<i8")])
    while at < len(data):
        n = int.from_bytes(data[at : at + 4], "little")
        at += 4
        rows = np.frombuffer(data, dtype=record, count=n, offset=at)
        at += n * record.itemsize
        out.append(Receipts(rows["time"].copy(), rows["version"].copy()))
    return out


class CompiledFleet(Fleet):
    """A Fleet whose processes are the C client: `ready`, `ask`, `pids` and `close` its own, the rest
    (`wait_versions`, the context manager) Fleet's."""

    def __init__(self, spec: WorkerSpec, processes: int) -> None:  # Fleet's own starts Python workers
        self.workers = []
        binary = build()
        self._workdir = Path(tempfile.mkdtemp(prefix="polls-wsclient-"))
        self.processes: list[subprocess.Popen[bytes]] = []
        for ports in spread(spec.ports, processes):
            process = subprocess.Popen(
                [str(binary), spec.host, spec.path, *map(str, ports)],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
            )
            if spec.cpus:
                os.sched_setaffinity(process.pid, spec.cpus)
            self.processes.append(process)

    @property
    def pids(self) -> list[int]:
        return [p.pid for p in self.processes]

    def _answer(self, process: subprocess.Popen[bytes], deadline: float) -> dict[str, Any]:
        assert process.stdout is not None
        ready, _, _ = select.select([process.stdout], [], [], max(0.0, deadline - time.monotonic()))
        if not ready:
            raise TimeoutError("a subscriber process did not answer in time")
        line = process.stdout.readline()
        if not line:
            raise RuntimeError(f"a subscriber process ended (exit {process.poll()})")
        return dict(json.loads(line))

    def _send(self, process: subprocess.Popen[bytes], line: str) -> None:
        assert process.stdin is not None
        process.stdin.write(line.encode() + b"\n")
        process.stdin.flush()

    def ready(self, timeout: float) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        return merge_ready([self._answer(p, deadline) for p in self.processes])

    def ask(self, cmd: str, timeout: float = 60.0, **args: Any) -> list[dict[str, Any]]:
        deadline = time.monotonic() + timeout
        if cmd == "collect":
            return self._collect(deadline, args.get("votes"))
        line = f"{cmd} {args['t']!r}" if cmd == "first_after" else cmd
        for process in self.processes:
            self._send(process, line)
        return [self._answer(p, deadline) for p in self.processes]

    def _collect(self, deadline: float, votes_path: str | None) -> list[dict[str, Any]]:
        replies = []
        for i, process in enumerate(self.processes):
            dump = self._workdir / f"receipts-{i}.bin"
            self._send(process, f"collect {dump}")
            reply = self._answer(process, deadline)
            if votes_path is not None:
                from_ack, from_send = latency_histograms(read_receipts(dump), votes_path)  # type: ignore[arg-type]
                reply["histogram"], reply["histogram_from_send"] = from_ack.to_wire(), from_send.to_wire()
            dump.unlink(missing_ok=True)
            replies.append(reply)
        return replies

    def close(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                try:
                    self._send(process, "stop")
                except OSError:
                    pass
        for process in self.processes:
            try:
                process.wait(10.0)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(5.0)
        for leftover in self._workdir.glob("*"):
            leftover.unlink()
        self._workdir.rmdir()
