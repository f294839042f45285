"""`profile`: the profiler as a context manager, with PyTorch's schedule state machine.

    with profile(activities=[ProfilerActivity.CPU], record_shapes=True) as prof:
        train_step()
    print(prof.key_averages().table(sort_by="cpu_time_total", row_limit=10))

With `schedule=`, `prof.step()` marks the end of each training step; the schedule's action
for the new step decides, through the same (previous action, new action) table as
`torch.profiler.profile`, whether a new trace is prepared, started, stopped and handed to
`on_trace_ready(prof)`. Each step is also a range "ProfilerStep#<n>" in the trace, as in
PyTorch. Without a schedule everything between enter and exit is one trace.

A profile inside another one nests: both record the inner part (PyTorch 2.13 instead hands
everything to the inner one and leaves the outer trace empty). Leaving the block, by an
exception too, unhooks the profiler: the hot paths test one attribute against None again.
"""
from __future__ import annotations

import warnings

from .events import EventList
from .record_function import record_function
from .recorder import Recorder
from .scheduling import ProfilerAction, ProfilerActivity, default_schedule, supported_activities

__all__ = ["profile"]

_A = ProfilerAction
_UNSUPPORTED = ("profile_memory", "with_flops", "with_modules", "experimental_config",
                "execution_trace_observer")


class profile:
    """`torch.profiler.profile`: records ops, backward nodes, ranges and Numba compiles."""

    def __init__(self, *, activities=None, schedule=None, on_trace_ready=None,
                 record_shapes: bool = False, profile_memory: bool = False,
                 with_stack: bool = False, with_flops: bool = False, with_modules: bool = False,
                 experimental_config=None, execution_trace_observer=None,
                 acc_events: bool = False, use_cuda: bool | None = None,
                 custom_trace_id_callback=None, post_processing_timeout_s=None):
        self.activities = _activity_set(activities, use_cuda)
        given = {"profile_memory": profile_memory, "with_flops": with_flops,
                 "with_modules": with_modules, "experimental_config": experimental_config,
                 "execution_trace_observer": execution_trace_observer}
        for name in _UNSUPPORTED:
            if given[name]:
                warnings.warn(f"profile({name}=...) is not supported by minitorch_nn.profiler "
                              f"and is ignored", stacklevel=2)
        self.record_shapes = record_shapes
        self.with_stack = with_stack
        self.schedule = schedule or default_schedule
        self.record_steps = schedule is not None
        self.on_trace_ready = on_trace_ready
        self.step_num = 0
        self.current_action = self._checked(self.schedule(0))
        self._recorder: Recorder | None = None
        self._results = EventList()
        self._step_range = None

    # --- PyTorch's API --------------------------------------------------------------------
    def __enter__(self):
        self.start()
        return self

    def __exit__(self, exc_type, exc, tb) -> bool:
        self.stop()
        return False

    def start(self) -> None:
        self._transit(_A.NONE, self.current_action)
        if self.record_steps:
            self._enter_step_range()

    def stop(self) -> None:
        try:
            self._exit_step_range()
        finally:
            self._transit(self.current_action, None)

    def step(self) -> None:
        """The current training step ended and the next begins."""
        self._exit_step_range()
        previous = self.current_action
        action = self._checked(self.schedule(self.step_num + 1))
        self.step_num += 1
        self.current_action = action
        self._transit(previous, action)
        if self.record_steps:
            self._enter_step_range()

    def events(self) -> EventList:
        """The events of the last finished trace, in start order."""
        return self._results

    def key_averages(self, group_by_input_shape: bool = False, group_by_stack_n: int = 0):
        """The events of the last trace added up per name (see EventList.key_averages)."""
        return self._results.key_averages(group_by_input_shape, group_by_stack_n)

    def export_chrome_trace(self, path: str) -> None:
        """Write the last trace as a Chrome trace-event JSON file (chrome_trace.py)."""
        self._results.export_chrome_trace(path)

    # --- the schedule's state machine -----------------------------------------------------
    @staticmethod
    def _checked(action):
        if action == _A.DEVICE_STOPPED:
            raise ValueError("ProfilerAction.DEVICE_STOPPED is set internally by the profiler "
                             "and must not be returned by a user-provided schedule")
        if not isinstance(action, ProfilerAction):
            raise TypeError(f"profile(schedule=...) must return a ProfilerAction, got "
                            f"{type(action).__name__}")
        return action

    def _transit(self, previous, current) -> None:
        """Run PyTorch's actions for the move from `previous` to `current` (None: exit)."""
        for name in _TRANSITIONS.get((previous, current), ()):
            if name.startswith("warn:"):
                warnings.warn(name[5:], stacklevel=3)
            else:
                getattr(self, name)()

    def _prepare_trace(self) -> None:
        self._recorder = Recorder(self.record_shapes, self.with_stack,
                                  ProfilerActivity.CUDA in self.activities)

    def _start_trace(self) -> None:
        if self._recorder is None:
            self._prepare_trace()
        self._recorder.start()

    def _stop_trace(self) -> None:
        recorder, self._recorder = self._recorder, None
        if recorder is not None:
            self._results = recorder.stop()
            if recorder.device_timing_missing:
                warnings.warn("CUDA ops were profiled without device times: this CuPy has "
                              "no cuda.Event", stacklevel=3)

    def _trace_ready(self) -> None:
        if self.on_trace_ready is not None:
            self.on_trace_ready(self)

    def _enter_step_range(self) -> None:
        self._step_range = record_function(f"ProfilerStep#{self.step_num}")
        self._step_range.__enter__()

    def _exit_step_range(self) -> None:
        if self._step_range is not None:
            step_range, self._step_range = self._step_range, None
            step_range.__exit__(None, None, None)


_PREP, _START, _STOP, _READY = "_prepare_trace", "_start_trace", "_stop_trace", "_trace_ready"

# (previous action, new action) -> what to do; None as the new action: leaving the profiler.
# The table of torch.profiler.profile (without its DEVICE_STOPPED rows).
_TRANSITIONS = {
    (_A.NONE, _A.NONE): (),
    (_A.NONE, _A.WARMUP): (_PREP,),
    (_A.NONE, _A.RECORD): (_PREP, _START),
    (_A.NONE, _A.RECORD_AND_SAVE): (_PREP, _START),
    (_A.WARMUP, _A.NONE): ("warn:Incorrect schedule: WARMUP followed by NONE", _START, _STOP),
    (_A.WARMUP, _A.WARMUP): (),
    (_A.WARMUP, _A.RECORD): (_START,),
    (_A.WARMUP, _A.RECORD_AND_SAVE): (_START,),
    (_A.RECORD, _A.NONE): ("warn:Incorrect schedule: RECORD followed by NONE", _STOP),
    (_A.RECORD, _A.WARMUP): ("warn:Incorrect schedule: RECORD followed by WARMUP", _STOP),
    (_A.RECORD, _A.RECORD): (),
    (_A.RECORD, _A.RECORD_AND_SAVE): (),
    (_A.RECORD_AND_SAVE, _A.NONE): (_STOP, _READY),
    (_A.RECORD_AND_SAVE, _A.WARMUP): (_STOP, _READY, _PREP),
    (_A.RECORD_AND_SAVE, _A.RECORD): (_STOP, _READY, _PREP, _START),
    (_A.RECORD_AND_SAVE, _A.RECORD_AND_SAVE): (_STOP, _READY, _PREP, _START),
    (_A.WARMUP, None): (_START, _STOP),
    (_A.RECORD, None): (_STOP, _READY),
    (_A.RECORD_AND_SAVE, None): (_STOP, _READY),
}


def _activity_set(activities, use_cuda) -> set:
    """The activities asked for (PyTorch's default: what this machine supports)."""
    if activities is None:
        found = supported_activities()
    else:
        found = set()
        for item in activities:
            if isinstance(item, dict):
                item = list(item)
            for a in item if isinstance(item, list) else [item]:
                if not isinstance(a, ProfilerActivity):
                    raise TypeError(f"profile(activities=...) expected ProfilerActivity "
                                    f"values, got {type(a).__name__}")
                found.add(a)
    if use_cuda is not None:
        warnings.warn("`use_cuda` is deprecated, use `activities` argument instead",
                      FutureWarning, stacklevel=3)
        (found.add if use_cuda else found.discard)(ProfilerActivity.CUDA)
    if not found:
        raise AssertionError("No valid profiler activities found")
    for a in found - {ProfilerActivity.CPU, ProfilerActivity.CUDA}:
        warnings.warn(f"profile(activities=...): {a} is not supported by minitorch_nn.profiler "
                      f"and is ignored", stacklevel=3)
    return found
