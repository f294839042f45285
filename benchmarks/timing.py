"""Timing helpers: warm up (Numba compiles on the first calls), then take the median."""
from __future__ import annotations

import statistics
import time

__all__ = ["time_step"]


def time_step(step, *, warmup: int = 3, min_time: float = 0.5, max_reps: int = 2000) -> float:
    """Median seconds per call of `step()`, after `warmup` untimed calls."""
    for _ in range(warmup):
        step()
    samples = []
    start = time.perf_counter()
    while len(samples) < max_reps and (time.perf_counter() - start < min_time or
                                       len(samples) < 5):
        t0 = time.perf_counter()
        step()
        samples.append(time.perf_counter() - t0)
    return statistics.median(samples)
