"""Section storm: a connect storm on one core.

web-1 is pinned to CPU 0 and the subscriber processes to CPU 1 (sched_setaffinity, what `taskset -p`
does), so the replica has one core of its own and the harness cannot take it. N websockets (2,000) then
open at once, directly to web-1, all starting at the same moment; the figures are when the last 101
arrived and when the last socket had its first message (the poll's snapshot), from that moment, with the
CPU of web-1 and of the harness over the storm. web-1's affinity is given back afterwards.
"""

from __future__ import annotations

import os
import time
from typing import Any

from bench import api
from bench.fleet import Fleet
from bench.procs import CpuMeter, with_clients
from bench.settings import HOST, Stack
from bench.subscribers import WorkerSpec

SERVER_CPU, HARNESS_CPU = 0, 1
PROCESSES = 2
SPAWN_MARGIN = 3.0  # seconds for the subscriber processes to start before the storm begins


def run(stack: Stack, subscribers: int) -> dict[str, Any]:
    pid = stack.pid_of("web-1")
    port = stack.replica_port("web-1")
    poll = api.create_poll(stack.url, f"a storm of {subscribers} sockets")
    pinned = len(os.sched_getaffinity(0)) >= 2
    before = os.sched_getaffinity(pid)
    if pinned:
        os.sched_setaffinity(pid, {SERVER_CPU})
    try:
        spec = WorkerSpec(
            host=HOST,
            ports=(port,) * subscribers,
            path=f"/api/polls/{poll.code}/live",
            connect_concurrency=subscribers,
            start_at=time.time() + SPAWN_MARGIN,
            cpus=(HARNESS_CPU,) if pinned else (),
        )
        with Fleet(spec, PROCESSES) as fleet:
            meter = CpuMeter({"web-1": [pid], "harness (subscribers)": fleet.pids})
            time.sleep(max(0.0, spec.start_at - time.time()))
            meter.start()
            connect = fleet.ready(timeout=120.0)
            usage = meter.stop()
    finally:
        if pinned:
            os.sched_setaffinity(pid, before)
    return {
        "subscribers": subscribers,
        "pinned": {"web-1": [SERVER_CPU], "harness": [HARNESS_CPU]} if pinned else None,
        "connect": connect,
        "all_upgraded_s": round(connect["upgraded"]["max_ms"] / 1e3, 3),
        "all_current_s": round(connect["snapshot"]["max_ms"] / 1e3, 3),
        "cpu_percent": with_clients(usage, {}),
    }
