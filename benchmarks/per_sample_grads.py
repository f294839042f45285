"""Per-sample gradients with `vmap(grad(loss), in_dims=(None, 0, 0))`: minitorch_nn.func
against PyTorch's torch.func, in one process.

    python -m benchmarks.per_sample_grads [--batches 8 64 256] [--reps 7] [--threads 2]

The model is the 32-64-10 tanh MLP with cross-entropy (float32), the loss of one sample is
`cross_entropy(functional_call(model, params, x.unsqueeze(0)), y.unsqueeze(0))`, and each
figure is the median of `--reps` timed calls after one warm-up call, the contenders timed
in alternating rounds. The last column is a Python loop of `grad` over the samples (what
minitorch_nn's vmap cost before it had batching rules), for scale. Both libraries' results
are checked equal (to float32 tolerance) before timing. The header names the CPU: compare
figures only within one run.
"""
from __future__ import annotations

import argparse
import datetime
import os
import statistics
import time


def _set_threads(threads: int) -> None:
    for var in ("NUMBA_NUM_THREADS", "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS",
                "MKL_NUM_THREADS"):
        os.environ.setdefault(var, str(threads))


def make(T, batch: int, seed: int = 0, loop: bool = False):
    """One call of the per-sample-gradient computation under library T (`loop`: a Python
    loop of grad over the samples instead of vmap)."""
    import numpy as np
    F = T.func
    r = np.random.default_rng(seed)
    model = T.nn.Sequential(T.nn.Linear(32, 64), T.nn.Tanh(), T.nn.Linear(64, 10))
    with T.no_grad():
        for p in model.parameters():
            p.copy_(T.tensor(r.standard_normal(tuple(p.shape)).astype(np.float32) * 0.2))
    params = {k: v.detach() for k, v in model.named_parameters()}
    x = T.tensor(r.standard_normal((batch, 32)).astype(np.float32))
    y = T.tensor(r.integers(0, 10, batch))

    def loss(params, xi, yi):
        out = F.functional_call(model, params, (xi.unsqueeze(0),))
        return T.nn.functional.cross_entropy(out, yi.unsqueeze(0))

    if loop:        # what vmap did before it had batching rules: one grad per sample
        g = F.grad(loss)

        def looped():
            grads = [g(params, x[i], y[i]) for i in range(batch)]
            return {k: T.stack([gi[k] for gi in grads]) for k in params}
        return looped
    per_sample = F.vmap(F.grad(loss), in_dims=(None, 0, 0))
    return lambda: per_sample(params, x, y)


def median_ms(steps, reps: int) -> list:
    """The median time (ms) of each step, timed in alternating rounds (load drifts alike)."""
    for step in steps:
        step()
    times = [[] for _ in steps]
    for _ in range(reps):
        for step, ts in zip(steps, times):
            t0 = time.perf_counter()
            step()
            ts.append(time.perf_counter() - t0)
    return [statistics.median(ts) * 1e3 for ts in times]


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batches", type=int, nargs="+", default=[8, 64])
    parser.add_argument("--reps", type=int, default=7)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args(argv)
    _set_threads(args.threads)
    import numpy as np
    import torch

    import minitorch_nn as mt
    from benchmarks.allreduce import cpu_model
    torch.set_num_threads(args.threads)
    print(f"# per-sample gradients, 32-64-10 tanh MLP + cross-entropy, float32; "
          f"{cpu_model()}, {args.threads} threads, {datetime.date.today()}, median of "
          f"{args.reps}")
    print("| batch | minitorch_nn vmap (ms) | PyTorch torch.func vmap (ms) | ratio | "
          "minitorch_nn loop of grad (ms) |")
    print("|---:|---:|---:|---:|---:|")
    for batch in args.batches:
        ours, theirs, loop = make(mt, batch), make(torch, batch), make(mt, batch, loop=True)
        a, b, c = ours(), theirs(), loop()
        for k in a:
            np.testing.assert_allclose(a[k].numpy(), b[k].numpy(), rtol=1e-4, atol=1e-6)
            np.testing.assert_allclose(a[k].numpy(), c[k].numpy(), rtol=1e-4, atol=1e-6)
        t_ours, t_theirs, t_loop = median_ms([ours, theirs, loop], args.reps)
        print(f"| {batch} | {t_ours:.2f} | {t_theirs:.2f} | {t_ours / t_theirs:.1f}x | "
              f"{t_loop:.2f} |")


if __name__ == "__main__":
    main()
