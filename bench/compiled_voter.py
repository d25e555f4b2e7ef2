"""bench.voter's open loop from the C voter (bench/voter.c), behind bench.voting.VoterProcess's interface.

The Python voter took 40-80 % of a core at 2,000 votes/s on the two cores the stack runs on, so the vote
latency it reported at that rate was partly its own. The C voter sends the same requests (prepared here:
the same voter ids, polls and options as bench.voter's for a run without re-votes) and keeps the same
records, from which the same summary is made. Retries and re-votes (the failover section) stay with the
Python voter.
"""

from __future__ import annotations

import struct
from pathlib import Path
from typing import Any

import numpy as np

from bench.compiled import build
from bench.httpclient import post_json
from bench.voter import RECORDS, Ballots, Run, Spec, summary_of
from bench.voter_ids import VoterNames
from bench.voting import VoterChild

SOURCE = Path(__file__).with_name("voter.c")
# One record of bench/voter.c's output file per ballot.
RECORD = np.dtype(
    [("due", "<f8"), ("answered", "<f8"), ("status", "<i4"), ("version", "<i8"), ("lag", "<f8")]
)
ERRORS = {0: "connection failed", -1: "timeout"}


def write_requests(spec: Spec, path: Path) -> Ballots:
    """Every ballot's request, as bench/voter.c reads them; the records' voter, option and poll."""
    if spec.retry or spec.revote_fraction:
        raise ValueError("the C voter sends each ballot once, to a new voter: no retries, no re-votes")
    rows = Ballots(int(spec.rate * spec.duration))
    names = VoterNames(spec.voter_key, spec.prefix)
    with open(path, "wb") as out:
        for i in range(rows.n):
            poll = i % len(spec.polls)
            code, options = spec.polls[poll]
            option = options[i % len(options)]
            rows.voter[i], rows.option[i], rows.poll[i] = i, option, poll
            body = {"voter": names(i), "options": [option]}
            request = post_json(spec.host, spec.port, f"/api/polls/{code}/votes", body)
            out.write(struct.pack("<I", len(request)) + request)
    return rows


class CompiledVoterProcess(VoterChild):
    """The C voter in a process of its own: `t0` once it started, `wait()` for its summary and records."""

    def __init__(self, spec: Spec, workdir: Path) -> None:
        self.requests = workdir / f"voter-{spec.prefix}.requests"
        self.records = workdir / f"voter-{spec.prefix}.records"
        self.rows = write_requests(spec, self.requests)
        argv = [str(build(SOURCE)), spec.host, str(spec.port), repr(spec.rate), repr(spec.timeout)]
        argv += [str(spec.connections), str(self.requests), str(self.records)]
        super().__init__(argv, spec, workdir)

    def wait(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        """Its summary (bench.voter's keys, and "client") and its records, once it is done."""
        spec = self.spec
        finished = self._line("finished", spec.duration + spec.timeout + 30)
        self.popen.wait(timeout=30)
        records = np.fromfile(self.records, dtype=RECORD)
        rows = self.rows
        rows.intended[:] = records["due"]
        rows.done[:] = records["answered"]
        rows.status[:] = records["status"]
        rows.version[:] = records["version"]
        rows.attempts[:] = 1
        failed = rows.status[rows.status != 200]
        statuses, counts = np.unique(failed, return_counts=True)
        kinds = {ERRORS.get(int(s), f"HTTP {s}"): int(n) for s, n in zip(statuses, counts, strict=True)}
        run = Run(
            self.t0,
            finished["paced_end"],
            finished["end"],
            finished["cpu_seconds"],
            finished["connections_opened"],
        )
        summary = summary_of(rows, spec, run, int(failed.size), kinds, records["lag"])
        summary["client"] = "C (bench/voter.c)"
        rows.save(spec.out)
        self.stop()
        return summary, {name: getattr(rows, name) for name in RECORDS}

    def stop(self) -> None:
        super().stop()
        for leftover in (self.requests, self.records):
            leftover.unlink(missing_ok=True)
