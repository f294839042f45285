"""Matmul FLOPs of one training step of the model workloads (W1, W2, W7, W8, W9).

With these the report shows each model's throughput in GFLOP/s beside the machine's matmul
peak (NumPy's 1024³ matmul timed in the same run), so "close to the limit" is visible.

What is counted: the multiply-adds of every matmul and convolution, two FLOPs each, in the
forward pass and in the backward pass: one product for each weight's gradient and one for
each input's gradient, except the gradient of the step's data (it does not require grad).
Elementwise work, softmax, norms and the optimizer are not counted (they are bandwidth-bound:
W4 measures those), so the figure is a lower bound on the work done.
"""
from __future__ import annotations

__all__ = ["mlp", "cnn", "transformer_layer", "lstm_lm", "gpt_stack"]


def _train(forward_macs: int, weight_macs: int, input_grad_macs: int) -> int:
    """FLOPs of forward + weight gradients + input gradients, from multiply-add counts."""
    return 2 * (forward_macs + weight_macs + input_grad_macs)


def mlp(batch: int, sizes=(784, 512, 256, 10)) -> int:
    """W1: Linear layers; the first layer's input is data."""
    layers = [batch * a * b for a, b in zip(sizes, sizes[1:])]
    return _train(sum(layers), sum(layers), sum(layers[1:]))


def cnn(batch: int) -> int:
    """W2: Conv2d(1,16,3,p=1) on 28², Conv2d(16,32,3,p=1) on 14², Linear(1568,10)."""
    conv1 = batch * 16 * 28 * 28 * (1 * 9)
    conv2 = batch * 32 * 14 * 14 * (16 * 9)
    linear = batch * 1568 * 10
    return _train(conv1 + conv2 + linear, conv1 + conv2 + linear, conv2 + linear)


def _attention_layer_macs(tokens: int, batch: int, seq: int, d: int, ff: int) -> tuple:
    """(projection multiply-adds, attention multiply-adds) of one encoder layer's forward:
    in/out projections and the two feed-forward layers; scores q k^T and weights @ v."""
    projections = tokens * d * 3 * d + tokens * d * d + 2 * tokens * d * ff
    attention = 2 * batch * seq * seq * d
    return projections, attention


def transformer_layer(batch=16, seq=64, d=256, ff=1024) -> int:
    """W7: one TransformerEncoderLayer; its input is data (the in-projection needs no input
    gradient); the two attention products have no weights but two input gradients each."""
    tokens = batch * seq
    proj, attn = _attention_layer_macs(tokens, batch, seq, d, ff)
    in_proj = tokens * d * 3 * d
    return _train(proj + attn, proj, (proj - in_proj) + 2 * attn)


def lstm_lm(seq=35, batch=20, emb=128, hidden=256, layers=2, vocab=1000) -> int:
    """W8: LSTM layers (input and recurrent products of the four gates) and the decoder; every
    input needs its gradient (the first layer's comes from the embedding's weights)."""
    tokens = seq * batch
    macs = 0
    for layer in range(layers):
        width = emb if layer == 0 else hidden
        macs += tokens * width * 4 * hidden + tokens * hidden * 4 * hidden
    macs += tokens * hidden * vocab
    return _train(macs, macs, macs)


def gpt_stack(batch=16, seq=64, d=128, ff=512, layers=4, vocab=1000) -> int:
    """W9: pre-norm encoder layers and the output head; every input needs its gradient (the
    first layer's comes from the embedding)."""
    tokens = batch * seq
    proj, attn = _attention_layer_macs(tokens, batch, seq, d, ff)
    head = tokens * d * vocab
    forward = layers * (proj + attn) + head
    return _train(forward, layers * proj + head, layers * (proj + 2 * attn) + head)
