"""Where the stack under test listens, and the sizes of each section in full and --quick runs."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS_DIR = ROOT / "bench" / "results"
LUA_DIR = ROOT / "bench" / "lua"
PYTHON = ROOT / ".venv" / "bin" / "python"
HOST = "127.0.0.1"  # every load targets this machine only


@dataclass(frozen=True)
class Stack:
    """The native stack's ports and files; the same POLLS_* variables as scripts/stack, same defaults."""

    http_port: int
    stats_port: int
    base_port: int
    stack_dir: Path
    database_url: str

    @classmethod
    def from_env(cls) -> Stack:
        env = os.environ
        db_name = env.get("POLLS_DB_NAME", "polls")
        return cls(
            http_port=int(env.get("POLLS_HTTP_PORT", "3000")),
            stats_port=int(env.get("POLLS_STATS_PORT", "8404")),
            base_port=int(env.get("POLLS_BASE_PORT", "8000")),
            stack_dir=Path(env.get("POLLS_STACK_DIR", str(ROOT / ".stack"))),
            database_url=env.get("POLLS_DATABASE_URL", f"postgresql://postgres@{HOST}:5432/{db_name}"),
        )

    def replica_port(self, name: str) -> int:
        return self.base_port + int(name.removeprefix("web-"))

    def pid_file(self, name: str) -> Path:
        return self.stack_dir / "pids" / f"{name}.pid"

    def pid_of(self, name: str) -> int:
        return int(self.pid_file(name).read_text().strip())

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.http_port}"


@dataclass(frozen=True)
class Sizes:
    """How big and how long each section runs."""

    wrk_seconds: int
    paced_seconds: float
    latency_subscribers: tuple[int, ...]
    latency_seconds: float
    capacity_per_replica: tuple[int, ...]
    capacity_seconds: float
    memory_subscribers: int
    storm_subscribers: int
    stadium_subscribers: int
    stadium_seconds: float
    failover_subscribers: int
    failover_seconds: float


FULL = Sizes(
    wrk_seconds=10,
    paced_seconds=10.0,
    latency_subscribers=(1_000, 5_000, 10_000),
    latency_seconds=10.0,
    capacity_per_replica=(2_000, 5_000, 10_000),
    capacity_seconds=10.0,
    memory_subscribers=5_000,
    storm_subscribers=2_000,
    stadium_subscribers=20_000,
    stadium_seconds=10.0,
    failover_subscribers=2_000,
    failover_seconds=12.0,
)

QUICK = Sizes(
    wrk_seconds=3,
    paced_seconds=3.0,
    latency_subscribers=(200, 1_000),
    latency_seconds=3.0,
    capacity_per_replica=(1_000,),
    capacity_seconds=3.0,
    memory_subscribers=1_000,
    storm_subscribers=500,
    stadium_subscribers=2_000,
    stadium_seconds=4.0,
    failover_subscribers=300,
    failover_seconds=6.0,
)

# The fixed rates of the brief.
PACED_RATE = 2_000.0  # votes/s for the p99 figure of the throughput section
LATENCY_RATE = 1_000.0  # votes/s while subscribers watch
FAILOVER_RATE = 500.0  # votes/s during the failover
WRK_CONNECTIONS = 64
WRK_THREADS = 2
WRK_IDS_PER_S = 8_000  # voter ids written for votes.lua per second of a run: above what wrk reaches here
