"""What to profile and when: `ProfilerActivity`, `ProfilerAction` and `schedule`.

These mirror `torch.profiler`: an activity says which clock to read (CPU wall time, CUDA
device time), an action says what the profiler does during one step of a training loop, and
`schedule(wait=, warmup=, active=, repeat=, skip_first=)` returns the function from a step
number to its action that `profile(schedule=...)` calls at every `prof.step()`.
"""
from __future__ import annotations

import enum
import warnings

__all__ = ["ProfilerActivity", "ProfilerAction", "schedule", "supported_activities"]


class ProfilerActivity(enum.Enum):
    """The activity groups of `torch.profiler` (same names and values). minitorch_nn records
    CPU (every op, backward node, range) and CUDA (device time of ops on `cuda` tensors);
    the others are accepted and ignored with a warning."""

    CPU = 0
    XPU = 1
    CUDA = 2
    HPU = 3
    MTIA = 4
    PrivateUse1 = 5


class ProfilerAction(enum.Enum):
    """What the profiler does during a step: nothing, warm up (on, results dropped), record,
    or record and then hand the trace to `on_trace_ready`. DEVICE_STOPPED exists for name
    compatibility; PyTorch sets it internally and so does no user schedule."""

    NONE = 0
    WARMUP = 1
    RECORD = 2
    RECORD_AND_SAVE = 3
    DEVICE_STOPPED = 4


def supported_activities() -> set:
    """CPU, plus CUDA when a GPU (CuPy) is usable: `profile()`'s default activities."""
    from .. import cuda
    found = {ProfilerActivity.CPU}
    if cuda.is_available():
        found.add(ProfilerActivity.CUDA)
    return found


def schedule(*, wait: int, warmup: int, active: int, repeat: int = 0, skip_first: int = 0,
             skip_first_wait: int = 0):
    """PyTorch's schedule: skip `skip_first` steps, then cycles of `wait` steps doing
    nothing, `warmup` steps warming up and `active` steps recording (the last one
    RECORD_AND_SAVE); `repeat` cycles (0: until the loop ends). `skip_first_wait` drops the
    first cycle's wait. Same checks, warning and answers as `torch.profiler.schedule`."""
    if wait < 0 or warmup < 0 or active <= 0 or repeat < 0 or skip_first < 0:
        raise AssertionError(
            f"Invalid profiler schedule arguments. Got wait={wait} (need >= 0), warmup={warmup} "
            f"(need >= 0), active={active} (need > 0), repeat={repeat} (need >= 0), "
            f"skip_first={skip_first} (need >= 0).")
    if warmup == 0:
        warnings.warn("Profiler won't be using warmup, this can skew profiler results",
                      stacklevel=2)
    cycle = wait + warmup + active

    def schedule_fn(step: int) -> ProfilerAction:
        if step < 0:
            raise AssertionError(f"Step must be non-negative. Got {step}.")
        if step < skip_first:
            return ProfilerAction.NONE
        step -= skip_first
        if skip_first_wait != 0:
            step += wait
        if repeat > 0 and step / cycle >= repeat:
            return ProfilerAction.NONE
        position = step % cycle
        if position < wait:
            return ProfilerAction.NONE
        if position < wait + warmup:
            return ProfilerAction.WARMUP
        return ProfilerAction.RECORD if position < cycle - 1 else ProfilerAction.RECORD_AND_SAVE

    return schedule_fn


def default_schedule(step: int) -> ProfilerAction:
    """Without a schedule the profiler records from start to stop (PyTorch's default)."""
    return ProfilerAction.RECORD
