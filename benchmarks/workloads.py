"""The workloads, written once against a library module `T` (minitorch_nn or torch).

Each workload function `make(T, device="cpu")` builds its inputs (model, optimizer, data) on
`device` ("cpu" or "cuda", the same string for both libraries) and returns `step()`, one timed
unit of work. A `Workload` row adds what the report needs: how many ops one call is (W3),
the bytes (W4) or floating-point operations (W5; the model workloads' matmul FLOPs from
flop_counts.py) one call must do for throughput figures, and a NumPy reference (`reference`:
copy bandwidth for W4, numpy's own matmul for W5 and, as the machine's matmul peak, for the
model workloads) timed in the same run on the CPU.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import Callable

from . import flop_counts

__all__ = ["Workload", "Reference", "WORKLOADS", "by_name", "on_device"]


@dataclass
class Reference:
    """A NumPy figure timed beside a workload: `make(numpy) -> step`, `work` bytes or flops."""
    name: str
    make: Callable
    work: int


@dataclass
class Workload:
    name: str
    make: Callable          # make(T, device="cpu") -> step
    per: str = "step"       # what one call of step() is (step, op, ...)
    ops_per_call: int = 1   # for per-op figures (W3)
    needs: tuple = ()       # attributes of T.nn the workload needs
    bytes: int = 0          # bytes an ideal implementation reads + writes per call (W4)
    flops: int = 0          # floating-point operations per call (W5, model matmul FLOPs)
    references: tuple = ()  # Reference figures timed beside (W4, W5); the first is the target's
    batch: int | None = None         # batch size, where the workload has one (W1, W2)
    devices: tuple = ("cpu", "cuda")  # the devices the report runs it on
    not_on_cuda: str = ""            # for a CPU-only workload: why it is not run on cuda

    @property
    def key(self) -> str:
        """The short name targets are filed under: "W1", "W3a", "W5"."""
        return self.name.split()[0]


def mlp_step(T, device="cpu", batch=128):
    """W1: 784→512→256→10 MLP, ReLU, cross-entropy, SGD(momentum), batch 128 (GPU: and 1024)."""
    nn = T.nn
    model = nn.Sequential(nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 256), nn.ReLU(),
                          nn.Linear(256, 10)).to(device)
    opt = T.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    x = T.randn(batch, 784, device=device)
    y = T.randint(0, 10, (batch,), device=device)

    def step():
        opt.zero_grad()
        loss = T.nn.functional.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
    return step


def cnn_step(T, device="cpu", batch=64):
    """W2: two conv/relu/pool blocks and a linear layer on 64×1×28×28 (GPU: and 512), Adam."""
    nn = T.nn
    model = nn.Sequential(nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                          nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                          nn.Flatten(), nn.Linear(1568, 10)).to(device)
    opt = T.optim.Adam(model.parameters(), lr=1e-3)
    x = T.randn(batch, 1, 28, 28, device=device)
    y = T.randint(0, 10, (batch,), device=device)

    def step():
        opt.zero_grad()
        loss = T.nn.functional.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
    return step


def dispatch_binary(T, device="cpu"):
    """W3a: `a * b + a` on (8,) tensors that require grad (2 ops per call)."""
    a = T.randn(8, device=device, requires_grad=True)
    b = T.randn(8, device=device, requires_grad=True)

    def step():
        return a * b + a
    return step


def dispatch_chain(T, device="cpu"):
    """W3b: 10 elementwise ops + sum + backward on (8,) tensors (12 ops per call)."""
    a = T.randn(8, device=device, requires_grad=True)

    def step():
        x = a
        for _ in range(5):
            x = (x * 1.01).tanh()
        x.sum().backward()
    return step


def dispatch_tiny_mlp(T, device="cpu"):
    """W3c: Linear(16,16)→ReLU→Linear(16,1) training step at batch 4."""
    nn = T.nn
    model = nn.Sequential(nn.Linear(16, 16), nn.ReLU(), nn.Linear(16, 1)).to(device)
    opt = T.optim.SGD(model.parameters(), lr=0.01)
    x, y = T.randn(4, 16, device=device), T.randn(4, 1, device=device)

    def step():
        opt.zero_grad()
        loss = ((model(x) - y) ** 2).mean()
        loss.backward()
        opt.step()
    return step


N_LARGE = 1 << 24


def large_add(T, device="cpu"):
    """W4a: x + y forward and backward on 2^24 float32 elements."""
    x = T.randn(N_LARGE, device=device, requires_grad=True)
    y = T.randn(N_LARGE, device=device, requires_grad=True)
    g = T.ones(N_LARGE, device=device)

    def step():
        x.grad = y.grad = None
        (x + y).backward(g)
    return step


def large_gelu(T, device="cpu"):
    """W4b: gelu forward and backward on 2^24 float32 elements."""
    x = T.randn(N_LARGE, device=device, requires_grad=True)
    g = T.ones(N_LARGE, device=device)

    def step():
        x.grad = None
        T.nn.functional.gelu(x).backward(g)
    return step


def copy_bandwidth(np):
    """W4 reference: numpy copying 2^24 float32 into an existing array (one read and one
    write per element): the machine's copy bandwidth for one thread."""
    src = np.ones(N_LARGE, np.float32)
    dst = np.empty_like(src)

    def step():
        np.copyto(dst, src)
    return step


def copy_to_new(np):
    """W4 second reference: `x.copy()`, a copy into a new array. The operating system hands
    a new 64 MB array out as untouched pages and zeroes each one on its first write, which
    costs about as much as the copy: every fresh result of an eager library pays this."""
    src = np.ones(N_LARGE, np.float32)

    def step():
        return src.copy()
    return step


# Bytes an ideal fwd+bwd moves (4 bytes per element per array read or written):
# x + y: forward reads x, y and writes z; backward reads the gradient g and writes x.grad
# and y.grad. gelu: forward reads x, writes y; backward reads g and x, writes x.grad.
ADD_BYTES = 4 * N_LARGE * (3 + 3)
GELU_BYTES = 4 * N_LARGE * (2 + 3)
COPY_BYTES = 4 * N_LARGE * 2


def matmul(n):
    def make(T, device="cpu"):
        a, b = T.randn(n, n, device=device), T.randn(n, n, device=device)

        def step():
            return a @ b
        return step
    make.__doc__ = f"W5: {n}×{n} float32 matmul"
    return make


def numpy_matmul(n):
    def make(np):
        rng = np.random.default_rng(0)
        a = rng.standard_normal((n, n), dtype=np.float32)
        b = rng.standard_normal((n, n), dtype=np.float32)

        def step():
            return a @ b
        return step
    make.__doc__ = f"W5 reference: numpy's own {n}×{n} float32 matmul"
    return make


def transformer_step(T, device="cpu"):
    """W7: one TransformerEncoderLayer (d_model 256, 4 heads, feed-forward 1024), forward and
    backward on a batch of 16 sequences of length 64 (dropout 0, so both libraries compute
    the same function)."""
    nn = T.nn
    layer = nn.TransformerEncoderLayer(d_model=256, nhead=4, dim_feedforward=1024, dropout=0.0,
                                       batch_first=True).to(device)
    x = T.randn(16, 64, 256, device=device)

    def step():
        layer.zero_grad()
        loss = (layer(x) ** 2).mean()
        loss.backward()
    return step


def lstm_lm_step(T, device="cpu"):
    """W8: a word-language-model training step (PyTorch's word_language_model example):
    Embedding 1000x128 -> 2-layer LSTM(256) -> Linear, sequence 35, batch 20, cross entropy,
    clip_grad_norm_(0.25), SGD."""
    nn = T.nn
    emb, lstm, dec = (nn.Embedding(1000, 128).to(device), nn.LSTM(128, 256, 2).to(device),
                      nn.Linear(256, 1000).to(device))
    params = [*emb.parameters(), *lstm.parameters(), *dec.parameters()]
    opt = T.optim.SGD(params, lr=0.1)
    tokens = T.randint(0, 1000, (35, 20), device=device)
    targets = T.randint(0, 1000, (35 * 20,), device=device)
    state = tuple(T.zeros(2, 20, 256, device=device) for _ in range(2))
    loss_fn = nn.CrossEntropyLoss()

    def step():
        opt.zero_grad()
        out, _ = lstm(emb(tokens), state)
        loss_fn(dec(out).reshape(-1, 1000), targets).backward()
        nn.utils.clip_grad_norm_(params, 0.25)
        opt.step()
    return step


def gpt_stack_step(T, device="cpu"):
    """W9: a small GPT-style training step: Embedding 1000x128 -> 4 pre-norm
    TransformerEncoderLayers (d 128, 4 heads, feed-forward 512, causal mask, dropout 0) ->
    Linear, sequence 64, batch 16, cross entropy, AdamW."""
    nn = T.nn
    layer = nn.TransformerEncoderLayer(128, 4, 512, dropout=0.0, batch_first=True,
                                       norm_first=True)
    blocks = nn.TransformerEncoder(layer, 4, enable_nested_tensor=False).to(device)
    emb, head = nn.Embedding(1000, 128).to(device), nn.Linear(128, 1000).to(device)
    params = [*emb.parameters(), *blocks.parameters(), *head.parameters()]
    opt = T.optim.AdamW(params, lr=1e-3)
    tokens = T.randint(0, 1000, (16, 64), device=device)
    targets = T.randint(0, 1000, (16 * 64,), device=device)
    mask = nn.Transformer.generate_square_subsequent_mask(64, device=device)
    loss_fn = nn.CrossEntropyLoss()

    def step():
        opt.zero_grad()
        hidden = blocks(emb(tokens), mask=mask, is_causal=True)
        loss_fn(head(hidden).reshape(-1, 1000), targets).backward()
        opt.step()
    return step


COPIES = (Reference("numpy copy", copy_bandwidth, COPY_BYTES),
          Reference("numpy copy to a new array", copy_to_new, COPY_BYTES))

# Why the CPU-only workloads are not run on cuda (their targets and references are the host's).
_HOST_BANDWIDTH = ("judged against NumPy's copy bandwidth on the host; a GPU's copy rate "
                   "would need a reference of its own")
_HOST_MATMUL = "judged against NumPy's matmul on the host (on a GPU both libraries call cuBLAS)"
_GPU_SESSION = ("added after the GPU session's workload list was sized to its device time; "
                "not yet run on a GPU")

# The machine's matmul peak, beside the model workloads' GFLOP/s (CPU runs only).
PEAK = (Reference("numpy matmul 1024 (peak)", numpy_matmul(1024), 2 * 1024 ** 3),)

WORKLOADS = [
    Workload("W1 MLP train step (b=128)", mlp_step, batch=128, flops=flop_counts.mlp(128),
             references=PEAK),
    Workload("W1 MLP train step (b=1024)", partial(mlp_step, batch=1024), batch=1024,
             devices=("cuda",), flops=flop_counts.mlp(1024)),
    Workload("W2 CNN train step (b=64)", cnn_step, needs=("Conv2d", "MaxPool2d", "Flatten"),
             batch=64, flops=flop_counts.cnn(64), references=PEAK),
    Workload("W2 CNN train step (b=512)", partial(cnn_step, batch=512),
             needs=("Conv2d", "MaxPool2d", "Flatten"), batch=512, devices=("cuda",),
             flops=flop_counts.cnn(512)),
    Workload("W3a a*b+a, (8,)", dispatch_binary, per="op", ops_per_call=2),
    Workload("W3b 10 ops+sum+backward, (8,)", dispatch_chain, per="op", ops_per_call=12),
    Workload("W3c tiny MLP step (b=4)", dispatch_tiny_mlp),
    Workload("W4a x+y fwd+bwd, 2^24", large_add, bytes=ADD_BYTES, references=COPIES,
             devices=("cpu",), not_on_cuda=_HOST_BANDWIDTH),
    Workload("W4b gelu fwd+bwd, 2^24", large_gelu, bytes=GELU_BYTES, references=COPIES,
             devices=("cpu",), not_on_cuda=_HOST_BANDWIDTH),
    Workload("W5 matmul 1024", matmul(1024), flops=2 * 1024 ** 3,
             references=(Reference("numpy matmul", numpy_matmul(1024), 2 * 1024 ** 3),),
             devices=("cpu",), not_on_cuda=_HOST_MATMUL),
    Workload("W5 matmul 2048", matmul(2048), flops=2 * 2048 ** 3,
             references=(Reference("numpy matmul", numpy_matmul(2048), 2 * 2048 ** 3),),
             devices=("cpu",), not_on_cuda=_HOST_MATMUL),
    Workload("W7 transformer block fwd+bwd (b=16, s=64, d=256)", transformer_step,
             needs=("TransformerEncoderLayer",), flops=flop_counts.transformer_layer(),
             references=PEAK),
    Workload("W8 LSTM language-model step (s=35, b=20, 2x256)", lstm_lm_step,
             needs=("LSTM",), devices=("cpu",), not_on_cuda=_GPU_SESSION,
             flops=flop_counts.lstm_lm(), references=PEAK),
    Workload("W9 GPT stack step (4 layers, d=128, s=64, b=16)", gpt_stack_step,
             needs=("TransformerEncoder",), devices=("cpu",), not_on_cuda=_GPU_SESSION,
             flops=flop_counts.gpt_stack(), references=PEAK),
]


def on_device(device: str) -> list[Workload]:
    """The workloads the report runs on `device` ("cpu" or "cuda"), in order."""
    return [w for w in WORKLOADS if device in w.devices]


def by_name(prefix: str) -> Workload:
    """The workload whose name starts with `prefix` ("W1", "W7 ...")."""
    for w in WORKLOADS:
        if w.name.startswith(prefix):
            return w
    raise KeyError(f"no workload named {prefix!r}: choose from {[w.name for w in WORKLOADS]}")
