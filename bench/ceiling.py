"""The ceiling: what two trivial Sanic processes behind HAProxy serve, with the stack's own HAProxy config.

Two `bench.hello` processes on free ports behind a second HAProxy started from haproxy/haproxy.cfg, its
ports moved by the same environment variables the tests use, in the foreground with its log to a file
(as scripts/stack runs it). The same wrk load as the votes, as GETs. Everything is stopped afterwards.
"""

from __future__ import annotations

import os
import time
import urllib.request
from pathlib import Path
from typing import Any

from bench import api
from bench.procs import CpuMeter, Started, free_port, run, started, with_clients
from bench.settings import HOST, PYTHON, ROOT
from bench.wrk import run_wrk

HAPROXY_CFG = ROOT / "haproxy" / "haproxy.cfg"


def _wait_http(url: str, timeout: float, process: Started) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not process.alive():
            raise RuntimeError(f"{process.name} exited:\n{process.tail()}")
        try:
            with urllib.request.urlopen(url, timeout=1.0):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"{url} did not answer within {timeout:.0f} s")


def measure(seconds: int, workdir: Path) -> dict[str, Any]:
    http_port, stats_port, port_1, port_2 = (free_port() for _ in range(4))
    env = {
        **os.environ,
        "POLLS_HTTP_PORT": str(http_port),
        "POLLS_STATS_PORT": str(stats_port),
        "POLLS_WEB_1_PORT": str(port_1),
        "POLLS_WEB_2_PORT": str(port_2),
    }
    run(["haproxy", "-c", "-q", "-f", str(HAPROXY_CFG)], timeout=10, env=env)
    processes: list[Started] = []
    with started(processes):
        for name, port in (("hello-1", port_1), ("hello-2", port_2)):
            processes.append(
                Started(name, [str(PYTHON), "-m", "bench.hello", str(port)], workdir / f"{name}.log")
            )
        for process, port in zip(processes, (port_1, port_2), strict=True):
            _wait_http(f"http://{HOST}:{port}/healthz", 30.0, process)
        haproxy = Started(
            "haproxy (ceiling)", ["haproxy", "-f", str(HAPROXY_CFG)], workdir / "haproxy.log", env=env
        )
        processes.append(haproxy)
        if not api.wait_servers_up(stats_port, ("web-1", "web-2"), timeout=20.0):
            raise RuntimeError(f"the ceiling's HAProxy does not see both hello servers UP:\n{haproxy.tail()}")
        meter = CpuMeter.of({p.name: p.pid for p in processes}, with_services=False)
        meter.start()
        result = run_wrk(f"http://{HOST}:{http_port}", "get.lua", ["/hello"], seconds)
        result["cpu_percent"] = with_clients(meter.stop(), {"wrk": result.pop("wrk_cpu_percent")})
    result["ports"] = {"haproxy": http_port, "stats": stats_port, "hello": [port_1, port_2]}
    return result
