"""Section 1, throughput: committed votes/s through HAProxy and both replicas, and the ceiling it compares to.

- wrk, closed loop: 2 threads, 64 keep-alive connections, a new voter id per request, to one poll and then
  round-robin to ten polls. Only 200s count; the database's voter count (GET .../results) must match them,
  give or take the requests still in flight when wrk stopped (at most one per connection).
- open loop at 2,000 votes/s (the C voter, bench/voter.c, in its own process): p50/p99 of acknowledged votes.
- the ceiling: the same wrk load as GETs against two trivial Sanic processes behind HAProxy (bench.ceiling).
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

from bench import api, ceiling
from bench.compiled_voter import CompiledVoterProcess
from bench.procs import CpuMeter, with_clients
from bench.sections.watching import server_pids
from bench.settings import HOST, PACED_RATE, WRK_CONNECTIONS, WRK_IDS_PER_S, WRK_THREADS, Sizes, Stack
from bench.voter import Spec
from bench.voter_ids import voter_key, write_ids
from bench.wrk import run_wrk


def wrk_votes(stack: Stack, polls: list[api.PollRef], seconds: int, workdir: Path) -> dict[str, Any]:
    tag = uuid.uuid4().hex[:8]
    # A new voter per request: more ids than wrk can send in the time (it wraps around if not).
    ids = write_ids(
        workdir / f"wrk-voters-{tag}.txt", voter_key(stack.database_url), tag, WRK_IDS_PER_S * seconds
    )
    args = [str(ids), str(WRK_THREADS), *(p.wrk_target for p in polls)]
    meter = CpuMeter.of(server_pids(stack))
    meter.start()
    downs = api.haproxy_downs(stack.stats_port)
    result = run_wrk(stack.url, "votes.lua", args, seconds)
    result["haproxy_marked_down"] = api.downs_between(downs, api.haproxy_downs(stack.stats_port))
    result["cpu_percent"] = with_clients(meter.stop(), {"wrk": result.pop("wrk_cpu_percent")})
    voters = sum(api.results(stack.url, p.code)["voters"] for p in polls)
    in_flight = voters - result["ok"]
    result["polls"] = len(polls)
    result["database_voters"] = voters
    result["database_check"] = {
        "committed_beyond_200s": in_flight,
        "ok": 0 <= in_flight <= WRK_CONNECTIONS,
        "rule": f"database voters - 200s between 0 and {WRK_CONNECTIONS} (requests in flight at the stop)",
    }
    return result


def paced(stack: Stack, seconds: float, workdir: Path) -> dict[str, Any]:
    poll = api.create_poll(stack.url, f"paced {PACED_RATE:.0f} votes/s")
    tag = uuid.uuid4().hex[:6]
    meter = CpuMeter.of(server_pids(stack))
    meter.start()
    downs = api.haproxy_downs(stack.stats_port)
    voter = CompiledVoterProcess(
        Spec(
            host=HOST,
            port=stack.http_port,
            polls=[(poll.code, list(poll.option_ids))],
            rate=PACED_RATE,
            duration=seconds,
            out=str(workdir / f"paced-{tag}.npz"),
            prefix=f"paced-{tag}-",
            voter_key=voter_key(stack.database_url),
        ),
        workdir,
    )
    try:
        summary, _ = voter.wait()
    finally:
        voter.stop()
    summary["haproxy_marked_down"] = api.downs_between(downs, api.haproxy_downs(stack.stats_port))
    summary["cpu_percent"] = with_clients(meter.stop(), {"voter": summary.pop("cpu_percent")})
    summary["database_voters"] = api.results(stack.url, poll.code)["voters"]
    summary.pop("event", None)
    summary.pop("t0", None)
    return summary


def run(stack: Stack, sizes: Sizes, workdir: Path) -> dict[str, Any]:
    one = [api.create_poll(stack.url, "throughput, one poll")]
    ten = [api.create_poll(stack.url, f"throughput, poll {i + 1} of 10") for i in range(10)]
    out: dict[str, Any] = {}
    out["one_poll"] = wrk_votes(stack, one, sizes.wrk_seconds, workdir)
    out["ten_polls"] = wrk_votes(stack, ten, sizes.wrk_seconds, workdir)
    out["paced"] = paced(stack, sizes.paced_seconds, workdir)
    out["ceiling"] = ceiling.measure(sizes.wrk_seconds, workdir)
    ceiling_rps = out["ceiling"]["ok_per_s"]
    out["ratio_one_poll"] = round(out["one_poll"]["ok_per_s"] / ceiling_rps, 3) if ceiling_rps else None
    out["ratio_ten_polls"] = round(out["ten_polls"]["ok_per_s"] / ceiling_rps, 3) if ceiling_rps else None
    return out
