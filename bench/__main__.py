"""scripts/bench SECTION... [--quick] [--keep-web1]: benchmark the running native stack.

Sections: throughput, kinds, latency, capacity, memory, storm, stadium, failover, or all (memory first, on a
restarted web-1; failover last, as it kills and restarts web-1). Prints a table, writes
bench/results/<UTC>.json and latest.json, and plots bench/results/latency.png when latency or capacity ran.
"""

from __future__ import annotations

import argparse
import datetime
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench import api, env, report, targets
from bench.sections import capacity, failover, kinds, latency, memory, stadium, storm, throughput
from bench.settings import FULL, HOST, QUICK, RESULTS_DIR, Sizes, Stack

ORDER = ("memory", "storm", "throughput", "kinds", "latency", "capacity", "stadium", "failover")
DIRECT = {
    "latency",
    "capacity",
    "memory",
    "storm",
    "stadium",
}  # sections that connect to the replicas themselves

Runner = Callable[[Stack, Sizes, Path, argparse.Namespace], dict[str, Any]]
RUNNERS: dict[str, Runner] = {
    "throughput": lambda stack, sizes, work, args: throughput.run(stack, sizes, work),
    "kinds": lambda stack, sizes, work, args: kinds.run(stack, sizes, work),
    "latency": lambda stack, sizes, work, args: latency.run(stack, sizes, work, args.quick),
    "capacity": lambda stack, sizes, work, args: capacity.run(stack, sizes, work, args.quick),
    "memory": lambda stack, sizes, work, args: memory.run(
        stack, sizes.memory_subscribers, work, fresh=not args.keep_web1
    ),
    "storm": lambda stack, sizes, work, args: storm.run(stack, sizes.storm_subscribers),
    "stadium": lambda stack, sizes, work, args: stadium.run(stack, sizes, work),
    "failover": lambda stack, sizes, work, args: failover.run(stack, sizes, work),
}


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="scripts/bench", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "sections",
        nargs="+",
        choices=[*ORDER, "all"],
        metavar="SECTION",
        help="memory, storm, throughput, kinds, latency, capacity, stadium, failover or all",
    )
    parser.add_argument(
        "--quick", action="store_true", help="a short smoke run of each section (~1 min for all)"
    )
    parser.add_argument(
        "--keep-web1",
        action="store_true",
        help="memory: measure the running web-1 instead of restarting it first (scripts/stack kill, "
        "start): quicker, but a replica that held sockets before reuses their memory and looks cheaper",
    )
    return parser.parse_args(argv)


def check_replicas(stack: Stack) -> None:
    for name in ("web-1", "web-2"):
        url = f"http://{HOST}:{stack.replica_port(name)}"
        try:
            api.healthz(url)
        except api.StackDown as exc:
            raise SystemExit(f"bench: {exc}: is {name} running? (scripts/stack status)") from None


def run_section(
    name: str, stack: Stack, sizes: Sizes, workdir: Path, args: argparse.Namespace
) -> dict[str, Any]:
    print(f"[bench] {name} ...", file=sys.stderr, flush=True)
    pids_before = env.stack_pids(stack)
    start = time.monotonic()
    try:
        result = RUNNERS[name](stack, sizes, workdir, args)
    except Exception as exc:  # one section's failure is reported, and the others still run
        result = {"error": f"{type(exc).__name__}: {exc}", "traceback": traceback.format_exc()}
    result["seconds"] = round(time.monotonic() - start, 1)
    pids_after = env.stack_pids(stack)
    expected_change = {"web-1"} if name == "failover" or (name == "memory" and not args.keep_web1) else set()
    changed = [n for n in pids_before if n not in expected_change and pids_before[n] != pids_after[n]]
    if changed:
        result["stack_restarted_by_others"] = (
            f"{', '.join(changed)} restarted during this section, not by the benchmark: "
            "its figures are suspect"
        )
    return result


def main(argv: list[str]) -> int:
    args = parse(argv)
    names = ORDER if "all" in args.sections else tuple(n for n in ORDER if n in args.sections)
    stack = Stack.from_env()
    env.preflight(stack)
    if DIRECT & set(names):
        check_replicas(stack)
    sizes = QUICK if args.quick else FULL
    started = datetime.datetime.now(datetime.UTC).strftime("%Y%m%dT%H%M%SZ")
    results: dict[str, Any] = {
        "started": started,
        "quick": args.quick,
        "command": ["scripts/bench", *argv],
        "environment": env.describe(stack),
        "sections": {},
    }
    with tempfile.TemporaryDirectory(prefix="polls-bench-") as work:
        for name in names:
            trouble = env.wait_recovered(stack, timeout=90.0)
            if trouble is not None:
                message = f"the stack was not healthy within 90 s of the previous section: {trouble}"
                results["sections"][name] = {"error": message, "seconds": 0.0}
                continue
            results["sections"][name] = run_section(name, stack, sizes, Path(work), args)
    path = report.write_json(results, RESULTS_DIR, started)  # first: the figures survive a report bug
    checks = targets.checks(results["sections"])
    results["targets"] = [
        {"figure": c.figure, "measured": c.measured, "target": c.target, "ok": c.ok} for c in checks
    ]
    try:
        plot = report.plot_latency(results, RESULTS_DIR / "latency.png")
    except Exception as exc:  # a plot is not worth losing the run over
        results["plot_error"] = f"{type(exc).__name__}: {exc}"
        plot = None
    path = report.write_json(results, RESULTS_DIR, started)
    report.print_report(results, checks, path, plot)
    return 1 if any("error" in s for s in results["sections"].values()) else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
