"""The workloads, written once against a library module `T` (minitorch_nn or torch).

Each workload function builds its inputs (model, optimizer, data) and returns `step()`, one
timed unit of work. A `Workload` row adds what the report needs: how many ops one call is (W3),
the bytes (W4) or floating-point operations (W5) one call must do for throughput figures, and a
NumPy reference (`reference`: copy bandwidth for W4, numpy's own matmul for W5) timed in the
same run.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

__all__ = ["Workload", "Reference", "WORKLOADS", "by_name"]


@dataclass
class Reference:
    """A NumPy figure timed beside a workload: `make(numpy) -> step`, `work` bytes or flops."""
    name: str
    make: Callable
    work: int


@dataclass
class Workload:
    name: str
    make: Callable          # make(T) -> step
    per: str = "step"       # what one call of step() is (step, op, ...)
    ops_per_call: int = 1   # for per-op figures (W3)
    needs: tuple = ()       # attributes of T.nn the workload needs
    bytes: int = 0          # bytes an ideal implementation reads + writes per call (W4)
    flops: int = 0          # floating-point operations per call (W5)
    references: tuple = ()  # Reference figures timed beside (W4, W5); the first is the target's


def mlp_step(T):
    """W1: 784→512→256→10 MLP, ReLU, cross-entropy, SGD(momentum) at batch 128."""
    nn = T.nn
    model = nn.Sequential(nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 256), nn.ReLU(),
                          nn.Linear(256, 10))
    opt = T.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    x, y = T.randn(128, 784), T.randint(0, 10, (128,))

    def step():
        opt.zero_grad()
        loss = T.nn.functional.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
    return step


def cnn_step(T):
    """W2: two conv/relu/pool blocks and a linear layer on 64×1×28×28, Adam(1e-3)."""
    nn = T.nn
    model = nn.Sequential(nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                          nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                          nn.Flatten(), nn.Linear(1568, 10))
    opt = T.optim.Adam(model.parameters(), lr=1e-3)
    x, y = T.randn(64, 1, 28, 28), T.randint(0, 10, (64,))

    def step():
        opt.zero_grad()
        loss = T.nn.functional.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
    return step


def dispatch_binary(T):
    """W3a: `a * b + a` on (8,) tensors that require grad (2 ops per call)."""
    a, b = T.randn(8, requires_grad=True), T.randn(8, requires_grad=True)

    def step():
        return a * b + a
    return step


def dispatch_chain(T):
    """W3b: 10 elementwise ops + sum + backward on (8,) tensors (12 ops per call)."""
    a = T.randn(8, requires_grad=True)

    def step():
        x = a
        for _ in range(5):
            x = (x * 1.01).tanh()
        x.sum().backward()
    return step


def dispatch_tiny_mlp(T):
    """W3c: Linear(16,16)→ReLU→Linear(16,1) training step at batch 4."""
    nn = T.nn
    model = nn.Sequential(nn.Linear(16, 16), nn.ReLU(), nn.Linear(16, 1))
    opt = T.optim.SGD(model.parameters(), lr=0.01)
    x, y = T.randn(4, 16), T.randn(4, 1)

    def step():
        opt.zero_grad()
        loss = ((model(x) - y) ** 2).mean()
        loss.backward()
        opt.step()
    return step


N_LARGE = 1 << 24


def large_add(T):
    """W4a: x + y forward and backward on 2^24 float32 elements."""
    x = T.randn(N_LARGE, requires_grad=True)
    y = T.randn(N_LARGE, requires_grad=True)
    g = T.ones(N_LARGE)

    def step():
        x.grad = y.grad = None
        (x + y).backward(g)
    return step


def large_gelu(T):
    """W4b: gelu forward and backward on 2^24 float32 elements."""
    x = T.randn(N_LARGE, requires_grad=True)
    g = T.ones(N_LARGE)

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
    def make(T):
        a, b = T.randn(n, n), T.randn(n, n)

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


def transformer_step(T):
    """W7: one TransformerEncoderLayer (d_model 256, 4 heads, feed-forward 1024), forward and
    backward on a batch of 16 sequences of length 64 (dropout 0, so both libraries compute
    the same function)."""
    nn = T.nn
    layer = nn.TransformerEncoderLayer(d_model=256, nhead=4, dim_feedforward=1024, dropout=0.0,
                                       batch_first=True)
    x = T.randn(16, 64, 256)

    def step():
        layer.zero_grad()
        loss = (layer(x) ** 2).mean()
        loss.backward()
    return step


COPIES = (Reference("numpy copy", copy_bandwidth, COPY_BYTES),
          Reference("numpy copy to a new array", copy_to_new, COPY_BYTES))

WORKLOADS = [
    Workload("W1 MLP train step (b=128)", mlp_step),
    Workload("W2 CNN train step (b=64)", cnn_step, needs=("Conv2d", "MaxPool2d", "Flatten")),
    Workload("W3a a*b+a, (8,)", dispatch_binary, per="op", ops_per_call=2),
    Workload("W3b 10 ops+sum+backward, (8,)", dispatch_chain, per="op", ops_per_call=12),
    Workload("W3c tiny MLP step (b=4)", dispatch_tiny_mlp),
    Workload("W4a x+y fwd+bwd, 2^24", large_add, bytes=ADD_BYTES, references=COPIES),
    Workload("W4b gelu fwd+bwd, 2^24", large_gelu, bytes=GELU_BYTES, references=COPIES),
    Workload("W5 matmul 1024", matmul(1024), flops=2 * 1024 ** 3,
             references=(Reference("numpy matmul", numpy_matmul(1024), 2 * 1024 ** 3),)),
    Workload("W5 matmul 2048", matmul(2048), flops=2 * 2048 ** 3,
             references=(Reference("numpy matmul", numpy_matmul(2048), 2 * 2048 ** 3),)),
    Workload("W7 transformer block fwd+bwd (b=16, s=64, d=256)", transformer_step,
             needs=("TransformerEncoderLayer",)),
]


def by_name(prefix: str) -> Workload:
    """The workload whose name starts with `prefix` ("W1", "W7 ...")."""
    for w in WORKLOADS:
        if w.name.startswith(prefix):
            return w
    raise KeyError(f"no workload named {prefix!r}: choose from {[w.name for w in WORKLOADS]}")
