"""`torch.autograd.profiler`'s two most used names, as aliases of minitorch_nn.profiler.

`profile(enabled=True, use_cuda=False, record_shapes=False, with_stack=False, ...)` takes the
legacy keyword arguments and records as `minitorch_nn.profiler.profile` does;
`record_function` is the same class.
"""
from __future__ import annotations

from ..profiler import EventList, FunctionEvent, FunctionEventAvg, ProfilerActivity
from ..profiler import profile as _profile
from ..profiler import record_function

__all__ = ["profile", "record_function", "EventList", "FunctionEvent", "FunctionEventAvg"]


class profile(_profile):
    """`torch.autograd.profiler.profile`: `enabled=False` records nothing; `use_cuda` or
    `use_device="cuda"` adds CUDA device time. Results as from `profiler.profile`, plus
    `table()` and `self_cpu_time_total` on the profile itself."""

    def __init__(self, enabled: bool = True, *, use_cuda: bool = False,
                 use_device: str | None = None, record_shapes: bool = False,
                 with_flops: bool = False, profile_memory: bool = False,
                 with_stack: bool = False, with_modules: bool = False, use_kineto: bool = False,
                 use_cpu: bool = True, experimental_config=None, acc_events: bool = False,
                 custom_trace_id_callback=None):
        activities = [ProfilerActivity.CPU]
        if use_cuda or (use_device or "").startswith("cuda"):
            activities.append(ProfilerActivity.CUDA)
        super().__init__(activities=activities, record_shapes=record_shapes,
                         profile_memory=profile_memory, with_stack=with_stack,
                         with_flops=with_flops, with_modules=with_modules)
        self.enabled = enabled

    def __enter__(self):
        if self.enabled:
            self.start()
        return self

    def __exit__(self, *exc) -> bool:
        if self.enabled:
            self.stop()
        return False

    def table(self, *args, **kwargs) -> str:
        return self.events().table(*args, **kwargs)

    @property
    def self_cpu_time_total(self) -> float:
        return self.events().self_cpu_time_total
