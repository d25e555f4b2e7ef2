"""Percentiles of plain samples, and a mergeable latency histogram for millions of (vote, screen) pairs."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

BIN_SECONDS = 1e-4  # 0.1 ms
MAX_SECONDS = 120.0
NBINS = int(MAX_SECONDS / BIN_SECONDS) + 1  # the last bin holds everything slower, and pairs never seen


def percentile(values: Sequence[float] | np.ndarray, p: float) -> float:
    data = np.asarray(values, dtype=np.float64)
    if data.size == 0:
        return math.nan
    return float(np.percentile(data, p))


def summary_ms(seconds: Sequence[float] | np.ndarray) -> dict[str, float | int]:
    """p50/p99/max in milliseconds of latencies given in seconds."""
    data = np.asarray(seconds, dtype=np.float64)
    if data.size == 0:
        return {"n": 0, "p50_ms": math.nan, "p99_ms": math.nan, "max_ms": math.nan}
    return {
        "n": int(data.size),
        "p50_ms": round(float(np.percentile(data, 50)) * 1e3, 2),
        "p99_ms": round(float(np.percentile(data, 99)) * 1e3, 2),
        "max_ms": round(float(data.max()) * 1e3, 2),
    }


@dataclass
class Histogram:
    """Counts of latencies in 0.1 ms bins; a latency below zero (screen before ack) counts as zero."""

    counts: np.ndarray = field(default_factory=lambda: np.zeros(NBINS, dtype=np.int64))
    maximum: float = 0.0
    negative: int = 0  # pairs where the screen had the version before the voter had its ack
    missing: int = 0  # pairs never delivered within the run; counted in the last bin
    _pending: list[np.ndarray] = field(default_factory=list)  # bin numbers not yet counted
    _pending_size: int = 0

    def add(self, latencies: np.ndarray) -> None:
        if latencies.size == 0:
            return
        self.negative += int(np.count_nonzero(latencies < 0))
        self.maximum = max(self.maximum, float(latencies.max()))
        bins = np.clip((latencies / BIN_SECONDS).astype(np.int64), 0, NBINS - 1)
        self._pending.append(bins)
        self._pending_size += bins.size
        if self._pending_size > 5_000_000:
            self._flush()

    def _flush(self) -> None:
        """One bincount over many small additions (a bincount per subscriber would cost more than it adds)."""
        if self._pending:
            self.counts += np.bincount(np.concatenate(self._pending), minlength=NBINS)
            self._pending, self._pending_size = [], 0

    def add_missing(self, n: int) -> None:
        self.missing += n
        self.counts[NBINS - 1] += n

    def merge(self, other: Histogram) -> None:
        self._flush()
        other._flush()
        self.counts += other.counts
        self.maximum = max(self.maximum, other.maximum)
        self.negative += other.negative
        self.missing += other.missing

    @property
    def total(self) -> int:
        self._flush()
        return int(self.counts.sum())

    def quantile(self, q: float) -> float:
        """Upper edge of the bin holding quantile q, in seconds; inf when it falls among missing pairs."""
        total = self.total
        if total == 0:
            return math.nan
        self._flush()
        rank = math.ceil(q * total)
        index = int(np.searchsorted(np.cumsum(self.counts), max(rank, 1)))
        if index >= NBINS - 1 and self.missing:
            return math.inf
        return min((index + 1) * BIN_SECONDS, self.maximum)

    def fraction_within(self, seconds: float) -> float:
        total = self.total
        if total == 0:
            return math.nan
        self._flush()
        return float(self.counts[: int(seconds / BIN_SECONDS)].sum()) / total

    def to_wire(self) -> dict[str, Any]:
        self._flush()
        nonzero = np.nonzero(self.counts)[0]
        return {
            "bins": nonzero.tolist(),
            "counts": self.counts[nonzero].tolist(),
            "maximum": self.maximum,
            "negative": self.negative,
            "missing": self.missing,
        }

    @classmethod
    def from_wire(cls, wire: dict[str, Any]) -> Histogram:
        hist = cls(maximum=wire["maximum"], negative=wire["negative"], missing=wire["missing"])
        hist.counts[np.asarray(wire["bins"], dtype=np.int64)] = np.asarray(wire["counts"], dtype=np.int64)
        return hist

    def report(self) -> dict[str, float | int]:
        def ms(x: float) -> float:
            return round(x * 1e3, 1) if math.isfinite(x) else x

        return {
            "pairs": self.total,
            "p50_ms": ms(self.quantile(0.50)),
            "p99_ms": ms(self.quantile(0.99)),
            "max_ms": ms(self.maximum),  # of the delivered pairs
            "within_500ms": round(self.fraction_within(0.5), 4),
            "never_delivered": self.missing,
            "before_ack": self.negative,
        }
