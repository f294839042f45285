"""docs/training.md's reproducibility claims, measured on its own training loop: under the same
seed minitorch_nn and PyTorch draw the same data, the same initial weights and the same
shuffles, the first loss is bit-identical and every later loss agrees to float32 rounding."""
from __future__ import annotations

import numpy as np
import pytest

import minitorch_nn as mt

torch = pytest.importorskip("torch")


def _guide_run(T, epochs: int):
    """The loop of docs/training.md sections 1-3 (its data, model, optimizer, scheduler)."""
    data = T.utils.data
    T.manual_seed(0)
    x = T.randn(256, 2)
    y = (x[:, 0] * x[:, 1] > 0).long()
    train_set, _ = data.random_split(data.TensorDataset(x, y), [200, 56])
    loader = data.DataLoader(train_set, batch_size=32, shuffle=True)
    model = T.nn.Sequential(T.nn.Linear(2, 32), T.nn.ReLU(), T.nn.Linear(32, 2))
    initial = [p.detach().numpy().copy() for p in model.parameters()]
    loss_fn = T.nn.CrossEntropyLoss()
    optimizer = T.optim.Adam(model.parameters(), lr=0.02)
    scheduler = T.optim.lr_scheduler.StepLR(optimizer, step_size=20, gamma=0.5)
    losses, orders = [], []
    for _ in range(epochs):
        for xb, yb in loader:
            orders.append(xb.numpy().copy())
            optimizer.zero_grad()
            loss = loss_fn(model(xb), yb)
            loss.backward()
            T.nn.utils.clip_grad_norm_(model.parameters(), max_norm=5.0)
            optimizer.step()
            losses.append(loss.item())
        scheduler.step()
    return x.numpy(), initial, orders, np.array(losses)


def test_same_seed_same_data_weights_and_order_and_losses_to_float32_rounding():
    ours = _guide_run(mt, epochs=6)
    theirs = _guide_run(torch, epochs=6)
    np.testing.assert_array_equal(ours[0], theirs[0])              # torch.randn data
    for a, b in zip(ours[1], theirs[1]):                            # nn.Linear init
        np.testing.assert_array_equal(a, b)
    for a, b in zip(ours[2], theirs[2]):                            # split + shuffles
        np.testing.assert_array_equal(a, b)
    assert ours[3][0] == theirs[3][0]                               # first loss, bit for bit
    np.testing.assert_allclose(ours[3], theirs[3], rtol=1e-5)       # float32 rounding
