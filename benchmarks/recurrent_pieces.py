"""W8's pieces, each library timed alone: where PyTorch's LSTM step gains its lead.

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python -m benchmarks.recurrent_pieces

Prints, for the shapes of W8 (sequence 35, batch 20, LSTM 128 -> 256 -> 256, decoder 1000):
1. each matrix product of the step in numpy (OpenBLAS) and torch.mm (MKL), 2 threads;
2. the two-layer LSTM alone, forward + backward: ours (each layer's loop in one Numba call),
   ours with the loop in Python, PyTorch's (oneDNN's fused RNN); best of three rounds;
3. the per-step recurrent product W_hh @ h^T by a Numba kernel whose two threads each keep
   their half of W_hh's rows (no packing: 512 KB per core stays in its L2), against
   OpenBLAS, which packs all of W_hh on every call: the experiment behind the "next step"
   of docs/benchmarks.md (W8). Not used by the library.
Figures are the 10th percentile of repeated calls, microseconds or milliseconds as printed.
"""
from __future__ import annotations

import time

import numpy as np
from numba import njit, prange

_THREADS = 2
_SHAPES = {   # name: (left, right) of one product of a W8 step
    "recurrent step W_hh @ h^T": ((1024, 256), (256, 20)),
    "weight gradient d_in @ x": ((1024, 700), (700, 256)),
    "input gradient d_in^T @ W_ih": ((700, 1024), (1024, 256)),
    "decoder h @ W^T": ((700, 256), (256, 1000)),
}


def _p10(fn, calls: int) -> float:
    """10th percentile of `calls` timed calls after 3 untimed ones, in seconds."""
    for _ in range(3):
        fn()
    times = []
    for _ in range(calls):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return float(np.percentile(times, 10))


def products(torch) -> None:
    rng = np.random.default_rng(0)
    for name, (a, b) in _SHAPES.items():
        left, right = (rng.standard_normal(s, dtype=np.float32) for s in (a, b))
        tl, tr = torch.from_numpy(left), torch.from_numpy(right)
        ours, theirs = _p10(lambda: left @ right, 300), _p10(lambda: tl @ tr, 300)
        gflop = 2 * a[0] * a[1] * b[1] / 1e9
        print(f"{name} {a[0]}x{a[1]} @ {b[0]}x{b[1]}: numpy {ours * 1e6:.1f} us "
              f"({gflop / ours:.0f} GFLOP/s), torch {theirs * 1e6:.1f} us "
              f"({gflop / theirs:.0f} GFLOP/s)")


def lstm_alone(torch) -> None:
    """The two-layer LSTM alone: ours with each layer's loop in one Numba call (the default),
    ours with the loop in Python (ops/recurrent.py SEQUENCE_KERNELS off), PyTorch; three
    rounds, alternating."""
    import minitorch_nn as mt
    from minitorch_nn.ops import recurrent
    x = np.random.default_rng(0).standard_normal((35, 20, 128), dtype=np.float32)
    steps = {}
    for lib in (mt, torch):
        lib.manual_seed(0)
        lstm = lib.nn.LSTM(128, 256, 2)
        xt = lib.from_numpy(x.copy()).requires_grad_()

        def step(lstm=lstm, xt=xt):
            out, _ = lstm(xt)
            out.sum().backward()
        steps[lib.__name__] = step

    def loop_in_python():
        recurrent.SEQUENCE_KERNELS = False
        try:
            steps["minitorch_nn"]()
        finally:
            recurrent.SEQUENCE_KERNELS = True
    runs = {"minitorch_nn (sequence kernels)": steps["minitorch_nn"],
            "minitorch_nn (Python loop)": loop_in_python, "torch": steps["torch"]}
    best = {name: float("inf") for name in runs}
    for _ in range(3):
        for name, fn in runs.items():
            best[name] = min(best[name], _p10(fn, 30))
    for name, seconds in best.items():
        print(f"LSTM 2x256 on 35x20x128, forward + backward, {name}: {seconds * 1e3:.2f} ms")


@njit(fastmath={"reassoc", "contract", "nsz", "arcp"}, parallel=True, cache=True)
def _halves_product(w, h, out):
    """out (G, B) = w (G, K) @ h (B, K)^T, B a multiple of 4; thread `part` computes the rows
    of its half only, four rows by four batch columns at a time: sixteen running sums,
    written out one by one so that LLVM keeps them in registers (a 4x4 array would live in
    memory and run ~13x slower)."""
    rows, k_len = w.shape
    batch = h.shape[0]
    for part in prange(2):
        for block in range(part * (rows // 8), (part + 1) * (rows // 8)):
            r = block * 4
            for b in range(0, batch, 4):
                s00 = s01 = s02 = s03 = s10 = s11 = s12 = s13 = np.float32(0)
                s20 = s21 = s22 = s23 = s30 = s31 = s32 = s33 = np.float32(0)
                for k in range(np.uint64(k_len)):
                    x0, x1, x2, x3 = h[b, k], h[b + 1, k], h[b + 2, k], h[b + 3, k]
                    w0, w1, w2, w3 = w[r, k], w[r + 1, k], w[r + 2, k], w[r + 3, k]
                    s00 += w0 * x0; s01 += w0 * x1; s02 += w0 * x2; s03 += w0 * x3  # noqa: E702
                    s10 += w1 * x0; s11 += w1 * x1; s12 += w1 * x2; s13 += w1 * x3  # noqa: E702
                    s20 += w2 * x0; s21 += w2 * x1; s22 += w2 * x2; s23 += w2 * x3  # noqa: E702
                    s30 += w3 * x0; s31 += w3 * x1; s32 += w3 * x2; s33 += w3 * x3  # noqa: E702
                out[r, b], out[r, b + 1], out[r, b + 2], out[r, b + 3] = s00, s01, s02, s03
                out[r + 1, b], out[r + 1, b + 1], out[r + 1, b + 2], out[r + 1, b + 3] = \
                    s10, s11, s12, s13
                out[r + 2, b], out[r + 2, b + 1], out[r + 2, b + 2], out[r + 2, b + 3] = \
                    s20, s21, s22, s23
                out[r + 3, b], out[r + 3, b + 1], out[r + 3, b + 2], out[r + 3, b + 3] = \
                    s30, s31, s32, s33


def recurrent_product() -> None:
    rng = np.random.default_rng(0)
    w = rng.standard_normal((1024, 256), dtype=np.float32)
    h = rng.standard_normal((20, 256), dtype=np.float32)
    h_t = np.ascontiguousarray(h.T)
    out = np.empty((1024, 20), np.float32)
    _halves_product(w, h, out)
    assert np.allclose(out, w @ h_t, rtol=1e-4, atol=1e-3)
    print(f"recurrent step product, hot loop: OpenBLAS {_p10(lambda: w @ h_t, 500) * 1e6:.1f} us, "
          f"Numba halves kept in L2 {_p10(lambda: _halves_product(w, h, out), 500) * 1e6:.1f} us")


def main() -> None:
    import torch
    from numba import set_num_threads
    from threadpoolctl import threadpool_limits
    torch.set_num_threads(_THREADS)
    set_num_threads(_THREADS)
    with threadpool_limits(_THREADS, user_api="blas"):
        products(torch)
        lstm_alone(torch)
        recurrent_product()


if __name__ == "__main__":
    main()
