"""Processes this benchmark starts (and always stops), free ports, and CPU and memory read from /proc."""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import socket
import subprocess
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
PR_SET_PDEATHSIG = 1


def die_with_parent() -> None:
    """In the child before exec: SIGTERM it when the benchmark dies, even by SIGKILL (Linux prctl)."""
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def free_port() -> int:
    """A port nothing listens on now (the kernel's pick; another program could take it in between)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Started:
    """A child process with its output in a log file, stopped by its own pid: TERM, then KILL."""

    def __init__(
        self, name: str, argv: Sequence[str], log: Path, env: Mapping[str, str] | None = None
    ) -> None:
        self.name = name
        self.log = log
        with open(log, "ab") as out:
            self.popen = subprocess.Popen(
                list(argv),
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env=dict(env) if env is not None else None,
                preexec_fn=die_with_parent,
            )

    @property
    def pid(self) -> int:
        return self.popen.pid

    def alive(self) -> bool:
        return self.popen.poll() is None

    def stop(self, timeout: float = 5.0) -> None:
        if not self.alive():
            return
        with contextlib.suppress(ProcessLookupError):
            self.popen.send_signal(signal.SIGTERM)
        try:
            self.popen.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.popen.kill()
            self.popen.wait(timeout=timeout)

    def tail(self, lines: int = 15) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


@contextlib.contextmanager
def started(processes: list[Started]) -> Iterator[list[Started]]:
    """Stops every process in the list on the way out, whatever happened."""
    try:
        yield processes
    finally:
        for process in reversed(processes):
            process.stop()


def cpu_seconds(pid: int) -> float:
    """utime + stime of a process, in seconds (0 when it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def machine_busy() -> tuple[float, float, float]:
    """(busy, total, interrupts) jiffies of all CPUs since boot, from /proc/stat. Interrupt time (irq and
    softirq: much of loopback networking) is in no process's figures, so it is reported apart."""
    values = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = values[3] + values[4]
    total = sum(values[:8])
    return float(total - idle), float(total), float(values[5] + values[6])


def pids_named(comm: str) -> list[int]:
    """Every process whose command name is `comm` (e.g. "postgres", "beam.smp")."""
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().strip() == comm:
                    pids.append(int(entry.name))
            except OSError:
                continue
    return pids


@dataclass
class CpuMeter:
    """CPU use of groups of processes and of the whole machine between start() and stop(), in % of a core.

    A group of `named` services (name -> command name) also counts its processes born in between, whole:
    PostgreSQL forks a backend for each new connection (a pool that grows under load), and one missed
    was reported as "other processes"."""

    groups: dict[str, list[int]]
    named: dict[str, str] = field(default_factory=dict)
    _start: dict[str, float] = field(default_factory=dict)
    _wall: float = 0.0
    _machine: tuple[float, float, float] = (0.0, 0.0, 0.0)

    @classmethod
    def of(cls, named: dict[str, int], with_services: bool = True) -> CpuMeter:
        groups = {name: [pid] for name, pid in named.items()}
        services = {"postgresql (all)": "postgres", "rabbitmq": "beam.smp"} if with_services else {}
        for name, comm in services.items():
            groups[name] = pids_named(comm)
        return cls(groups, services)

    def start(self) -> None:
        self._wall = time.monotonic()
        self._start = {str(pid): cpu_seconds(pid) for pids in self.groups.values() for pid in pids}
        self._machine = machine_busy()

    def _used(self, pid: int) -> float:
        """CPU seconds since start(); a process that has gone since counts 0 (its last figure is lost)."""
        now = cpu_seconds(pid)
        return max(now - self._start.get(str(pid), 0.0), 0.0) if now else 0.0

    def stop(self) -> dict[str, float]:
        wall = max(time.monotonic() - self._wall, 1e-6)
        for name, comm in self.named.items():
            self.groups[name] = sorted(set(self.groups[name]) | set(pids_named(comm)))
        usage = {}
        for name, pids in self.groups.items():
            usage[name] = round(100 * sum(self._used(pid) for pid in pids) / wall, 1)
        busy, total, interrupts = machine_busy()
        busy0, total0, interrupts0 = self._machine
        share = 100 * (os.cpu_count() or 1) / max(total - total0, 1.0)
        usage["kernel interrupts"] = round(share * (interrupts - interrupts0), 1)
        usage["machine (all cores)"] = round(share * (busy - busy0), 1)
        return usage


def with_clients(usage: dict[str, float], clients: dict[str, float]) -> dict[str, float]:
    """Add the load generators' own CPU figures and what is left: processes this benchmark does not know
    (another test run on the same machine shows up there and makes every figure worse)."""
    out = {**usage, **clients}
    machine = out.pop("machine (all cores)", 0.0)
    known = sum(out.values())
    out["other processes"] = round(max(machine - known, 0.0), 1)
    out["machine (all cores)"] = machine
    return out


def rss_kib(pid: int) -> dict[str, int]:
    """VmRSS and VmHWM (peak) of a process, in KiB."""
    out: dict[str, int] = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            out[key] = int(value.split()[0])
    return out


def fd_limit(pid: int) -> int:
    """The soft limit of open files of a process."""
    for line in Path(f"/proc/{pid}/limits").read_text().splitlines():
        if line.startswith("Max open files"):
            return int(line.split()[3])
    raise RuntimeError(f"no open-files limit for pid {pid}")


def run(argv: Sequence[str], timeout: float = 30.0, env: Mapping[str, str] | None = None) -> str:
    """Run a short command and return its stdout; raise with its stderr when it fails."""
    done = subprocess.run(
        list(argv),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        env=dict(env) if env is not None else None,
    )
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} failed ({done.returncode}): {done.stderr.strip()[-500:]}")
    return done.stdout
