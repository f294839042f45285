"""Timing helpers: warm up (Numba compiles on the first calls), then time in interleaved rounds.

The machine these benchmarks run on may be shared: another process can take a core for a
while. So the libraries are timed in alternating rounds (minitorch_nn, PyTorch, reference,
minitorch_nn, ...), each round gives the median of its samples, and each library's figure is
its best round: a burst of load then slows one round of each library instead of all the
samples of one library.
"""
from __future__ import annotations

import statistics
import time
from typing import Callable

__all__ = ["time_step", "compare", "median_time"]


def time_step(step: Callable, *, warmup: int = 3, min_time: float = 0.5,
              max_reps: int = 2000) -> float:
    """Median seconds per call of `step()`, after `warmup` untimed calls."""
    for _ in range(warmup):
        step()
    return _round(step, min_time, max_reps)


def median_time(step: Callable, reps: int) -> float:
    """Median seconds of `reps` timed calls of `step()` (no warm-up)."""
    samples = []
    for _ in range(reps):
        t0 = time.perf_counter()
        step()
        samples.append(time.perf_counter() - t0)
    return statistics.median(samples)


def _round(step: Callable, min_time: float, max_reps: int, min_reps: int = 3) -> float:
    """Median seconds per call over at least `min_time` seconds (and `min_reps` calls)."""
    samples = []
    start = time.perf_counter()
    while len(samples) < max_reps and (time.perf_counter() - start < min_time
                                       or len(samples) < min_reps):
        t0 = time.perf_counter()
        step()
        samples.append(time.perf_counter() - t0)
    return statistics.median(samples)


def compare(steps: dict, *, rounds: int = 9, warmup: int = 3, min_time: float = 0.15,
            max_reps: int = 500) -> dict:
    """{name: seconds per call} for each `step()` in `steps`, timed in alternating rounds.

    Each step is called `warmup` times first (Numba compilation, lazy optimizer state, BLAS
    thread start-up stay out of the figures); the figure is the best of `rounds` round
    medians.
    """
    for step in steps.values():
        for _ in range(warmup):
            step()
    best = {name: float("inf") for name in steps}
    for _ in range(rounds):
        for name, step in steps.items():
            best[name] = min(best[name], _round(step, min_time, max_reps))
    return best
