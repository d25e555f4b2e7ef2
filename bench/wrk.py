"""Running wrk (Debian's wrk 4.1) with the Lua scripts in bench/lua and reading their BENCH line."""

from __future__ import annotations

import json
import resource
import subprocess
from collections.abc import Sequence
from typing import Any

from bench.settings import LUA_DIR, WRK_CONNECTIONS, WRK_THREADS


def run_wrk(url: str, script: str, args: Sequence[str], seconds: int) -> dict[str, Any]:
    """One closed-loop wrk run: WRK_THREADS threads, WRK_CONNECTIONS keep-alive connections."""
    argv = [
        "wrk",
        f"-t{WRK_THREADS}",
        f"-c{WRK_CONNECTIONS}",
        f"-d{seconds}s",
        "--timeout",
        "5s",
        "-s",
        str(LUA_DIR / script),
        url,
        "--",
        *args,
    ]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    done = subprocess.run(argv, capture_output=True, text=True, timeout=seconds + 60, check=False)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    lines = [line for line in done.stdout.splitlines() if line.startswith("BENCH ")]
    if done.returncode != 0 or not lines:
        raise RuntimeError(f"wrk failed ({done.returncode}): {done.stderr.strip() or done.stdout[-500:]}")
    raw = json.loads(lines[-1].removeprefix("BENCH "))
    duration = raw["duration_us"] / 1e6
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    lat = raw["latency_us"]
    return {
        "seconds": round(duration, 2),
        "connections": WRK_CONNECTIONS,
        "threads": WRK_THREADS,
        "requests": raw["requests"],
        "ok": raw["ok"],
        "other_status": raw["other_status"],
        "socket_errors": {k: v for k, v in raw["errors"].items() if k != "status"},
        "ok_per_s": round(raw["ok"] / duration, 1),
        "latency": {"p50_ms": lat["p50"] / 1e3, "p99_ms": lat["p99"] / 1e3, "max_ms": lat["max"] / 1e3},
        "wrk_cpu_percent": round(100 * cpu / duration, 1),
    }
