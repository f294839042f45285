"""The same digits training, written once, run under minitorch_nn or real PyTorch.

    python examples/train_digits_both.py                   # minitorch_nn
    python examples/train_digits_both.py --backend torch   # PyTorch, same code, same numbers

The only line that differs between the two is the import of the library as `torch`.
"""
from __future__ import annotations

import argparse
import importlib
import time

import numpy as np
from sklearn.datasets import load_digits


def run(torch, epochs: int = 10, seed: int = 0) -> float:
    nn, F = torch.nn, torch.nn.functional
    torch.manual_seed(seed)
    digits = load_digits()
    x = torch.tensor((digits.images / 16.0).astype(np.float32)).unsqueeze(1)
    y = torch.tensor(digits.target.astype(np.int64))
    order = torch.tensor(np.random.default_rng(seed).permutation(len(y)))
    x, y = x[order], y[order]
    x_train, y_train, x_test, y_test = x[:1350], y[:1350], x[1350:], y[1350:]

    model = nn.Sequential(
        nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(32 * 2 * 2, 10))
    optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
    loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(x_train, y_train),
                                         batch_size=64, shuffle=True)
    for epoch in range(epochs):
        for xb, yb in loader:
            optimizer.zero_grad()
            loss = F.cross_entropy(model(xb), yb)
            loss.backward()
            optimizer.step()
    model.eval()
    with torch.no_grad():
        accuracy = (model(x_test).argmax(1) == y_test).float().mean().item()
    return accuracy


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--backend", choices=["minitorch_nn", "torch"], default="minitorch_nn")
    p.add_argument("--epochs", type=int, default=10)
    args = p.parse_args()
    torch = importlib.import_module(args.backend)
    start = time.perf_counter()
    accuracy = run(torch, args.epochs)
    print(f"{args.backend}: test accuracy {accuracy:.4f} in {time.perf_counter() - start:.1f} s")


if __name__ == "__main__":
    main()
