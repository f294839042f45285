"""benchmarks/flop_counts.py against PyTorch's own FLOP counter run on the same workloads.

torch.utils.flop_counter.FlopCounterMode counts matmuls and convolutions in forward and
backward as we do; it does not see the two products inside CPU scaled-dot-product attention
(a fused op it has no formula for) nor the LSTM (a oneDNN op), so for W7/W9 the attention
share is added to its count, and W8 is checked against the products written out by hand.
"""
from __future__ import annotations

import pytest

from benchmarks import flop_counts, workloads

torch = pytest.importorskip("torch")
from torch.utils.flop_counter import FlopCounterMode  # noqa: E402


def _pytorch_count(make) -> int:
    step = make(torch)
    with FlopCounterMode(display=False) as counter:
        step()
    return counter.get_total_flops()


def test_mlp_and_cnn_equal_pytorchs_count():
    assert flop_counts.mlp(128) == _pytorch_count(workloads.mlp_step)
    assert flop_counts.cnn(64) == _pytorch_count(workloads.cnn_step)


@pytest.mark.parametrize("make, ours, layers, d", [
    (workloads.transformer_step, flop_counts.transformer_layer(), 1, 256),
    (workloads.gpt_stack_step, flop_counts.gpt_stack(), 4, 128)])
def test_attention_stacks_equal_pytorchs_count_plus_attention(make, ours, layers, d):
    batch, seq = 16, 64
    attention = layers * 3 * 2 * (2 * batch * seq * seq * d)   # q k^T and w v, fwd + 2 grads
    assert ours == _pytorch_count(make) + attention


def test_lstm_products_written_out():
    # 2 layers x (input + recurrent) products of the 4 gates, then the decoder, over 35x20
    tokens = 35 * 20
    forward = tokens * (128 * 1024 + 256 * 1024) + tokens * (256 * 1024 + 256 * 1024) \
        + tokens * 256 * 1000
    assert flop_counts.lstm_lm() == 3 * 2 * forward
