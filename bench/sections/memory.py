"""Section 4, memory: web-1's resident memory per idle subscriber.

VmRSS of web-1 (/proc/PID/status) before and after N idle websockets connect to it directly, all
watching one poll, divided by N. Kernel socket buffers are not in VmRSS. Python keeps freed memory for
reuse, so a replica that held many sockets before (VmHWM well above VmRSS) can reuse it and look
cheaper (a run right after another measured 0.6 KiB per socket instead of 27): so this section first
restarts web-1 (scripts/stack kill web-1, then start web-1), unless --keep-web1 says not to.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from bench import api
from bench.fleet import Fleet, processes_for
from bench.procs import CLOCK_TICKS, fd_limit, rss_kib
from bench.settings import HOST, Stack
from bench.stackctl import restart_replica
from bench.subscribers import WorkerSpec


def uptime_s(pid: int) -> float:
    start_ticks = int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[19])
    boot_uptime = float(Path("/proc/uptime").read_text().split()[0])
    return round(boot_uptime - start_ticks / CLOCK_TICKS, 1)


def run(stack: Stack, subscribers: int, workdir: Path, fresh: bool) -> dict[str, Any]:
    if fresh:
        restart_replica(stack, "web-1")
    pid = stack.pid_of("web-1")
    port = stack.replica_port("web-1")
    n = min(subscribers, fd_limit(pid) - 1_000)
    poll = api.create_poll(stack.url, f"{n} idle subscribers")
    watchers_before = api.healthz(f"http://{HOST}:{port}")["watchers"]
    time.sleep(0.5)
    before = rss_kib(pid)
    spec = WorkerSpec(host=HOST, ports=(port,) * n, path=f"/api/polls/{poll.code}/live")
    with Fleet(spec, processes_for(n)) as fleet:
        connect = fleet.ready(timeout=300.0)
        time.sleep(1.0)  # let the replica finish its per-socket work
        after = rss_kib(pid)
        watchers = api.healthz(f"http://{HOST}:{port}")["watchers"] - watchers_before
    time.sleep(1.0)
    after_close = rss_kib(pid)
    opened = max(watchers, 1)
    per_sub = (after["VmRSS"] - before["VmRSS"]) / opened
    return {
        "replica": "web-1",
        "subscribers": n,
        "connect": connect,
        "watchers_added": watchers,
        "rss_kib": {
            "before": before["VmRSS"],
            "with_subscribers": after["VmRSS"],
            "after_closing": after_close["VmRSS"],
            "peak_before": before["VmHWM"],
        },
        "kib_per_subscriber": round(per_sub, 2),
        "web1_uptime_s": uptime_s(pid),
        "fresh_web1": fresh,
    }
