"""The run's output: a short table on the terminal, JSON in bench/results, and the latency plot."""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path
from typing import Any

from bench.targets import Check


def _clean(value: Any) -> Any:
    """JSON without NaN/Infinity: NaN becomes null, infinity the string "inf"."""
    if isinstance(value, float):
        if math.isnan(value):
            return None
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return value
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    return value


def write_json(results: dict[str, Any], directory: Path, stamp: str) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{stamp}.json"
    path.write_text(json.dumps(_clean(results), indent=2, ensure_ascii=False) + "\n")
    shutil.copyfile(path, directory / "latest.json")
    return path


def _fmt(x: Any, unit: str = "") -> str:
    if isinstance(x, float) and not math.isfinite(x):
        return "never" if x > 0 else "n/a"
    if isinstance(x, float):
        return f"{x:,.1f}{unit}"
    if isinstance(x, int):
        return f"{x:,}{unit}"
    return f"{x}{unit}"


def _downs(r: dict[str, Any]) -> str:
    downs = r.get("haproxy_marked_down")
    return f"; HAProxy marked DOWN: {downs}" if downs else ""


def _cpu(usage: dict[str, float]) -> str:
    return ", ".join(f"{k} {v:.0f}%" for k, v in usage.items())


def section_lines(name: str, r: dict[str, Any]) -> list[str]:
    if "error" in r:
        return [f"  FAILED: {r['error']}"]
    lines: list[str] = []
    if name == "kinds":
        for kind in ("single", "scale", "ranking", "wordcloud", "text"):
            if kind not in r:  # a run from before the kind
                continue
            w = r[kind]
            lines.append(
                f"  wrk, one {kind} poll: {_fmt(w['ok_per_s'])} committed votes/s "
                f"(p50 {_fmt(w['latency']['p50_ms'])} ms, p99 {_fmt(w['latency']['p99_ms'])} ms), "
                f"non-200 {w['other_status']}; database {w['database_voters']:,} voters vs "
                f"{w['ok']:,} 200s {'✓' if w['database_check']['ok'] else '✗'}"
            )
        rc = r["ranking_recount"]
        lines.append(
            f"  ranking recount, {rc['ballots']:,} ballots over {rc['options']} options "
            f"({rc['distinct_rankings']:,} different orders): {_fmt(rc['recount_ms_median'])} ms median "
            f"(query {_fmt(rc['query_ms_median'])} ms + count {_fmt(rc['count_ms_median'])} ms), "
            f"max {_fmt(rc['recount_ms_max'])} ms of {rc['runs']}"
        )
        if "wordcloud_snapshot" in r:
            wc = r["wordcloud_snapshot"]
            laid = wc["layout_ms_median"]
            lines.append(
                f"  word cloud of {wc['entries']:,} distinct entries: snapshot "
                f"{_fmt(wc['snapshot_ms_median'])} ms median (max {_fmt(wc['snapshot_ms_max'])}), "
                f"{wc['entries_sent']} entries sent, {wc['json_bytes']:,} bytes of JSON; layout of 100 words "
                f"{_fmt(laid['100'])} ms, 200 words {_fmt(laid['200'])} ms"
            )
    if name == "throughput":
        for key, label in (("one_poll", "one poll"), ("ten_polls", "ten polls")):
            w = r[key]
            lines.append(
                f"  wrk, {label}: {_fmt(w['ok_per_s'])} committed votes/s "
                f"(p50 {_fmt(w['latency']['p50_ms'])} ms, p99 {_fmt(w['latency']['p99_ms'])} ms), "
                f"non-200 {w['other_status']}, socket errors "
                f"{sum(w['socket_errors'].values())}; database {w['database_voters']:,} voters vs "
                f"{w['ok']:,} 200s {'✓' if w['database_check']['ok'] else '✗'}{_downs(w)}"
            )
        c = r["ceiling"]
        lines.append(
            f"  ceiling (two hello processes behind HAProxy): {_fmt(c['ok_per_s'])} req/s; ratio one poll "
            f"{r['ratio_one_poll']}, ten polls {r['ratio_ten_polls']}"
        )
        p = r["paced"]
        lines.append(
            f"  open loop {p['target_rate']:.0f} votes/s ({p.get('client', 'Python voter')}): "
            f"acked {_fmt(p['acked_rate'])}/s, p50 "
            f"{_fmt(p['latency']['p50_ms'])} ms, p99 {_fmt(p['latency']['p99_ms'])} ms, max "
            f"{_fmt(p['latency']['max_ms'])} ms, failed {p['failed_attempts']} {p['error_kinds'] or ''}, "
            f"send lag p99 {p['send_lag']['p99_ms']} ms, max {p['max_client_lag_ms']} ms{_downs(p)}"
        )
        lines.append(f"  CPU at {p['target_rate']:.0f} votes/s: {_cpu(p['cpu_percent'])}")
        lines.append(f"  CPU during wrk, one poll: {_cpu(r['one_poll']['cpu_percent'])}")
    elif name in ("latency", "capacity"):
        if name == "latency":
            lines.append(f"  ({r['note']})")
        else:
            lines.append(f"  rule: {r['rule']}; largest meeting it: {r['largest_meeting']:,}")
        for p in r["points"] if name == "latency" else r["steps"]:
            if "skipped" in p:
                lines.append(f"  {p['subscribers']:>7,} subscribers: skipped, {p['skipped']}")
                continue
            if "error" in p:
                lines.append(f"  {p['subscribers']:>7,} subscribers: FAILED, {p['error']}")
                continue
            lat = p["latency"]
            cpu = p["cpu_percent"]
            clients = max(v for k, v in cpu.items() if k.startswith("subscribers"))
            lag = max((x["p99_ms"] for x in p["client_loop_lag_ms"].values()), default=math.nan)
            lines.append(
                f"  {p['subscribers']:>7,} subscribers ({p['connect']['connected']:,} connected, "
                f"{p['subscriber_processes']} processes): p50 {_fmt(lat['p50_ms'])} ms, p99 "
                f"{_fmt(lat['p99_ms'])} ms, max {_fmt(lat['max_ms'])} ms, within 500 ms "
                f"{lat['within_500ms']:.1%}, never {lat['never_delivered']:,}; votes acked "
                f"{_fmt(p['votes']['acked_rate'])}/s; {p['updates_per_subscriber_per_s']} updates/s "
                f"per socket; busiest client process {clients:.0f}% CPU, loop lag p99 {_fmt(lag)} ms"
                f"{' (SATURATED)' if p['client_saturated'] else ''}, "
                f"other processes {cpu.get('other processes', 0):.0f}%"
            )
            send = p["latency_from_send"]
            lines.append(
                f"  {'':>7}  from the vote's send time: p50 {_fmt(send['p50_ms'])} ms, p99 "
                f"{_fmt(send['p99_ms'])} ms; voter send lag p99 {_fmt(p['votes']['send_lag']['p99_ms'])} ms; "
                f"vote errors {p['votes']['failed_attempts']:,} "
                f"{p['votes']['error_kinds'] or ''}{_downs(p)}"
            )
    elif name == "stadium":
        lat, sw, v = r["latency"], r["before_votes"], r["votes"]
        lines.append(
            f"  {r['connect']['connected']:,} of {r['subscribers']:,} phones on {r['path']} "
            f"(by replica {r['watchers_by_replica']}), connected in {r['connect']['connect_seconds']} s"
        )
        lines.append(
            f"  question switch: answered in {sw['switch_answered_ms']} ms; new region on every phone: p50 "
            f"{_fmt(sw['switched']['p50_ms'])} ms, p99 {_fmt(sw['switched']['p99_ms'])} ms, max "
            f"{_fmt(sw['switched']['max_ms'])} ms; not switched {sw['not_switched']:,}"
        )
        lines.append(
            f"  votes {v['target_rate']:.0f}/s (acked {_fmt(v['acked_rate'])}/s, "
            f"failed {v['failed_attempts']}): vote-to-screen p50 {_fmt(lat['p50_ms'])} ms, "
            f"p99 {_fmt(lat['p99_ms'])} ms, within 500 ms "
            f"{lat['within_500ms']:.1%}, never {lat['never_delivered']:,}"
        )
        lines.append(f"  CPU during the votes: {_cpu(r['cpu_percent'])}")
        ran_out = "the harness ran out first" if r["harness_ran_out"] else "the harness kept up"
        lines.append(
            f"  subscriber processes on CPU 1: {r['harness_cpu_percent']:.0f}% in all, loop lag p99 "
            f"{_fmt(r['harness_loop_lag_p99_ms'])} ms: {ran_out}"
        )
    elif name == "memory":
        rss = r["rss_kib"]
        lines.append(
            f"  web-1 VmRSS {rss['before']:,} → {rss['with_subscribers']:,} KiB with "
            f"{r['watchers_added']:,} idle subscribers = {r['kib_per_subscriber']} KiB each; "
            f"{rss['after_closing']:,} KiB after closing them; web-1 up {r['web1_uptime_s']} s"
        )
    elif name == "storm":
        c = r["connect"]
        pinned = "web-1 on CPU 0, the harness on CPU 1" if r["pinned"] else "not pinned (one CPU)"
        lines.append(
            f"  {r['subscribers']:,} sockets at once to web-1 ({pinned}): all upgraded after "
            f"{r['all_upgraded_s']} s (p50 {c['upgraded']['p50_ms']:.0f} ms), all with their snapshot after "
            f"{r['all_current_s']} s; failed {c['failed']}"
        )
        lines.append(f"  CPU during the storm: {_cpu(r['cpu_percent'])}")
    elif name == "failover":
        s, v, d, c = r["screens"], r["votes"], r["database"], r["counters"]
        lines.append(
            f"  HAProxy marked web-1 DOWN after {r['haproxy_marked_down_after_s']} s; screens on web-1 "
            f"{s['screens_on_killed_replica']:,} of {r['subscribers']:,}, reconnected and current "
            f"{s['reconnected_and_current']:,}; 99 % current after {s['seconds_until_99pct_current']} s"
            f"{_downs(r)}"
        )
        if "invalid_because" in r:
            lines.append(f"  INVALID: {r['invalid_because']}")
        lines.append(
            f"  kill -> close p50 {_fmt(s['phases']['kill_to_close']['p50_ms'])} ms, "
            f"close -> reconnected p50 "
            f"{_fmt(s['phases']['close_to_upgraded']['p50_ms'])} ms, reconnected -> current p50 "
            f"{_fmt(s['phases']['upgraded_to_current']['p50_ms'])} ms; screens closed before the kill "
            f"{s['closed_before_the_kill']}, steady before voting: {r['steady_before_voting']['steady']}"
        )
        lines.append(
            f"  votes: {v['acked']:,} of {v['sent']:,} acknowledged, failed attempts "
            f"{v['failed_attempts']} {v['error_kinds'] or ''}; lost {d['lost']}, counted twice "
            f"{c['counted_twice']}, too few {c['counted_too_few']}; web-1 restarted: "
            f"{r.get('web1_restarted')}"
        )
    if r.get("stack_restarted_by_others"):
        lines.append(f"  WARNING: {r['stack_restarted_by_others']}")
    return lines


def print_report(results: dict[str, Any], checks: list[Check], json_path: Path, plot: Path | None) -> None:
    env = results["environment"]
    print(
        f"\npolls benchmark {results['started']} ({'quick' if results['quick'] else 'full'}), "
        f"{env['cpu_count']} cores, commit {env['git']['commit'][:10]}"
    )
    for name, section in results["sections"].items():
        print(f"\n{name} ({section.get('seconds', 0):.0f} s)")
        for line in section_lines(name, section):
            print(line)
    width = max(len(c.figure) for c in checks)
    mwidth = max(len(c.measured) for c in checks)
    print(f"\n{'target':<{width}}  {'measured':>{mwidth}}  goal")
    for c in checks:
        print(f"{c.figure:<{width}}  {c.measured:>{mwidth}}  {c.target:<10} {c.mark}")
    print(f"\nJSON: {json_path}" + (f"\nplot: {plot}" if plot else ""))


def plot_latency(results: dict[str, Any], path: Path) -> Path | None:
    """Vote-to-screen p50/p99 against subscribers: the latency section over both replicas (solid), its
    p99 counted from the vote's send time (dotted), and the capacity steps on one replica (dashed)."""
    points = [p for p in results["sections"].get("latency", {}).get("points", []) if "latency" in p]
    steps = [s for s in results["sections"].get("capacity", {}).get("steps", []) if "latency" in s]
    if not points and not steps:
        return None
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import ScalarFormatter

    def values(series: list[dict[str, Any]], part: str, key: str) -> list[float]:
        return [p[part][key] if isinstance(p[part][key], int | float) else math.nan for p in series]

    fig, ax = plt.subplots(figsize=(7.5, 4.8), dpi=120)
    curves = [
        (points, "latency", "p50_ms", "-o", "p50, both replicas"),
        (points, "latency", "p99_ms", "-s", "p99, both replicas"),
        (points, "latency_from_send", "p99_ms", ":^", "p99 from the vote's send, both replicas"),
        (steps, "latency", "p50_ms", "--o", "p50, all on web-1 (capacity)"),
        (steps, "latency", "p99_ms", "--s", "p99, all on web-1 (capacity)"),
    ]
    highest = 600.0
    for series, part, key, style, label in curves:
        if series:
            ys = values(series, part, key)
            highest = max([highest, *(y for y in ys if math.isfinite(y))])
            ax.plot([p["subscribers"] for p in series], ys, style, label=label)
    for level, text in ((150, "150 ms: target at 1,000"), (500, "500 ms: target at 10,000")):
        ax.axhline(level, color="grey", linestyle=":", linewidth=1)
        ax.annotate(
            text, (0.01, level), xycoords=("axes fraction", "data"), fontsize=7, color="grey", va="bottom"
        )
    ax.set_xscale("log")
    ax.set_xticks(sorted({p["subscribers"] for p in points + steps}))
    ax.xaxis.set_major_formatter(ScalarFormatter())
    ax.xaxis.set_minor_formatter(ScalarFormatter())
    ax.tick_params(axis="x", which="minor", labelbottom=False)
    ax.set_yscale("symlog", linthresh=10)
    ax.set_ylim(0, highest * 1.5)
    ax.set_xlabel("subscribers")
    ax.set_ylabel("latency to the screen (ms)")
    ax.set_title(f"vote-to-screen latency at 1,000 votes/s ({results['started']})")
    ax.legend(fontsize=8)
    ax.grid(True, which="both", alpha=0.3)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)
    return path
