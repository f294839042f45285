"""The main job's CNN on the digits, trained data-parallel on several processes.

    python -m minitorch_nn.distributed.run --nproc-per-node 2 examples/ddp_digits.py
    mpiexec -n 2 python examples/ddp_digits.py --epochs 10

Every process holds the whole model (SmallCNN from minitorch_nn.examples.train) and trains
on its own share of each epoch (DistributedSampler); DistributedDataParallel averages the
gradients, so the copies stay identical and one step sees `--batch-size` samples in all
(split over the processes). The test set is split the same way and the correct counts summed.
Rank 0 prints each epoch's loss, test accuracy and samples/s (all processes together).
"""
from __future__ import annotations

import argparse
import time

import minitorch_nn as torch
import minitorch_nn.distributed as dist
from minitorch_nn import nn
from minitorch_nn.examples.datasets import load_digits
from minitorch_nn.examples.train import SmallCNN
from minitorch_nn.nn.parallel import DistributedDataParallel as DDP
from minitorch_nn.utils.data import DataLoader, DistributedSampler, TensorDataset


def parse(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--epochs", type=int, default=3)
    p.add_argument("--batch-size", type=int, default=64, help="global batch (all ranks)")
    p.add_argument("--lr", type=float, default=1e-2, help="Adam's learning rate")
    p.add_argument("--seed", type=int, default=0)
    return p.parse_args(argv)


def loaders(args, rank: int, world: int):
    xtr, ytr, xte, yte = load_digits(seed=args.seed)
    train_set = TensorDataset(torch.from_numpy(xtr), torch.from_numpy(ytr))
    test_set = TensorDataset(torch.from_numpy(xte), torch.from_numpy(yte))
    sampler = DistributedSampler(train_set, num_replicas=world, rank=rank, seed=args.seed)
    train = DataLoader(train_set, batch_size=args.batch_size // world, sampler=sampler)
    test = DataLoader(test_set, batch_size=256, shuffle=False,
                      sampler=DistributedSampler(test_set, world, rank, shuffle=False))
    return train, test, sampler, xtr.shape[-1]


def total(*values) -> list[float]:
    """Each value summed over all ranks."""
    t = torch.tensor([float(v) for v in values], dtype=torch.float64)
    dist.all_reduce(t)
    return t.tolist()


def evaluate(model, loader) -> float:
    """Test accuracy over every rank's share (padding repeats a few samples, as PyTorch)."""
    model.eval()
    correct = seen = 0
    with torch.no_grad():
        for x, y in loader:
            correct += (model(x).argmax(dim=1) == y).sum().item()
            seen += y.shape[0]
    model.train()
    correct, seen = total(correct, seen)
    return correct / seen


def main(argv=None) -> float:
    args = parse(argv)
    dist.init_process_group("gloo")
    rank, world = dist.get_rank(), dist.get_world_size()
    torch.manual_seed(args.seed)
    train_loader, test_loader, sampler, side = loaders(args, rank, world)
    model = DDP(SmallCNN(image_size=side))      # rank 0's weights, broadcast to all
    optimizer = torch.optim.Adam(model.parameters(), lr=args.lr)
    loss_fn = nn.CrossEntropyLoss()
    if rank == 0:
        print(f"{world} processes, {sum(p.numel() for p in model.parameters())} parameters, "
              f"global batch {args.batch_size}")
    accuracy = 0.0
    for epoch in range(1, args.epochs + 1):
        sampler.set_epoch(epoch)                 # a new shuffle, the same on every rank
        running = count = 0.0
        start = time.perf_counter()
        for x, y in train_loader:
            optimizer.zero_grad()
            loss = loss_fn(model(x), y)
            loss.backward()                      # gradients averaged across the ranks
            optimizer.step()
            running += loss.item() * y.shape[0]
            count += y.shape[0]
        seconds = time.perf_counter() - start
        running, count = total(running, count)
        accuracy = evaluate(model, test_loader)
        if rank == 0:
            print(f"epoch {epoch}: loss {running / count:.4f}  test accuracy {accuracy:.4f}  "
                  f"{count / seconds:.0f} samples/s", flush=True)
    dist.destroy_process_group()
    return accuracy


if __name__ == "__main__":
    main()
