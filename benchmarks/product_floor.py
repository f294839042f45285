"""The matrix products of the model workloads alone: numpy's BLAS against PyTorch's.

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python -m benchmarks.product_floor

minitorch_nn runs every matrix product of a float32 model on the CPU through numpy (`a @ b`:
numpy's OpenBLAS); PyTorch runs the same products through its own BLAS (MKL in the x86
wheels) or oneDNN. How fast the two BLAS are at a workload's shapes differs a lot between
machines (on an AMD Zen 4 they were level; on an Intel Xeon MKL is well ahead at medium sizes),
and no engine can be faster than its products: this script measures that floor. For W1, W7
and W9 it lists every product of one training step (each nn.Linear's forward, weight
gradient dY^T X and input gradient dY W, as both libraries compute them; attention's batched
products of every head), times each shape in numpy and in torch (`torch.mm`/`torch.bmm`, 2
threads each, alternating rounds, best round's median) and prints per workload the products'
total in each library and their ratio: the ratio the workload would have if everything but
its products took no time. W8's products are in `benchmarks.recurrent_pieces` (PyTorch runs
its LSTM as one oneDNN primitive, not as such products); W2's convolutions are not products
in PyTorch (oneDNN's direct convolutions).
"""
from __future__ import annotations

import numpy as np

from .timing import median_time

_THREADS = 2


def _linear(tokens: int, n_in: int, n_out: int, input_grad: bool = True) -> list:
    """The products of one nn.Linear over `tokens` rows, forward and backward: (label, left
    shape, right shape, transpose the left, batch) each; the input gradient only when the
    layer's input requires one."""
    rows = [(f"{n_in}->{n_out} forward", (tokens, n_in), (n_in, n_out), False, 0),
            (f"{n_in}->{n_out} weight grad", (tokens, n_out), (tokens, n_in), True, 0)]
    if input_grad:
        rows.append((f"{n_in}->{n_out} input grad", (tokens, n_out), (n_out, n_in), False, 0))
    return rows


def _attention(batch_heads: int, seq: int, head_dim: int) -> list:
    """The batched products of attention, forward (scores q k^T, weights @ v) and backward
    (the gradients of weights, v, q and k): six (seq x seq or seq x head_dim) products per
    head."""
    qk = (f"attention {batch_heads}x({seq}x{head_dim} @ {head_dim}x{seq})",
          (seq, head_dim), (head_dim, seq), False, batch_heads)
    pv = (f"attention {batch_heads}x({seq}x{seq} @ {seq}x{head_dim})",
          (seq, seq), (seq, head_dim), False, batch_heads)
    return [qk, pv, qk, pv, pv, pv]   # backward: dW = dO v^T, dv = W^T dO, dq, dk


def _encoder_layer(tokens: int, d: int, ff: int, heads: int, seq: int,
                   input_grad: bool = True) -> list:
    return (_linear(tokens, d, 3 * d, input_grad) + _linear(tokens, d, d)
            + _linear(tokens, d, ff) + _linear(tokens, ff, d)
            + _attention(tokens // seq * heads, seq, d // heads))


def products() -> dict:
    """workload -> its products (see _linear)."""
    return {
        "W1 MLP step": (_linear(128, 784, 512, input_grad=False) + _linear(128, 512, 256)
                        + _linear(128, 256, 10)),
        "W7 transformer block": _encoder_layer(16 * 64, 256, 1024, 4, 64, input_grad=False),
        "W9 GPT stack": 4 * _encoder_layer(16 * 64, 128, 512, 4, 64)
        + _linear(16 * 64, 128, 1000),
    }


def _pair(torch, left_shape, right_shape, transpose, batch):
    """(numpy call, torch call) computing one product of these shapes."""
    rng = np.random.default_rng(0)
    lead = (batch,) if batch else ()
    left = rng.standard_normal(lead + left_shape, dtype=np.float32)
    right = rng.standard_normal(lead + right_shape, dtype=np.float32)
    tl, tr = torch.from_numpy(left), torch.from_numpy(right)
    if transpose:   # dY^T X: the left operand is a transposed view, as in both libraries
        return (lambda: left.T @ right), (lambda: torch.mm(tl.t(), tr))
    if batch:
        return (lambda: np.matmul(left, right)), (lambda: torch.bmm(tl, tr))
    return (lambda: left @ right), (lambda: torch.mm(tl, tr))


def time_products(torch, rows: list, rounds: int = 5) -> tuple[float, float]:
    """Seconds of all `rows`' products, numpy and torch: per distinct shape the best of
    `rounds` alternating rounds (median of its calls), times how often the step needs it."""
    counts: dict = {}
    for label, *shape in rows:
        key = tuple(shape)
        counts[key] = counts.get(key, 0) + 1
    ours = theirs = 0.0
    for key, count in counts.items():
        np_call, torch_call = _pair(torch, *key)
        for fn in (np_call, torch_call):
            for _ in range(3):
                fn()
        best_np = best_torch = float("inf")
        for _ in range(rounds):
            best_np = min(best_np, median_time(np_call, 20))
            best_torch = min(best_torch, median_time(torch_call, 20))
        ours += count * best_np
        theirs += count * best_torch
    return ours, theirs


def main() -> None:
    import torch
    from threadpoolctl import threadpool_limits

    from .machine import describe
    torch.set_num_threads(_THREADS)
    print("\n".join(describe()))
    with threadpool_limits(_THREADS, user_api="blas"):
        for name, rows in products().items():
            ours, theirs = time_products(torch, rows)
            print(f"{name}: {len(rows)} products, numpy {ours * 1e3:.2f} ms, "
                  f"torch {theirs * 1e3:.2f} ms, ratio {ours / theirs:.2f}")


if __name__ == "__main__":
    main()
