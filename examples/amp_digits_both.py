"""Mixed-precision training (autocast + GradScaler), written once, run under minitorch_nn or
real PyTorch: the digits CNN of train_digits_both.py with PyTorch's AMP recipe.

    python examples/amp_digits_both.py                        # minitorch_nn, bfloat16, CPU
    python examples/amp_digits_both.py --dtype float16        # float16 (loss scaling on)
    python examples/amp_digits_both.py --backend torch        # PyTorch, same code
    python examples/amp_digits_both.py --device cuda          # on a GPU

The only line that differs between the libraries is the import of the library as `torch`.
"""
from __future__ import annotations

import argparse
import importlib
import time

import numpy as np
from sklearn.datasets import load_digits


def run(torch, epochs: int = 5, dtype: str = "bfloat16", device: str = "cpu",
        seed: int = 0) -> tuple[float, float]:
    """Train; return (test accuracy, the GradScaler's final scale)."""
    nn, F = torch.nn, torch.nn.functional
    torch.manual_seed(seed)
    digits = load_digits()
    x = torch.tensor((digits.images / 16.0).astype(np.float32)).unsqueeze(1)
    y = torch.tensor(digits.target.astype(np.int64))
    order = torch.tensor(np.random.default_rng(seed).permutation(len(y)))
    x, y = x[order].to(device), y[order].to(device)
    x_train, y_train, x_test, y_test = x[:1350], y[:1350], x[1350:], y[1350:]

    model = nn.Sequential(
        nn.Conv2d(1, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(32 * 2 * 2, 10)).to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
    low = getattr(torch, dtype)
    # loss scaling is for float16 (bfloat16 has float32's range); disabled, it is a no-op
    scaler = torch.amp.GradScaler(device, enabled=(dtype == "float16"))
    for epoch in range(epochs):
        for start in range(0, len(y_train), 64):
            xb, yb = x_train[start:start + 64], y_train[start:start + 64]
            optimizer.zero_grad()
            with torch.autocast(device, dtype=low):
                loss = F.cross_entropy(model(xb), yb)     # convs/linear in `low`, loss fp32
            scaler.scale(loss).backward()
            scaler.step(optimizer)
            scaler.update()
    model.eval()
    with torch.no_grad(), torch.autocast(device, dtype=low):
        accuracy = (model(x_test).argmax(1) == y_test).float().mean().item()
    return accuracy, scaler.get_scale()


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--backend", choices=["minitorch_nn", "torch"], default="minitorch_nn")
    p.add_argument("--dtype", choices=["bfloat16", "float16"], default="bfloat16")
    p.add_argument("--device", default="cpu")
    p.add_argument("--epochs", type=int, default=5)
    args = p.parse_args()
    torch = importlib.import_module(args.backend)
    start = time.perf_counter()
    accuracy, scale = run(torch, args.epochs, args.dtype, args.device)
    print(f"{args.backend} ({args.dtype} autocast on {args.device}): test accuracy "
          f"{accuracy:.4f}, final loss scale {scale:g}, {time.perf_counter() - start:.1f} s")


if __name__ == "__main__":
    main()
