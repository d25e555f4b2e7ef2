"""Section 3, capacity: the most subscribers one replica serves with 95 % of updates on screen within 500 ms.

Steps N up (subscribers on web-1 only, connected directly) while votes arrive at 1,000/s through HAProxy;
an update is a (vote, subscriber) pair, and one never delivered counts as late. Steps above web-1's limit
of open files (less a reserve for its pool, broker and listening sockets) are skipped; after a failed
step the larger ones are not tried.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bench.procs import fd_limit
from bench.sections.watching import Point, measure_all, watchers
from bench.settings import LATENCY_RATE, Sizes, Stack

WITHIN = 0.5  # seconds
SHARE = 0.95
FD_RESERVE = 1_000


def meets(result: dict[str, Any]) -> bool:
    if "error" in result or result["connect"]["failed"]:
        return False
    within = result["latency"]["within_500ms"]
    return isinstance(within, float) and within >= SHARE


def run(stack: Stack, sizes: Sizes, workdir: Path, quick: bool) -> dict[str, Any]:
    limit = fd_limit(stack.pid_of("web-1")) - FD_RESERVE
    grace = 5.0 if quick else 15.0
    steps: list[dict[str, Any]] = []
    best = 0
    baseline = watchers(stack)
    for n in sizes.capacity_per_replica:
        if n > limit:
            steps.append({"subscribers": n, "skipped": f"over web-1's open-files limit less {FD_RESERVE}"})
            continue
        if any(step.get("meets") is False for step in steps):
            steps.append({"subscribers": n, "skipped": "a smaller step already failed"})
            continue
        point = Point(n, ("web-1",), LATENCY_RATE, sizes.capacity_seconds, grace)
        [result] = measure_all(stack, [point], workdir, baseline)
        result["meets"] = meets(result)
        if result["meets"]:
            best = n
        steps.append(result)
    return {
        "rule": f"{SHARE:.0%} of (vote, subscriber) pairs on screen within {WITHIN * 1e3:.0f} ms, "
        f"{LATENCY_RATE:.0f} votes/s, all subscribers on web-1",
        "largest_meeting": best,
        "fd_bound": limit,
        "steps": steps,
    }
