"""The measurement behind the latency and capacity sections: N subscribers watch one poll while votes come.

Subscribers connect straight to the replicas (not through HAProxy, whose maxconn 9000 would cap them),
spread evenly; a separate voter process casts ballots through HAProxy at a fixed rate; then every
(vote, subscriber) pair gets a latency: the subscriber's first receipt of a version >= the vote's version
minus the time the voter got the vote's acknowledgement.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench import api
from bench.compiled import CompiledFleet
from bench.compiled_voter import CompiledVoterProcess
from bench.fleet import Fleet, processes_for
from bench.procs import CpuMeter, with_clients
from bench.settings import HOST, Stack
from bench.stats import Histogram
from bench.subscribers import WorkerSpec
from bench.voter import Spec
from bench.voter_ids import voter_key

CLIENT_SATURATED = 90.0  # % of a core: above this a client process may be what delays the figures


@dataclass(frozen=True)
class Point:
    subscribers: int
    replicas: tuple[str, ...]  # subscribers are dealt to these round-robin
    rate: float
    seconds: float
    grace: float  # after the last vote, how long subscribers may take to show it
    harness_cpus: tuple[int, ...] = ()  # where the subscriber processes run (empty: anywhere)
    voter_cpus: tuple[int, ...] = ()  # where the voter runs (empty: anywhere)
    compiled: bool = False  # subscribers from the C client (bench/wsclient.c) instead of Python's


@dataclass(frozen=True)
class Topic:
    """What the subscribers watch (a live URL's path) and the poll or event question the votes go to."""

    path: str
    poll: api.PollRef


def poll_topic(stack: Stack, point: Point) -> Topic:
    poll = api.create_poll(stack.url, f"{point.subscribers} watching at {point.rate:.0f} votes/s")
    return Topic(f"/api/polls/{poll.code}/live", poll)


def server_pids(stack: Stack) -> dict[str, int]:
    pids = {}
    for name in ("web-1", "web-2", "haproxy"):
        try:
            pids[name] = stack.pid_of(name)
        except (OSError, ValueError):
            pass
    return pids


def replica_urls(stack: Stack) -> dict[str, str]:
    return {name: f"http://{HOST}:{stack.replica_port(name)}" for name in ("web-1", "web-2")}


def watchers(stack: Stack) -> dict[str, int]:
    """Websockets each replica holds now (someone's browser, another benchmark): the quiet baseline."""
    return {name: api.healthz(url)["watchers"] for name, url in replica_urls(stack).items()}


def measure_all(
    stack: Stack, points: list[Point], workdir: Path, baseline: dict[str, int] | None = None
) -> list[dict[str, Any]]:
    """Each point after the stack is quiet again; a failed point is reported and the next one runs."""
    baseline = watchers(stack) if baseline is None else baseline
    results: list[dict[str, Any]] = []
    for point in points:
        quiet = api.wait_quiet(replica_urls(stack), stack.stats_port, baseline, timeout=60.0)
        try:
            result = measure(stack, point, workdir)
        except Exception as exc:  # the stack fell over, a process died: say so, go on
            result = {"subscribers": point.subscribers, "error": f"{type(exc).__name__}: {exc}"}
        result["quiet_before"] = quiet
        results.append(result)
    return results


def measure(
    stack: Stack,
    point: Point,
    workdir: Path,
    topic: Topic | None = None,
    before_votes: Callable[[Fleet], dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """`topic`: a poll's JSON results unless given; `before_votes`: a step once every subscriber is
    connected (e.g. a question switch), whose figures are reported under its name."""
    topic = topic or poll_topic(stack, point)
    poll = topic.poll
    ports = [stack.replica_port(name) for name in point.replicas]
    spec = WorkerSpec(
        host=HOST,
        ports=tuple(ports[i % len(ports)] for i in range(point.subscribers)),
        path=topic.path,
        cpus=point.harness_cpus,
    )
    processes = processes_for(point.subscribers, 10_000 if point.compiled else 2_500)
    fleet_class = CompiledFleet if point.compiled else Fleet
    out: dict[str, Any] = {
        "subscribers": point.subscribers,
        "replicas": list(point.replicas),
        "subscriber_processes": processes,
        "subscriber_client": "C (bench/wsclient.c)" if point.compiled else "Python (bench/ws.py)",
        "poll": poll.code,
        "path": topic.path,
        "harness_cpus": {"subscribers": list(point.harness_cpus), "voter": list(point.voter_cpus)},
    }
    with fleet_class(spec, processes) as fleet:
        out["connect"] = fleet.ready(timeout=300.0)
        out["watchers_by_replica"] = {
            name: api.healthz(f"http://{HOST}:{stack.replica_port(name)}")["watchers"]
            for name in point.replicas
        }
        if before_votes is not None:
            out["before_votes"] = before_votes(fleet)
        meter = CpuMeter.of(server_pids(stack))
        fleet.ask("start")
        meter.start()
        downs = api.haproxy_downs(stack.stats_port)
        tag = uuid.uuid4().hex[:6]
        votes_path = workdir / f"votes-{tag}.npz"
        voter = CompiledVoterProcess(
            Spec(
                host=HOST,
                port=stack.http_port,
                polls=[(poll.code, list(poll.option_ids))],
                rate=point.rate,
                duration=point.seconds,
                out=str(votes_path),
                prefix=f"lat-{tag}-",
                voter_key=voter_key(stack.database_url),
            ),
            workdir,
        )
        if point.voter_cpus:
            os.sched_setaffinity(voter.popen.pid, point.voter_cpus)
        try:
            votes, _ = voter.wait()
        finally:
            voter.stop()
        out["cpu_percent"] = meter.stop()
        out["haproxy_marked_down"] = api.downs_between(downs, api.haproxy_downs(stack.stats_port))
        fleet.ask("stop_clock")
        settled = fleet.wait_versions(votes["max_version"], timeout=point.grace)
        replies = fleet.ask("collect", timeout=600.0, votes=str(votes_path))
    votes_path.unlink(missing_ok=True)
    return summarise(out, votes, settled, replies)


def summarise(
    out: dict[str, Any], votes: dict[str, Any], settled: dict[str, Any], replies: list[dict[str, Any]]
) -> dict[str, Any]:
    hist, from_send = Histogram(), Histogram()
    for reply in replies:
        hist.merge(Histogram.from_wire(reply["histogram"]))
        from_send.merge(Histogram.from_wire(reply["histogram_from_send"]))
    subscribers = sum(r["subscribers"] for r in replies)
    wall = max(r["wall"] for r in replies)
    client_cpu = [r["cpu_percent"] for r in replies]
    clients = {f"subscribers-{i + 1}": c for i, c in enumerate(client_cpu)}
    out["cpu_percent"] = with_clients(out["cpu_percent"], {**clients, "voter": votes["cpu_percent"]})
    out.update(
        votes={
            k: votes[k]
            for k in (
                "sent",
                "acked",
                "target_rate",
                "acked_rate",
                "failed_attempts",
                "error_kinds",
                "latency",
                "max_client_lag_ms",
                "send_lag",
                "max_version",
            )
        },
        latency=hist.report(),
        latency_from_send=from_send.report(),
        updates_per_subscriber_per_s=round(
            sum(r["messages"] for r in replies) / max(subscribers, 1) / wall, 1
        ),
        subscribers_showing_last_vote=settled,
        closed_during_run=sum(r["closed"] for r in replies),
        versions_backwards=sum(r["backwards"] for r in replies),
        subscriber_errors=sorted({e for r in replies for e in r["errors"]})[:5],
        client_saturated=max([*client_cpu, votes["cpu_percent"]]) > CLIENT_SATURATED,
        client_loop_lag_ms={f"subscribers-{i + 1}": r["loop_lag"] for i, r in enumerate(replies)},
    )
    return out
