"""Issue 15: no numpy RuntimeWarning ("overflow encountered in ...", "invalid value ...")
escapes from mixed-precision training, where PyTorch prints none: docs/amp.md's examples
(the GradScaler one scales a loss by inf) and a float16 autocast loop whose scale overflows,
whose loss ignores every target, and whose gradients hold inf and NaN."""
from __future__ import annotations

import pathlib
import re
import warnings

import minitorch_nn as torch
from minitorch_nn import nn

ROOT = pathlib.Path(__file__).resolve().parents[2]


def test_amp_doc_examples_print_no_numpy_warning(capsys):
    code = "\n".join(re.findall(r"```python\n(.*?)```",
                                (ROOT / "docs" / "amp.md").read_text(encoding="utf-8"), re.S))
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        exec(compile(code, "docs/amp.md", "exec"), {"__name__": "__doc_example__"})


def test_grad_scaler_loop_with_overflows_prints_no_numpy_warning():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 8), nn.SiLU(), nn.Linear(8, 3))
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    scaler = torch.amp.GradScaler("cpu", init_scale=2.0 ** 120, growth_factor=2.0 ** 8,
                                  growth_interval=1)
    targets = [torch.tensor([0, 1, 2, 1]), torch.tensor([-100] * 4)]   # all ignored: NaN loss
    scales = []
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        for step in range(4):
            opt.zero_grad()
            with torch.autocast("cpu", dtype=torch.float16):
                out = model(torch.randn(4, 4) * 1e4)
                loss = nn.functional.cross_entropy(out, targets[step % 2])
                loss = loss + nn.functional.binary_cross_entropy_with_logits(
                    out, torch.ones(4, 3)) * 1e30
            scaler.scale(loss).backward()
            scaler.step(opt)
            scaler.update()
            scales.append(scaler.get_scale())
    assert scales[-1] < 2.0 ** 120   # backed off after the inf/NaN steps
