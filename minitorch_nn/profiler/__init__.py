"""`minitorch_nn.profiler`: PyTorch's `torch.profiler`, for minitorch_nn's ops.

    from minitorch_nn.profiler import profile, record_function, ProfilerActivity

    with profile(activities=[ProfilerActivity.CPU], record_shapes=True) as prof:
        with record_function("train_step"):
            loss = model(x).sum()
            loss.backward()
    print(prof.key_averages().table(sort_by="cpu_time_total", row_limit=10))
    prof.export_chrome_trace("trace.json")     # chrome://tracing or ui.perfetto.dev

What is timed (recorder.py): every top-level op call (named after its Function class in
snake case: "mul", "addmm", "mse_loss"), every backward node ("MulBackward0",
"torch::autograd::AccumulateGrad"), optimizer steps ("Optimizer.step#SGD.step"),
`record_function` ranges, and each Numba kernel compile ("numba compile: <kernel>"), apart
from the op that triggered it. With CUDA activity, ops on GPU tensors also get device time
from CUDA events. See docs/tools.md, "Profiler".
"""
from __future__ import annotations

from .chrome_trace import tensorboard_trace_handler
from .events import EventList, FunctionEvent, FunctionEventAvg
from .profile import profile
from .record_function import record_function
from .scheduling import ProfilerAction, ProfilerActivity, schedule, supported_activities

__all__ = ["profile", "record_function", "schedule", "tensorboard_trace_handler",
           "ProfilerActivity", "ProfilerAction", "supported_activities", "EventList",
           "FunctionEvent", "FunctionEventAvg"]
