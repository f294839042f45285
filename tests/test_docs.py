"""The runnable examples of README.md and docs/autograd.md must run (and print what they say)."""
from __future__ import annotations

import pathlib
import re

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
DOCS = ["README.md", "docs/autograd.md", "docs/training.md", "docs/gpu.md", "docs/architecture.md",
        "docs/func.md", "docs/settings_and_tools.md", "docs/tools.md"]


@pytest.fixture(autouse=True)
def _keep_process_settings():
    """docs/settings_and_tools.md flips process-wide switches: put them back after."""
    import numba
    from minitorch_nn import settings
    from minitorch_nn.backends import cudnn
    state, threads = dict(settings._STATE), numba.get_num_threads()
    flags = {k: getattr(cudnn, k) for k in ("enabled", "benchmark", "deterministic",
                                             "allow_tf32")}
    yield
    settings._STATE.update(state)
    numba.set_num_threads(threads)
    for k, v in flags.items():
        setattr(cudnn, k, v)


def _python_blocks(path: pathlib.Path) -> str:
    text = path.read_text(encoding="utf-8")
    return "\n".join(re.findall(r"```python\n(.*?)```", text, flags=re.S))


@pytest.mark.parametrize("doc", DOCS)
def test_doc_examples_run(doc, capsys):
    code = _python_blocks(ROOT / doc)
    assert code.strip(), f"{doc} has no python examples"
    exec(compile(code, doc, "exec"), {"__name__": "__doc_example__"})


def test_autograd_doc_prints_what_it_says(capsys):
    exec(compile(_python_blocks(ROOT / "docs/autograd.md"), "autograd.md", "exec"), {})
    out = capsys.readouterr().out
    for expected in ["tensor(14., grad_fn=<SumBackward0>)", "True False True", "MulBackward0",
                     "['AccumulateGrad', 'AccumulateGrad']", "tensor([2., 4., 6.])",
                     "tensor([12., 24.]) tensor([36., 72.])", "tensor([2., 4.])",
                     "tensor([2.+4.j, 6.-2.j])",
                     "tensor([ 3., 12.], dtype=torch.float64, grad_fn=<AddBackward0>)",
                     "tensor([ 6., 12.], dtype=torch.float64)"]:
        assert expected in out, f"missing {expected!r} in the printed output"


def test_settings_doc_prints_what_it_says(capsys):
    exec(compile(_python_blocks(ROOT / "docs/settings_and_tools.md"), "settings.md", "exec"), {})
    assert capsys.readouterr().out.splitlines() == [
        "high", "['_orig_mod.weight', '_orig_mod.bias']", "torch.Size([3, 1])"]


def test_training_doc_prints_what_it_says(capsys):
    exec(compile(_python_blocks(ROOT / "docs/training.md"), "training.md", "exec"), {})
    lines = capsys.readouterr().out.splitlines()
    assert lines == ["7", "True", "<All keys matched successfully>"]


def test_training_doc_error_claims_hold():
    import minitorch_nn as torch
    with pytest.raises(RuntimeError, match=r"mat1 and mat2 shapes cannot be multiplied "
                                           r"\(3x5 and 4x2\)"):
        torch.nn.Linear(4, 2)(torch.ones(3, 5))


def test_readme_tour_prints_what_its_comments_say(capsys):
    code = _python_blocks(ROOT / "README.md")
    exec(compile(code, "README.md", "exec"), {})
    printed = capsys.readouterr().out.splitlines()
    expected = [line.split("# ", 1)[1].strip() for line in code.splitlines()
                if line.lstrip().startswith("print(") and "# " in line]
    assert printed == expected


def test_gpu_doc_prints_what_it_says(capsys):
    exec(compile(_python_blocks(ROOT / "docs/gpu.md"), "gpu.md", "exec"), {})
    assert capsys.readouterr().out.splitlines() == ["True True"]


def test_architecture_doc_prints_what_it_says(capsys):
    code = _python_blocks(ROOT / "docs/architecture.md")
    exec(compile(code, "architecture.md", "exec"), {})
    printed = capsys.readouterr().out.splitlines()
    expected = [line.split("# ", 1)[1].strip() for line in code.splitlines()
                if line.lstrip().startswith("print(") and "# " in line]
    assert printed == expected and len(expected) == 3


def test_ci_runs_exactly_the_readme_test_command():
    """.ci/run = install PyTorch (the differential tests' reference) + README's test command."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    commands = re.findall(r"```bash\n(.*?)\n```", readme, flags=re.S)
    test_command = next(c for c in commands if "pytest" in c)
    ci_lines = [line for line in (ROOT / ".ci/run").read_text().splitlines()
                if line and not line.startswith(("#", "set ", "cd ", "python -m pip install"))]
    assert ci_lines == [test_command]
