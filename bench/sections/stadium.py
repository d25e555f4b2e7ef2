"""Section stadium: 20,000 phones on the participant view's socket over two replicas, a question switch,
then 2,000 votes/s.

An event of two single-choice questions whose results every participant sees live. The first is live while
the phones connect: `/e/{code}/live`, the HTML region a phone's page holds, 10,000 straight to each replica
(HAProxy in between would need two descriptors per socket, 40,000, past this machine's hard limit of
20,000 open files per process). The presenter then switches to the second question: how long until every
phone had the new region. Then a voter casts 2,000 ballots/s on it through HAProxy, and every (vote,
phone) pair gets a vote-to-screen latency as in the latency section. The phones are two processes of the
C client (bench/wsclient.c): the Python subscribers, eight processes on CPU 1, lagged 16-17 s behind their
sockets (run 20261201T022230Z) and set the figures themselves. They run on CPU 1 only; the voter and the
stack wherever the scheduler puts them (pinned to CPU 1 beside the Python readers, the voter could not send:
64 of 2,000 votes/s acknowledged, run 20261201T021133Z); the CPU of each is reported.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from bench import api
from bench.fleet import Fleet
from bench.sections.watching import Point, Topic, measure
from bench.settings import Sizes, Stack
from bench.stats import summary_ms

HARNESS_CPU = 1
RATE = 2_000.0
MAX_HARNESS_LAG_MS = 100.0
OPTIONS = ["Home", "Away", "Draw", "Extra time"]


def switch_to(
    stack: Stack, event: dict[str, Any], question: str, timeout: float
) -> Callable[[Fleet], dict[str, Any]]:
    """The presenter's switch, then how long until each phone got a message (a new region) after it."""

    def run(fleet: Fleet) -> dict[str, Any]:
        t = time.monotonic()
        api.set_live(stack.url, event, question)
        answered = time.monotonic() - t
        deadline = t + timeout
        while True:
            delays = [d for reply in fleet.ask("first_after", t=t) for d in reply["delays"]]
            waiting = sum(1 for d in delays if math.isnan(d))
            if not waiting or time.monotonic() > deadline:
                break
            time.sleep(0.25)
        shown = np.array([d for d in delays if not math.isnan(d)])
        return {
            "switch_answered_ms": round(answered * 1e3, 1),
            "phones": len(delays),
            "not_switched": waiting,
            "switched": summary_ms(shown),
        }

    return run


def run(stack: Stack, sizes: Sizes, workdir: Path) -> dict[str, Any]:
    question = {"kind": "single", "options": OPTIONS, "visibility": "always"}
    event = api.create_event(
        stack.url, "stadium", [{**question, "question": "Who wins?"}, {**question, "question": "Next goal?"}]
    )
    first, second = event["questions"]
    api.set_live(stack.url, event, first["code"])
    poll = api.PollRef(second["code"], tuple(o["id"] for o in second["options"]))
    topic = Topic(f"/e/{event['code']}/live?lang=en", poll)
    point = Point(
        sizes.stadium_subscribers,
        ("web-1", "web-2"),
        RATE,
        sizes.stadium_seconds,
        grace=30.0,
        harness_cpus=(HARNESS_CPU,),
        compiled=True,
    )
    result = measure(stack, point, workdir, topic, before_votes=switch_to(stack, event, second["code"], 60.0))
    result["event"] = event["code"]
    if "cpu_percent" in result:
        harness = sum(v for k, v in result["cpu_percent"].items() if k.startswith("subscribers"))
        lag = max(x["p99_ms"] for x in result["client_loop_lag_ms"].values())
        # A subscriber process that reads late (the C client measures it: the kernel's receive time to its
        # read) leaves updates unread that hold the replica's writes back: the harness sets the figures.
        result["harness_cpu_percent"] = round(harness, 1)
        result["harness_loop_lag_p99_ms"] = lag
        result["harness_ran_out"] = harness >= 90.0 * len(point.harness_cpus) or lag > MAX_HARNESS_LAG_MS
    return result
