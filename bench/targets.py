"""The targets of the brief, checked against a run's results: ✓, ✗, or - when the run did not measure it."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Check:
    figure: str
    measured: str
    target: str
    ok: bool | None  # None: not measured in this run

    @property
    def mark(self) -> str:
        return {True: "✓", False: "✗", None: "-"}[self.ok]


def _ms(x: Any) -> str:
    return f"{x:,.1f} ms" if isinstance(x, int | float) and math.isfinite(x) else str(x)


def _number(x: Any) -> bool:
    return isinstance(x, int | float) and math.isfinite(x)


def _ratio(t: dict[str, Any]) -> tuple[str, bool]:
    ratio = t["ratio_one_poll"]
    measured = f"{t['one_poll']['ok_per_s']:,.0f} / {t['ceiling']['ok_per_s']:,.0f} = {ratio:.2f}"
    return measured, _number(ratio) and ratio >= 0.5


def _paced(t: dict[str, Any]) -> tuple[str, bool]:
    p = t["paced"]
    return _ms(p["latency"]["p99_ms"]), _number(p["latency"]["p99_ms"]) and p["latency"]["p99_ms"] < 50


def _point(n: int, limit_ms: float) -> Callable[[dict[str, Any]], tuple[str, bool]]:
    def check(latency: dict[str, Any]) -> tuple[str, bool]:
        point = next(p for p in latency["points"] if p["subscribers"] == n)
        if "error" in point:
            return "failed", False
        p99 = point["latency"]["p99_ms"]
        return _ms(p99), _number(p99) and p99 < limit_ms and point["connect"]["failed"] == 0

    return check


def _capacity(c: dict[str, Any]) -> tuple[str, bool]:
    return f"{c['largest_meeting']:,}", c["largest_meeting"] >= 10_000


def _memory(m: dict[str, Any]) -> tuple[str, bool]:
    return f"{m['kib_per_subscriber']:.1f} KiB", m["kib_per_subscriber"] <= 16


def _storm(s: dict[str, Any]) -> tuple[str, bool]:
    n, seconds = s["subscribers"], s["all_upgraded_s"]
    ok = n >= 2_000 and s["connect"]["failed"] == 0 and s["pinned"] is not None and seconds < 1
    return f"{n:,} in {seconds} s", ok


def _stadium(s: dict[str, Any]) -> tuple[str, bool]:
    p99 = s["latency"]["p99_ms"]
    ok = _number(p99) and p99 < 500 and s["connect"]["failed"] == 0 and s["subscribers"] >= 20_000
    return _ms(p99), ok


def _current(f: dict[str, Any]) -> tuple[str, bool]:
    if not f.get("valid", True):
        return "invalid: unsteady before the kill", False
    s = f["screens"]["seconds_until_99pct_current"]
    return f"{s} s", _number(s) and s <= 2 and f["screens"]["screens_on_killed_replica"] > 0


def _losses(f: dict[str, Any]) -> tuple[str, bool]:
    lost, dup, errors = f["database"]["lost"], f["counters"]["counted_twice"], f["votes"]["failed_attempts"]
    return f"{lost} / {dup} / {errors}", lost == dup == errors == 0


def _recount(kinds: dict[str, Any]) -> tuple[str, bool]:
    recount = kinds["ranking_recount"]["recount_ms_median"]
    return f"{recount} ms", recount < 20


TARGETS: list[tuple[str, str, str, Callable[[dict[str, Any]], tuple[str, bool]]]] = [
    ("throughput", "committed votes/s vs ceiling (one poll)", "≥ 0.5", _ratio),
    ("throughput", "vote p99 at 2,000 votes/s (open loop)", "< 50 ms", _paced),
    ("kinds", "a ranking's recount, 10,000 ballots over 10 options", "< 20 ms", _recount),
    ("latency", "vote-to-screen p99, 1,000 subscribers, 1,000 votes/s", "< 150 ms", _point(1_000, 150)),
    ("latency", "vote-to-screen p99, 10,000 subscribers, 1,000 votes/s", "< 500 ms", _point(10_000, 500)),
    ("capacity", "subscribers per replica, 95 % within 500 ms", "≥ 10,000", _capacity),
    ("memory", "memory per idle subscriber (web-1 VmRSS)", "≤ 16 KiB", _memory),
    ("storm", "connect storm of 2,000 sockets on one core, all accepted", "< 1 s", _storm),
    ("stadium", "stadium: vote-to-screen p99, 20,000 phones, 2,000 votes/s", "< 500 ms", _stadium),
    ("failover", "failover: 99 % of web-1's screens current", "≤ 2 s", _current),
    ("failover", "failover: votes lost / duplicated / client-visible errors", "0 / 0 / 0", _losses),
]


def checks(sections: dict[str, Any]) -> list[Check]:
    out: list[Check] = []
    for section, figure, target, judge in TARGETS:
        result = sections.get(section)
        if result is None:
            out.append(Check(figure, "not run", target, None))
        elif "error" in result:
            out.append(Check(figure, "section failed", target, False))
        else:
            try:
                measured, ok = judge(result)
            except StopIteration:  # a size this run did not measure (--quick)
                out.append(Check(figure, "not run", target, None))
                continue
            except (KeyError, TypeError, ValueError) as exc:
                measured, ok = f"unreadable ({exc!r})", False
            out.append(Check(figure, measured, target, bool(ok)))
    return out
