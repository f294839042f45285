"""The GPU side of the benchmarks (`python -m benchmarks --device cuda`, benchmarks/gpu_session.py)
without a GPU: issue 6's targets on made-up figures, argument parsing, the clear exit without a
GPU, that every workload builds its tensors and modules on the device it is given, that timed
calls synchronize, and the runbook's steps and summaries. Nothing here measures or asserts a
time."""
from __future__ import annotations

import subprocess
import sys
import types

import pytest

pytest.importorskip("benchmarks.workloads", reason="run from the repository root")
import minitorch_nn as mt   # noqa: E402
from benchmarks import __main__ as report   # noqa: E402
from benchmarks import gpu_session   # noqa: E402
from benchmarks.workloads import WORKLOADS, by_name, on_device   # noqa: E402

Row = report.Row
NO_GPU = not mt.cuda.is_available()


def _row(name, ours, theirs, note=""):
    w = next(w for w in WORKLOADS if w.name.startswith(name))
    return Row(w.name, w.per, ours, theirs, {}, w, note)


# ------------------------------------------------------------------ targets (issue 6)
def test_gpu_targets_by_batch_size():
    rows = [_row("W1 MLP train step (b=128)", 1.4e-3, 1.0e-3),    # 1.40 <= 1.5: met
            _row("W1 MLP train step (b=1024)", 1.3e-3, 1.0e-3),   # 1.30 >  1.2: missed
            _row("W2 CNN train step (b=64)", 1.6e-3, 1.0e-3),     # 1.60 >  1.5: missed
            _row("W2 CNN train step (b=512)", 1.2e-3, 1.0e-3),    # 1.20 <= 1.2: met
            _row("W3a", 5e-6, 1e-6)]                               # no GPU target
    verdicts = {t: (m, ok) for t, m, ok in report.gpu_targets(rows)}
    assert verdicts == {
        "W1 MLP step, batch 128, GPU: ours / PyTorch time ≤ 1.5×": ("1.40×", True),
        "W2 CNN step, batch 64, GPU: ours / PyTorch time ≤ 1.5×": ("1.60×", False),
        "W1 MLP step, batch 1024, GPU: ours / PyTorch time ≤ 1.2×": ("1.30×", False),
        "W2 CNN step, batch 512, GPU: ours / PyTorch time ≤ 1.2×": ("1.20×", True)}


def test_a_gpu_target_without_a_figure_is_missed_and_says_why():
    rows = [_row("W1 MLP train step (b=128)", None, 1.0e-3,
                 "minitorch_nn failed: RuntimeError: boom"),
            _row("W2 CNN train step (b=64)", 1.0e-3, None)]
    (w1, ok1), (w2, ok2) = [(m, ok) for _, m, ok in report.gpu_targets(rows)]
    assert (w1, ok1) == ("no figure (minitorch_nn failed: RuntimeError: boom)", False)
    assert (w2, ok2) == ("no figure (PyTorch did not run)", False)
    assert report.gpu_targets([]) == []   # workloads left out by --only: nothing judged


def test_ratio_limits_differ_by_device():
    w1, w1_big, w3 = (_row("W1 MLP train step (b=128)", 1, 1),
                      _row("W1 MLP train step (b=1024)", 1, 1), _row("W3a", 1, 1))
    assert report.ratio_limit(w1, "cpu") == 0.75
    assert report.ratio_limit(w1, "cuda") == 1.5
    assert report.ratio_limit(w1_big, "cuda") == 1.2
    assert report.ratio_limit(w3, "cpu") == 3.0 and report.ratio_limit(w3, "cuda") is None


def test_failed_library_note_shows_in_the_table():
    row = _row("W3b", 2e-6, None, "minitorch_nn failed: AttributeError: x")
    line = report.table([row]).splitlines()[-1]
    assert "n/a" in line and line.endswith("| minitorch_nn failed: AttributeError: x |")


def test_chart_marks_the_gpu_targets(tmp_path):
    pytest.importorskip("matplotlib")
    path = tmp_path / "gpu.png"
    report.chart([_row("W1 MLP train step (b=1024)", 1.1e-3, 1e-3), _row("W3a", 2e-6, 1e-6)],
                 str(path), "cuda")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


# ------------------------------------------------------------------ which workloads run where
def test_cuda_runs_w1_w2_at_two_batch_sizes_w3_and_w7():
    names = [w.name for w in on_device("cuda")]
    assert [n.split()[0] for n in names] == ["W1", "W1", "W2", "W2", "W3a", "W3b", "W3c", "W7"]
    assert [w.batch for w in on_device("cuda") if w.batch] == [128, 1024, 64, 512]
    cpu = [w.name for w in on_device("cpu")]
    assert "W1 MLP train step (b=1024)" not in cpu and "W4a x+y fwd+bwd, 2^24" in cpu


def test_every_workload_left_off_cuda_says_why():
    lines = report.skipped_on_cuda()
    for w in WORKLOADS:
        if "cuda" not in w.devices:
            assert w.not_on_cuda, f"{w.name} is CPU-only without a reason"
            assert any(line.startswith(f"- {w.name}: not run on cuda, ") for line in lines)
    assert any("W6 start-up" in line for line in lines)
    assert any("peak memory" in line for line in lines)
    assert not any("W4" in line for line in report.skipped_on_cuda(only="W5"))


def _recorded(name):
    """A factory (randn, ...) of the spied library that notes the device asked for."""
    def make(self, *args, device=None, **kwargs):
        self.asked.append(("tensor", device))
        return getattr(self._T, name)(*args, device="cpu", **kwargs)
    return make


class _SpyLibrary:
    """A library module that records the device every tensor and module is asked for, and
    builds them on the CPU: the workloads' device plumbing, checked without a GPU."""

    def __init__(self, T):
        self._T, self.asked = T, []
        self.nn = types.SimpleNamespace(**{name: getattr(T.nn, name) for name in dir(T.nn)
                                           if not name.startswith("_")})
        for name in ("Sequential", "TransformerEncoderLayer"):
            setattr(self.nn, name, self._module_class(getattr(T.nn, name)))

    def __getattr__(self, name):
        return getattr(self._T, name)

    randn, randint, ones, zeros = (_recorded(n) for n in ("randn", "randint", "ones", "zeros"))

    def _module_class(self, cls):
        spy = self

        def build(*args, **kwargs):
            module = cls(*args, **kwargs)
            real_to = module.to

            def to(device):
                spy.asked.append(("module", device))
                return real_to("cpu")
            object.__setattr__(module, "to", to)
            return module
        return build


@pytest.mark.parametrize("lib", ["minitorch_nn", "torch"])
@pytest.mark.parametrize("workload", on_device("cuda"), ids=lambda w: w.name)
def test_workloads_build_everything_on_the_device_they_are_given(workload, lib):
    T = mt if lib == "minitorch_nn" else pytest.importorskip("torch")
    spy = _SpyLibrary(T)
    small = {"W1": {"batch": 4}, "W2": {"batch": 2}}.get(workload.key, {})
    make = getattr(workload.make, "func", workload.make)   # the batch variants are partials
    step = make(spy, "cuda", **small) if small else workload.make(spy, "cuda")
    step()   # runs (on the CPU)
    assert spy.asked and {device for _, device in spy.asked} == {"cuda"}
    assert any(kind == "tensor" for kind, _ in spy.asked)
    if workload.key not in ("W3a", "W3b"):   # those have no model
        assert ("module", "cuda") in spy.asked


SMALL_CPU = [w for w in on_device("cpu") if w.key in ("W1", "W2", "W3a", "W3b", "W3c")]


@pytest.mark.parametrize("workload", SMALL_CPU, ids=lambda w: w.name)
def test_workload_builders_take_a_device(workload):
    small = {"W1": {"batch": 3}, "W2": {"batch": 2}}.get(workload.key, {})
    workload.make(mt, "cpu", **small)()
    workload.make(mt, device="cpu")()


# ------------------------------------------------------------------ timing on a device
def test_synchronized_waits_after_every_call():
    events = []
    step = report.synchronized(lambda: events.append("step") or 7, lambda: events.append("sync"))
    assert step() == 7 and step() == 7
    assert events == ["step", "sync", "step", "sync"]


def _fake_library(events):
    return types.SimpleNamespace(manual_seed=lambda s: events.append(f"seed {s}"),
                                 cuda=types.SimpleNamespace(
                                     synchronize=lambda: events.append("sync")))


def test_prepare_on_cuda_synchronizes_each_warm_up_call():
    events = []
    w = types.SimpleNamespace(make=lambda T, device: (events.append(f"build {device}"),
                                                      lambda: events.append("step"))[1])
    step = report._prepare(w, _fake_library(events), "cuda", warmup=3)
    assert events == ["seed 0", "build cuda"] + ["step", "sync"] * 3
    events.clear()
    report._prepare(w, _fake_library(events), "cpu", warmup=0)   # at least 2 calls, no sync
    assert events == ["seed 0", "build cpu", "step", "step"]
    assert callable(step)


def test_run_on_cuda_keeps_going_when_a_library_fails(monkeypatch):
    """A library that cannot build a workload gets a note; the other figures still come."""
    from benchmarks import timing, workloads

    def broken(T, device):
        if T.name == "minitorch_nn":
            raise RuntimeError("no kernel for this on cuda")
        return lambda: None

    fake = workloads.Workload("W1 MLP train step (b=128)", broken, batch=128)
    events = []
    libs = {}
    for name in ("minitorch_nn", "torch"):
        libs[name] = _fake_library(events)
        libs[name].name, libs[name].nn = name, types.SimpleNamespace()
    monkeypatch.setattr(report, "_libraries", lambda threads, device: libs)
    monkeypatch.setattr(workloads, "on_device", lambda device: [fake])
    monkeypatch.setattr(timing, "compare", lambda steps, **kw: {k: 1e-3 for k in steps})
    (row,) = report.run(None, 2, rounds=1, device="cuda", warmup=1)
    assert row.ours is None and row.torch == 1e-3
    assert row.note == "minitorch_nn failed: RuntimeError: no kernel for this on cuda"
    assert events.count("sync") == 2   # PyTorch's two warm-up calls, each synchronized


# ------------------------------------------------------------------ arguments and the GPU header
def test_arguments_default_to_the_cpu():
    args = report.parse_args([])
    assert (args.device, args.tf32, args.cudnn_benchmark, args.warmup) == ("cpu", False,
                                                                           False, None)
    with pytest.raises(SystemExit):
        report.parse_args(["--device", "tpu"])


def test_gpu_switches_need_the_cuda_device(capsys):
    with pytest.raises(SystemExit) as exc:
        report.parse_args(["--tf32"])
    assert exc.value.code == 2
    assert "--tf32 and --cudnn-benchmark apply to --device cuda only" in capsys.readouterr().err


@pytest.mark.skipif(not NO_GPU, reason="a GPU is usable here")
def test_cuda_without_a_gpu_exits_with_a_message(capsys):
    with pytest.raises(SystemExit) as exc:
        report.parse_args(["--device", "cuda"])
    assert exc.value.code == 2
    assert "no GPU is usable here" in capsys.readouterr().err


@pytest.mark.skipif(not NO_GPU, reason="a GPU is usable here")
def test_cuda_without_a_gpu_prints_no_traceback():
    res = subprocess.run([sys.executable, "-m", "benchmarks", "--device", "cuda"],
                         capture_output=True, text=True, cwd=gpu_session.ROOT)
    assert res.returncode == 2
    assert "no GPU is usable here" in res.stderr and "Traceback" not in res.stderr


def test_configure_gpu_sets_both_libraries(monkeypatch):
    torch = pytest.importorskip("torch")
    monkeypatch.delenv("CUPY_TF32", raising=False)
    # saved and put back by hand: torch.backends.cuda.matmul's attributes are properties of
    # a module object, which some pytest versions' monkeypatch cannot undo
    flags = ((torch.backends.cuda.matmul, "allow_tf32"), (torch.backends.cudnn, "allow_tf32"),
             (torch.backends.cudnn, "benchmark"))
    saved = [getattr(mod, name) for mod, name in flags]
    try:
        text = report.configure_gpu(tf32=False, cudnn_benchmark=True)
        import os
        assert os.environ["CUPY_TF32"] == "0"
        assert torch.backends.cudnn.allow_tf32 is False
        assert torch.backends.cudnn.benchmark is True
        assert torch.backends.cuda.matmul.allow_tf32 is False
        assert text.startswith("TF32 off in both libraries") and "autotuning on" in text
        report.configure_gpu(tf32=True, cudnn_benchmark=False)
        assert os.environ["CUPY_TF32"] == "1" and torch.backends.cudnn.allow_tf32 is True
    finally:
        for (mod, name), value in zip(flags, saved):
            setattr(mod, name, value)


def test_gpu_header_names_the_gpu_versions_and_date(monkeypatch):
    runtime = types.SimpleNamespace(
        getDeviceProperties=lambda i: {"name": b"NVIDIA H100 80GB HBM3", "major": 9,
                                       "minor": 0, "multiProcessorCount": 132,
                                       "totalGlobalMem": 80 * 2 ** 30},
        driverGetVersion=lambda: 13000, runtimeGetVersion=lambda: 12090)
    fake = types.SimpleNamespace(__version__="14.2.0", cuda=types.SimpleNamespace(
        runtime=runtime))
    monkeypatch.setitem(sys.modules, "cupy", fake)
    head = report.gpu_header()
    assert head.startswith("GPU: NVIDIA H100 80GB HBM3 (compute capability 9.0, 132 SMs, "
                           "80 GiB); CUDA driver 13.0, runtime 12.9; CuPy 14.2.0")
    assert "PyTorch" in head and " UTC" in head.split("; date ")[1]


def test_gpu_header_says_what_it_cannot_read(monkeypatch):
    monkeypatch.setitem(sys.modules, "cupy", types.SimpleNamespace(cuda=None))
    assert report.gpu_header().startswith("cupy_gpu: unreadable (AttributeError")


# ------------------------------------------------------------------ the runbook
def test_session_steps_and_defaults(monkeypatch, tmp_path):
    args = gpu_session.parse_args([])
    assert args.steps == ["install", "info", "bench", "tests"] and args.budget == 540
    assert gpu_session.parse_args(["tests", "bench"]).steps == ["tests", "bench"]
    assert gpu_session.parse_args(["all"]).steps == list(gpu_session.STEPS)
    with pytest.raises(SystemExit):
        gpu_session.parse_args(["benchmarks"])
    monkeypatch.setenv("OUT", str(tmp_path / "out"))
    assert gpu_session.out_dir() == tmp_path / "out" and (tmp_path / "out").is_dir()
    monkeypatch.delenv("OUT")
    monkeypatch.chdir(tmp_path)
    assert gpu_session.out_dir().name == "gpu_results"
    assert (tmp_path / "gpu_results" / ".gitignore").read_text() == "*\n"


def test_session_runs_the_whole_suite_unless_told_otherwise(tmp_path):
    cmd = gpu_session.pytest_command(tmp_path, [])
    assert cmd[1:3] == ["-m", "pytest"] and cmd[-1] == "tests" and "-rs" in cmd
    assert str(tmp_path / "tests.xml") in cmd
    assert gpu_session.pytest_command(tmp_path, ["tests/cuda", "-x"])[-2:] == ["tests/cuda",
                                                                               "-x"]


def test_summarize_tests_keeps_counts_failures_and_gpu_skips():
    log = "\n".join([
        "...F..ss", "FAILED tests/test_x.py::test_y - AssertionError",
        "SKIPPED [5] tests/cuda/test_cuda_ops.py: needs CuPy and an NVIDIA GPU",
        "SKIPPED [2] tests/test_z.py:3: needs scipy",
        "cuda device checks in op tests: 1250 ran, 0 skipped (GPU present)",
        "1 failed, 4600 passed, 7 skipped in 95.1s"])
    summary = gpu_session.summarize_tests(log).splitlines()
    assert summary == ["FAILED tests/test_x.py::test_y - AssertionError",
                       "cuda device checks in op tests: 1250 ran, 0 skipped (GPU present)",
                       "1 failed, 4600 passed, 7 skipped in 95.1s",
                       "5 tests skipped as 'needs CuPy and an NVIDIA GPU': the cuda cases did "
                       "not run here"]
    assert gpu_session.summarize_tests("") == "(no pytest summary: see tests.log)"


def test_a_step_past_its_time_limit_is_stopped(tmp_path):
    log = tmp_path / "slow.log"
    rc = gpu_session.run_logged([sys.executable, "-c", "import time; time.sleep(60)"], log,
                                timeout=1)
    assert rc is None
    text = log.read_text()
    assert "-c '<code>'" in text and "stopped after 1 s" in text


def test_session_report_lists_each_step():
    text = gpu_session.session_report([gpu_session.Step("bench", 0, 61.2, "| table |"),
                                       gpu_session.Step("tests", None, 470.0, "4 passed")])
    assert "| bench | 0 | 61 |" in text
    assert "| tests | stopped at its time limit | 470 |" in text
    assert "## bench\n\n| table |" in text


@pytest.mark.skipif(not NO_GPU, reason="a GPU is usable here")
def test_session_bench_without_a_gpu_reports_the_message(monkeypatch, tmp_path):
    monkeypatch.setenv("OUT", str(tmp_path))
    assert gpu_session.main(["bench", "--bench-args", "--only W3a"]) == 1
    session = (tmp_path / "session.md").read_text()
    assert "| bench | 2 |" in session and "no GPU is usable here" in session


def test_by_name_still_finds_the_cpu_workloads():
    assert by_name("W1").batch == 128 and by_name("W2").batch == 64


@pytest.mark.cuda
def test_a_gpu_workload_runs_end_to_end_on_cuda():
    """W3a built and timed on `cuda` by minitorch_nn (and PyTorch where it sees the GPU): a
    figure, no failure note. Runs on a GPU, or on tests/fake_cupy with --fake-gpu."""
    (row,) = report.run("W3a", 2, rounds=1, device="cuda", warmup=1)
    assert row.ours and row.ours > 0 and row.note == ""
