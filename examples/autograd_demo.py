"""A short autograd demo: fit y = 3x + 2 with a hand-written training loop.

Runs unchanged with `import torch` in place of `import minitorch_nn as torch`.
"""
import minitorch_nn as torch


def main() -> None:
    torch.manual_seed(0)
    x = torch.rand(64, 1)
    y = 3 * x + 2
    w = torch.zeros(1, requires_grad=True)
    b = torch.zeros(1, requires_grad=True)
    for step in range(200):
        loss = ((x * w + b - y) ** 2).mean()
        loss.backward()
        with torch.no_grad():
            w -= 0.5 * w.grad
            b -= 0.5 * b.grad
        w.grad = None
        b.grad = None
        if step % 50 == 0:
            print(f"step {step:3d}  loss {loss.item():.5f}")
    print(f"w = {w.item():.3f} (3), b = {b.item():.3f} (2), final loss {loss.item():.2e}")


if __name__ == "__main__":
    main()
