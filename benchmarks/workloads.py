"""The workloads, written once against a library module `T` (minitorch_nn or torch).

Each `make_*` function builds its inputs and returns `step()`, one timed unit of work, plus
how much work a step is (`units`, `unit`) for throughput figures.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

__all__ = ["Workload", "WORKLOADS"]


@dataclass
class Workload:
    name: str
    make: Callable          # make(T) -> step
    per: str = "step"       # what one call of step() is (step, op, ...)
    ops_per_call: int = 1   # for per-op figures (W3)
    needs: tuple = ()       # attributes of T.nn the workload needs


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


def matmul(n):
    def make(T):
        a, b = T.randn(n, n), T.randn(n, n)

        def step():
            return a @ b
        return step
    make.__doc__ = f"W5: {n}×{n} float32 matmul"
    return make


WORKLOADS = [
    Workload("W1 MLP train step (b=128)", mlp_step),
    Workload("W2 CNN train step (b=64)", cnn_step, needs=("Conv2d", "MaxPool2d", "Flatten")),
    Workload("W3a a*b+a, (8,)", dispatch_binary, per="op", ops_per_call=2),
    Workload("W3b 10 ops+sum+backward, (8,)", dispatch_chain, per="op", ops_per_call=12),
    Workload("W3c tiny MLP step (b=4)", dispatch_tiny_mlp),
    Workload("W4a x+y fwd+bwd, 2^24", large_add),
    Workload("W4b gelu fwd+bwd, 2^24", large_gelu),
    Workload("W5 matmul 1024", matmul(1024)),
    Workload("W5 matmul 2048", matmul(2048)),
]
