"""The main job: train a small CNN on handwritten digits, with a progress bar.

    python -m minitorch_nn.examples.train                 # scikit-learn's digits, on the CPU
    python -m minitorch_nn.examples.train --mnist DIR     # MNIST IDX files from DIR
    python -m minitorch_nn.examples.train --device cuda --plot

It prints the final test accuracy, saves a checkpoint (`--checkpoint`, default
checkpoints/digits_cnn.pt) and, with `--plot`, a loss/accuracy chart (default: beside the
checkpoint, checkpoints/digits_cnn_curves.png). `main` is the `minitorch-train` command and
returns its exit status; `run` returns the final test accuracy.
"""
from __future__ import annotations

import argparse
import os
import sys
import time

import minitorch_nn as torch
from minitorch_nn import nn
from minitorch_nn.utils.data import DataLoader, TensorDataset

from .datasets import load_digits, load_mnist

__all__ = ["SmallCNN", "main", "run", "train", "evaluate", "warm_up"]


class SmallCNN(nn.Module):
    """conv(16) → relu → pool → conv(32) → relu → pool → linear: ~6k parameters on digits."""

    def __init__(self, image_size: int, num_classes: int = 10):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        )
        side = image_size // 4
        self.classifier = nn.Sequential(nn.Flatten(), nn.Linear(32 * side * side, num_classes))

    def forward(self, x):
        return self.classifier(self.features(x))


def evaluate(model, loader, device) -> float:
    """Accuracy of `model` over `loader`, in eval mode and without a graph."""
    model.eval()
    correct = total = 0
    with torch.no_grad():
        for x, y in loader:
            x, y = x.to(device), y.to(device)
            correct += (model(x).argmax(dim=1) == y).sum().item()
            total += y.shape[0]
    model.train()
    return correct / max(total, 1)


def _progress_bar(total, desc, enabled):
    """A tqdm bar advanced by hand (`update` after each batch), or None."""
    if not enabled:
        return None
    try:
        from tqdm import tqdm
    except ImportError:
        print("(install tqdm for a progress bar: pip install 'minitorch_nn[examples]')")
        return None
    return tqdm(total=total, desc=desc, unit="batch", leave=True, file=sys.stdout)


def warm_up(model, loader, device, dtype=None) -> float:
    """One untimed forward, backward and Adam step on a throwaway copy of the work; seconds.

    A first run compiles the Numba kernels the step uses (10 s to a minute; later runs read
    them from Numba's cache): done here, the compilation stays out of the first epoch's
    progress bar, its rate and its time estimate. Nothing changes: the batch is the first of
    `loader`, the random state is put back (iterating a DataLoader draws a seed, as in
    PyTorch), the model runs in eval mode (no running statistics move), its gradients are put
    back as they were, and the Adam step updates a scratch tensor, not the model.
    """
    start = time.perf_counter()
    params = list(model.parameters())
    saved = [p.grad for p in params]
    was_training = model.training
    rng = torch.get_rng_state()
    model.eval()
    try:
        x, y = next(iter(loader))
        x, y = x.to(device), y.to(device)
        with torch.no_grad():
            model(x)                                  # evaluate()'s path
        nn.CrossEntropyLoss()(model(x), y).backward()
    finally:
        torch.set_rng_state(rng)
        model.train(was_training)
        for p, g in zip(params, saved):
            p.grad = g
    dtype = dtype or (params[0].dtype if params else torch.float32)
    scratch = torch.zeros(4, dtype=dtype, device=device, requires_grad=True)
    scratch.grad = torch.ones_like(scratch)
    torch.optim.Adam([scratch]).step()
    return time.perf_counter() - start


def train(model, train_loader, test_loader, *, epochs, lr, device, progress=True):
    """Adam + cross-entropy; returns per-epoch history of loss and test accuracy."""
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    loss_fn = nn.CrossEntropyLoss()
    history = {"loss": [], "accuracy": []}
    if progress:
        print("warm-up step (a first run compiles Numba's kernels, cached after) ... ",
              end="", flush=True)
    seconds = warm_up(model, test_loader, device)
    if progress:
        print(f"{seconds:.1f} s")
    for epoch in range(1, epochs + 1):
        running, seen, start = 0.0, 0, time.perf_counter()
        bar = _progress_bar(len(train_loader), f"epoch {epoch}/{epochs}", progress)
        for x, y in train_loader:
            x, y = x.to(device), y.to(device)
            optimizer.zero_grad()
            loss = loss_fn(model(x), y)
            loss.backward()
            optimizer.step()
            running += loss.item() * y.shape[0]
            seen += y.shape[0]
            if bar is not None:   # the count and the readout both include this batch
                rate = seen / max(time.perf_counter() - start, 1e-9)
                bar.set_postfix(loss=f"{running / seen:.4f}", samples_per_s=f"{rate:.0f}",
                                refresh=False)
                bar.update(1)
        if bar is not None:
            bar.close()
        history["loss"].append(running / max(seen, 1))
        history["accuracy"].append(evaluate(model, test_loader, device))
        if progress:
            print(f"epoch {epoch}: loss {history['loss'][-1]:.4f}  "
                  f"test accuracy {history['accuracy'][-1]:.4f}")
    return history


def _plot(history, path: str) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(1, 2, figsize=(9, 3.5))
    epochs = range(1, len(history["loss"]) + 1)
    ax[0].plot(epochs, history["loss"], marker="o")
    ax[0].set(title="training loss", xlabel="epoch")
    ax[1].plot(epochs, history["accuracy"], marker="o", color="tab:green")
    ax[1].set(title="test accuracy", xlabel="epoch")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


class _HelpFormatter(argparse.ArgumentDefaultsHelpFormatter):
    """`--help` shows each option's default, except where there is none to show."""

    def _get_help_string(self, action):
        if action.default is None or action.default is False:
            return action.help
        return super()._get_help_string(action)


_PLOT_BESIDE_CHECKPOINT = "beside the checkpoint"


def _parse(argv):
    p = argparse.ArgumentParser(prog="minitorch-train", description=__doc__.splitlines()[0],
                                formatter_class=_HelpFormatter)
    p.add_argument("--mnist", metavar="DIR", help="train on MNIST IDX files from DIR "
                   "(default: scikit-learn's 8x8 digits)")
    p.add_argument("--epochs", type=int, default=None,
                   help="epochs (default: 15 on digits, 3 on MNIST)")
    p.add_argument("--batch-size", type=int, default=64, help="training batch size")
    p.add_argument("--lr", type=float, default=1e-2, help="Adam's learning rate")
    p.add_argument("--device", default="cpu", help="cpu or cuda")
    p.add_argument("--seed", type=int, default=0, help="seed of the weights and the shuffle")
    p.add_argument("--checkpoint", default=os.path.join("checkpoints", "digits_cnn.pt"),
                   help="where to save the trained weights ('' to skip)")
    p.add_argument("--plot", metavar="PNG", nargs="?", const=_PLOT_BESIDE_CHECKPOINT,
                   help="save a loss/accuracy chart to PNG; without PNG, beside the "
                        "checkpoint (checkpoints/digits_cnn_curves.png by default)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    args = p.parse_args(argv)
    if args.plot == _PLOT_BESIDE_CHECKPOINT:
        stem = os.path.splitext(args.checkpoint)[0] if args.checkpoint else \
            os.path.join("checkpoints", "digits_cnn")
        args.plot = stem + "_curves.png"
    return args


def main(argv=None) -> int:
    """The `minitorch-train` command: train, report, return the exit status (0)."""
    run(argv)
    return 0


def run(argv=None) -> float:
    """Train as the command line `argv` says; return the final test accuracy."""
    args = _parse(argv)
    torch.manual_seed(args.seed)
    device = torch.device(args.device)
    if device.type == "cuda" and not torch.cuda.is_available():
        raise SystemExit("--device cuda: no GPU available (or CuPy missing); use --device cpu")
    if args.mnist:
        xtr, ytr, xte, yte = load_mnist(args.mnist)
        epochs = args.epochs or 3
    else:
        xtr, ytr, xte, yte = load_digits(seed=args.seed)
        epochs = args.epochs or 15
    generator = torch.Generator().manual_seed(args.seed)
    train_loader = DataLoader(TensorDataset(torch.from_numpy(xtr), torch.from_numpy(ytr)),
                              batch_size=args.batch_size, shuffle=True, generator=generator)
    test_loader = DataLoader(TensorDataset(torch.from_numpy(xte), torch.from_numpy(yte)),
                             batch_size=256)
    model = SmallCNN(image_size=xtr.shape[-1]).to(device)
    print(f"training {sum(p.numel() for p in model.parameters())} parameters on "
          f"{len(xtr)} images ({'MNIST' if args.mnist else 'digits'}), device {device}")
    history = train(model, train_loader, test_loader, epochs=epochs, lr=args.lr,
                    device=device, progress=not args.no_progress)
    accuracy = history["accuracy"][-1]
    if args.checkpoint:
        os.makedirs(os.path.dirname(os.path.abspath(args.checkpoint)), exist_ok=True)
        torch.save(model.state_dict(), args.checkpoint)
        print(f"checkpoint saved to {args.checkpoint}")
    if args.plot:
        os.makedirs(os.path.dirname(os.path.abspath(args.plot)), exist_ok=True)
        _plot(history, args.plot)
        print(f"plot saved to {args.plot}")
    print(f"final test accuracy: {accuracy:.4f}")
    return accuracy


if __name__ == "__main__":
    sys.exit(main())
