"""Section 5, failover: SIGKILL web-1 during steady voting and watching, through HAProxy.

Screens (reconnecting subscribers, bench.subscribers) connect through HAProxy :3000 and reconnect by
themselves like the projector page. A voter process casts ballots at 500/s, a quarter of them changing
an acknowledged ballot, retrying each failed one as a phone's user would. A third into the voting,
`scripts/stack kill web-1`. The screens on web-1 are those whose connection closes after the kill. For
each, recovery is the time from the kill until it shows a version at least as new as every vote
acknowledged before its new connection was upgraded. Afterwards the database is compared with the
acknowledged ballots, and web-1 is started again (always, also when something failed).
"""

from __future__ import annotations

import math
import time
import uuid
from pathlib import Path
from typing import Any

import numpy as np

from bench import api, db, stackctl
from bench.fleet import Fleet, processes_for
from bench.sections.watching import watchers
from bench.settings import FAILOVER_RATE, HOST, Sizes, Stack
from bench.stats import summary_ms
from bench.subscribers import WorkerSpec
from bench.voter import Spec
from bench.voter_ids import VoterNames, voter_key
from bench.voting import VoterProcess, wait_until

KEEP = 32  # receipts kept per connection: enough to see the snapshot and the first pushes after it
REVOTE = 0.25
WINDOW = 3.0  # seconds after the kill within which web-1's connections are taken to close


def watch_down(stack: Stack, name: str, since: float, timeout: float) -> float | None:
    """Seconds from `since` until HAProxy's stats show `name` DOWN (None: not within the timeout)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if api.haproxy_servers(stack.stats_port).get(name, "").startswith("DOWN"):
                return round(time.monotonic() - since, 3)
        except OSError:
            pass
        time.sleep(0.05)
    return None


def wait_steady(stack: Stack, baseline: int, screens: int, timeout: float) -> dict[str, Any]:
    """Wait (bounded) until the replicas hold every screen and HAProxy sees both UP: the kill should hit
    a steady system, not one still settling from the screens' arrival."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            held = watchers(stack)
            view = api.haproxy_servers(stack.stats_port)
        except (api.StackDown, OSError):
            held, view = {}, {}
        steady = sum(held.values()) >= baseline + screens and all(v == "UP" for v in view.values())
        if steady or time.monotonic() > deadline:
            return {"steady": steady, "watchers": held, "haproxy": view}
        time.sleep(0.25)


def acked_timeline(rows: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """(ack times, highest version acknowledged by then), ordered by time."""
    acked = rows["status"] == 200
    order = np.argsort(rows["done"][acked])
    return rows["done"][acked][order], np.maximum.accumulate(rows["version"][acked][order])


def recovery(
    screens: list[dict[str, Any]], t_kill: float, times: np.ndarray, versions: np.ndarray
) -> dict[str, Any]:
    """Per screen on the killed replica: kill -> close -> new connection upgraded -> current version.

    A screen was on web-1 when the connection it had open at the kill closed within WINDOW seconds of it.
    """
    totals: list[float] = []
    phases: dict[str, list[float]] = {"kill_to_close": [], "close_to_upgraded": [], "upgraded_to_current": []}
    counts = dict.fromkeys(
        ("not_connected_at_the_kill", "stayed_connected", "closed_later", "closed_before_the_kill"), 0
    )
    for screen in screens:
        connections = screen["connections"]
        if any(c["closed"] < t_kill for c in connections):  # NaN compares False: still open
            counts["closed_before_the_kill"] += 1
        at_kill = [
            i for i, c in enumerate(connections) if c["upgraded"] <= t_kill and not c["closed"] < t_kill
        ]
        if not at_kill:
            counts["not_connected_at_the_kill"] += 1
            continue
        index = at_kill[-1]
        closed = connections[index]["closed"]
        if math.isnan(closed):
            counts["stayed_connected"] += 1
            continue
        if closed > t_kill + WINDOW:
            counts["closed_later"] += 1
            continue
        upgraded, current = _recovered_at(connections[index + 1 :], closed, times, versions)
        totals.append(current - t_kill)
        if math.isfinite(current):
            phases["kill_to_close"].append(closed - t_kill)
            phases["close_to_upgraded"].append(upgraded - closed)
            phases["upgraded_to_current"].append(current - upgraded)
    ordered = sorted(totals)
    p99 = ordered[max(0, math.ceil(0.99 * len(ordered)) - 1)] if ordered else math.nan
    finite = [x for x in ordered if math.isfinite(x)]
    return {
        "screens_on_killed_replica": len(totals),
        "rule": f"the connection open at the kill closed within {WINDOW:.0f} s of it",
        "reconnected_and_current": len(finite),
        "seconds_until_99pct_current": round(p99, 3) if math.isfinite(p99) else p99,
        "recovery": summary_ms(finite),
        "phases": {name: summary_ms(values) for name, values in phases.items()},
        **counts,
    }


def _recovered_at(
    later: list[dict[str, Any]], closed: float, times: np.ndarray, versions: np.ndarray
) -> tuple[float, float]:
    """(upgrade time of the connection that made the screen current, the time it became current)."""
    for connection in later:
        if connection["upgraded"] < closed:
            continue
        index = int(np.searchsorted(times, connection["upgraded"], side="right")) - 1
        needed = int(versions[index]) if index >= 0 else -1
        for t, v in connection["receipts"]:
            if v >= needed:
                return float(connection["upgraded"]), float(t)
    return math.inf, math.inf


def check_ballots(stack: Stack, code: str, rows: dict[str, np.ndarray], prefix: str) -> dict[str, Any]:
    """Acknowledged ballots against the database: lost ones, changed ones that did not stick."""
    in_db = db.ballots(stack.database_url, code)
    names = VoterNames(voter_key(stack.database_url), prefix)
    last_row: dict[int, int] = {}
    for i, voter in enumerate(rows["voter"].tolist()):
        last_row[voter] = i
    missing = stale = uncertain = 0
    for voter, i in last_row.items():
        if rows["status"][i] != 200:
            uncertain += 1  # its last ballot was never acknowledged: either state may be in the database
            continue
        found = in_db.get(names(voter))
        if found is None:
            missing += 1
        elif found != (int(rows["option"][i]),):
            stale += 1
    return {
        "voters": len(last_row),
        "acknowledged_missing": missing,
        "acknowledged_change_not_stored": stale,
        "lost": missing + stale,
        "unacknowledged_last_ballot": uncertain,
        "database_ballots": len(in_db),
    }


def run(stack: Stack, sizes: Sizes, workdir: Path) -> dict[str, Any]:
    poll = api.create_poll(stack.url, "failover")
    n = sizes.failover_subscribers
    spec = WorkerSpec(
        host=HOST,
        ports=(stack.http_port,) * n,
        path=f"/api/polls/{poll.code}/live",
        reconnect=True,
        keep=KEEP,
    )
    tag = uuid.uuid4().hex[:6]
    prefix = f"fo-{tag}-"
    out: dict[str, Any] = {"subscribers": n, "rate": FAILOVER_RATE, "revote_share": REVOTE, "poll": poll.code}
    killed = False
    baseline = sum(watchers(stack).values())
    try:
        with Fleet(spec, processes_for(n)) as fleet:
            out["connect"] = fleet.ready(timeout=180.0)
            out["steady_before_voting"] = wait_steady(stack, baseline, n, timeout=30.0)
            fleet.ask("start")
            downs = api.haproxy_downs(stack.stats_port)
            voter = VoterProcess(
                Spec(
                    host=HOST,
                    port=stack.http_port,
                    polls=[(poll.code, list(poll.option_ids))],
                    rate=FAILOVER_RATE,
                    duration=sizes.failover_seconds,
                    out=str(workdir / f"{prefix}.npz"),
                    prefix=prefix,
                    voter_key=voter_key(stack.database_url),
                    retry=True,
                    retry_deadline=20.0,
                    revote_fraction=REVOTE,
                ),
                workdir,
            )
            try:
                wait_until(voter.t0 + sizes.failover_seconds / 3)
                t_kill = time.monotonic()
                out["kill_command_s"] = round(stackctl.kill("web-1"), 3)
                killed = True
                out["haproxy_marked_down_after_s"] = watch_down(stack, "web-1", t_kill, timeout=5.0)
                votes, rows = voter.wait()
            finally:
                voter.stop()
            out["haproxy_marked_down"] = api.downs_between(downs, api.haproxy_downs(stack.stats_port))
            final = api.results(stack.url, poll.code)["version"]
            out["screens_showing_final_version"] = fleet.wait_versions(final, timeout=10.0)
            replies = fleet.ask("collect", timeout=120.0)
    finally:
        if killed:
            out["web1_restarted"] = stackctl.start(stack, "web-1")
    screens = [screen for reply in replies for screen in reply["screens"]]
    times, versions = acked_timeline(rows)
    out["screens"] = recovery(screens, t_kill, times, versions)
    unsteady = out["screens"]["closed_before_the_kill"] > 0.01 * n
    out["valid"] = not unsteady
    if unsteady:
        out["invalid_because"] = (
            f"{out['screens']['closed_before_the_kill']} of {n} screens lost a connection before the kill: "
            "the stack was already dropping sockets (HAProxy marked replicas DOWN), so this is not a "
            "measurement of a failover"
        )
    out["screens"]["connect_failures"] = sum(s["failed_attempts"] for s in screens)
    out["votes"] = {
        k: votes[k]
        for k in (
            "sent",
            "acked",
            "failed_attempts",
            "error_kinds",
            "retried_ballots",
            "unacknowledged",
            "latency",
            "acked_rate",
        )
    }
    out["database"] = check_ballots(stack, poll.code, rows, prefix)
    out["counters"] = db.counters(stack.database_url, poll.code)
    out["client_cpu_percent"] = {
        "voter": votes["cpu_percent"],
        **{f"screens-{i + 1}": r["cpu_percent"] for i, r in enumerate(replies)},
    }
    return out
