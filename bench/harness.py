"""Timing with a baseline measured in the same run, so the figures are ratios, not machine-dependent seconds."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass
class Result:
    name: str
    median_ms: float
    baseline_ms: float

    @property
    def ratio(self) -> float:
        return self.median_ms / self.baseline_ms if self.baseline_ms else float("inf")


def median_ms(operation: Callable[[], object], repeat: int = 30, warmup: int = 3) -> float:
    for _ in range(warmup):
        operation()
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        operation()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


def report(results: list[Result], baseline_name: str) -> None:
    width = max(len(r.name) for r in results)
    print(f"{'benchmark':<{width}}  {'median ms':>10}  {'x ' + baseline_name:>24}")
    for r in results:
        print(f"{r.name:<{width}}  {r.median_ms:>10.2f}  {r.ratio:>24.1f}")
