"""The time steps of one recurrent layer and direction, packed or not (ops/recurrent.py).

A PackedSequence holds its sequences sorted by length, longest first, time step by time
step: `batch_sizes[t]` sequences run at step t (a non-increasing list), and step t's rows are
`offsets[t]:offsets[t + 1]` of the packed data. An ordinary (T, B, ...) batch is the case where
every step runs all B sequences: its (T * B, ...) reshape is exactly that packed layout, so the
fused layers handle both with one loop.

At each step the running sequences are the first `batch_sizes[t]` columns of the state
(states are kept gate-major, (units, batch): see ops/recurrent.py). Walking forward in time the
batch shrinks, and a sequence leaves the loop with its final state at its own last step;
walking backward (the reverse direction of a bidirectional layer) it grows, and a sequence
joins from the initial state at its last step. `enter` and `leave` say this once, for both
directions, and serve the backward pass too, where gradients flow the other way: the final
states' gradients enter where the states left, and the initial states' gradients leave where
the states entered.
"""
from __future__ import annotations

from itertools import accumulate

__all__ = ["Steps", "enter", "leave", "enter_rows"]


class Steps:
    """batch_sizes, row offsets and visiting order of one layer and direction."""

    def __init__(self, sizes, reverse: bool):
        self.sizes = tuple(int(n) for n in sizes)
        self.offsets = tuple(accumulate(self.sizes, initial=0))
        self.reverse = reverse
        self.batch = self.sizes[0] if self.sizes else 0

    @classmethod
    def of(cls, x, batch_sizes, reverse: bool) -> Steps:
        """The steps of x: (T, B, ...) data when batch_sizes is None, else packed data."""
        if batch_sizes is None:
            return cls((x.shape[1],) * x.shape[0], reverse)
        return cls(batch_sizes, reverse)

    @property
    def count(self) -> int:
        return len(self.sizes)

    def order(self):
        """The steps in the order the direction visits them (the forward pass)."""
        return range(self.count - 1, -1, -1) if self.reverse else range(self.count)

    def backward_order(self):
        return range(self.count) if self.reverse else range(self.count - 1, -1, -1)

    def rows(self, t: int) -> slice:
        """Step t's rows in packed data."""
        return slice(self.offsets[t], self.offsets[t + 1])

    def before(self, t: int):
        """The step visited just before t in the forward pass, or None at the start."""
        s = t + 1 if self.reverse else t - 1
        return s if 0 <= s < self.count else None

    def after(self, t: int):
        """The step visited just after t in the forward pass, or None at the end."""
        s = t - 1 if self.reverse else t + 1
        return s if 0 <= s < self.count else None

    def size(self, t) -> int:
        """batch_sizes[t], 0 for None (before the first or after the last step)."""
        return 0 if t is None else self.sizes[t]


def enter(xp, carry, initial, batch: int):
    """The (units, batch) state a step starts from: the first columns of `carry` (the state
    the previous step left, or None) and, for sequences starting at this step, the columns of
    `initial` after them. Backward: the gradient reaching a step's output state, from the
    next step's gradient and, for sequences that ended here, the final state's gradient."""
    have = 0 if carry is None else carry.shape[1]
    if carry is not None and have >= batch:
        return carry[:, :batch]
    if have == 0:
        return initial[:, :batch]
    return xp.concatenate([carry, initial[:, have:batch]], axis=1)


def leave(final, state, keep: int) -> None:
    """Columns keep: of `state` (sequences that do not go on to the next step) into `final`.
    Backward: the gradient of the initial state for sequences that started at this step."""
    width = state.shape[1]
    if keep < width:
        final[:, keep:width] = state[:, keep:]


def enter_rows(cat, carry, initial, batch: int):
    """`enter` for states laid out as (batch, units) Tensors (the step-by-step path)."""
    have = 0 if carry is None else carry.shape[0]
    if carry is not None and have >= batch:
        return carry if have == batch else carry[:batch]
    if have == 0:
        return initial[:batch]
    return cat([carry, initial[have:batch]], 0)
