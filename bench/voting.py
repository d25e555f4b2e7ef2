"""Running bench.voter in a process of its own, so its event loop is not the subscribers' or ours."""

from __future__ import annotations

import json
import select
import subprocess
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np

from bench.procs import die_with_parent
from bench.settings import PYTHON, ROOT
from bench.voter import Spec


class VoterChild:
    """A voter in a process of its own: its JSON lines read from stdout, its stderr kept in a log file, and
    stopped whatever happened (bench.voter here, or the C voter of bench.compiled_voter)."""

    def __init__(self, argv: list[str], spec: Spec, workdir: Path) -> None:
        self.spec = spec
        self.stderr_path = workdir / f"voter-{spec.prefix}.log"
        self._stderr = open(self.stderr_path, "wb")
        self.popen = subprocess.Popen(
            argv,
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            stdin=subprocess.DEVNULL,
            text=True,
            preexec_fn=die_with_parent,
        )
        self.t0 = float(self._line("started", 30.0)["t0"])

    def _line(self, event: str, timeout: float) -> dict[str, Any]:
        assert self.popen.stdout is not None
        ready, _, _ = select.select([self.popen.stdout], [], [], timeout)
        line = self.popen.stdout.readline() if ready else ""
        if not line:
            self.stop()
            said = self.stderr_path.read_text()[-2000:]
            raise RuntimeError(f"the voter process did not report {event!r} within {timeout:.0f} s:\n{said}")
        message = dict(json.loads(line))
        if message.get("event") != event:
            raise RuntimeError(f"the voter said {message!r}, expected {event}")
        return message

    def stop(self) -> None:
        if self.popen.poll() is None:
            self.popen.terminate()
            try:
                self.popen.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait(timeout=5)
        if self.popen.stdout is not None:
            self.popen.stdout.close()
        self._stderr.close()


class VoterProcess(VoterChild):
    def __init__(self, spec: Spec, workdir: Path) -> None:
        spec_path = workdir / f"voter-{spec.prefix}.json"
        spec_path.write_text(json.dumps(asdict(spec)))
        super().__init__([str(PYTHON), "-m", "bench.voter", str(spec_path)], spec, workdir)

    def wait(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        """Its summary and its per-ballot records, once it is done (bounded by its own deadlines)."""
        spec = self.spec
        bound = spec.duration + spec.timeout + (spec.retry_deadline + 3 if spec.retry else 1) + 30
        summary = self._line("done", bound)
        self.popen.wait(timeout=30)
        with np.load(self.spec.out) as data:
            rows = {name: data[name] for name in data.files}
        self.stop()
        return summary, rows


def wait_until(t: float) -> None:
    time.sleep(max(0.0, t - time.monotonic()))
