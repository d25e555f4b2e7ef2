"""Section 2, vote-to-screen latency: N subscribers over both replicas, 1,000 votes/s through HAProxy.

Subscribers connect straight to web-1 and web-2, alternately (half each), not through HAProxy, whose
maxconn 9000 would otherwise cap the run. See bench.sections.watching for how a latency is taken.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bench.sections.watching import Point, measure_all
from bench.settings import LATENCY_RATE, Sizes, Stack

NOTE = (
    "subscribers connect directly to web-1 and web-2 (half each), bypassing HAProxy and its maxconn 9000; "
    "votes go through HAProxy"
)


def run(stack: Stack, sizes: Sizes, workdir: Path, quick: bool) -> dict[str, Any]:
    grace = 5.0 if quick else 15.0
    points = [
        Point(n, ("web-1", "web-2"), LATENCY_RATE, sizes.latency_seconds, grace)
        for n in sizes.latency_subscribers
    ]
    return {"note": NOTE, "rate": LATENCY_RATE, "points": measure_all(stack, points, workdir)}
