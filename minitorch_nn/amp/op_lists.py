"""Which ops autocast casts, and how: PyTorch's lists, per device, for the ops we have.

Source: aten/src/ATen/autocast_mode.cpp and autocast_mode.h (AutocastCPU and the CUDA
AT_FORALL_* lists), checked op by op against PyTorch 2.13 on the CPU (tests/amp/). The two
devices differ: the CUDA lists run pointwise math (exp, log, pow, ...), softmax, sum and
layer/group norm in float32 and promote tensordot/dot/bilinear, while the CPU list only has
matmul-like ops in low precision, losses, prod and reflection/replication padding in float32,
and cat/stack promoted.

Ops PyTorch implements as compositions (not listed themselves) are given the policy their
composition ends up with, e.g. cross_entropy is log_softmax + nll_loss on CUDA (float32) and
einsum/tensordot call bmm/mm on the CPU (low precision when something is contracted).

Policies:
    LOWER           cast floating inputs to the region's dtype (float16 / bfloat16)
    FP32            cast floating inputs to float32
    FP32_OPT_DTYPE  pass dtype=float32 when the caller gave none and the first input is
                    eligible (softmax, sum, cumsum, ...: they compute in float32)
    PROMOTE         cast floating inputs to the widest of them (float32 if any is)
    BANNED          raise (binary_cross_entropy on CUDA: use the with-logits form)
"""
from __future__ import annotations

__all__ = ["LOWER", "FP32", "FP32_OPT_DTYPE", "PROMOTE", "BANNED", "CPU", "CUDA",
           "policy_for"]

LOWER = "lower_precision_fp"
FP32 = "fp32"
FP32_OPT_DTYPE = "fp32_set_opt_dtype"
PROMOTE = "promote"
BANNED = "banned"

# Ops in the same place on both lists.
_LOWER_BOTH = ("linear", "matmul", "mm", "bmm", "addmm", "baddbmm", "conv1d", "conv2d",
               "conv_transpose1d", "conv_transpose2d", "scaled_dot_product_attention")
_FP32_LOSSES = ("mse_loss", "l1_loss", "smooth_l1_loss", "huber_loss", "nll_loss",
                "cross_entropy", "kl_div", "binary_cross_entropy_with_logits")

CPU = dict.fromkeys(_LOWER_BOTH, LOWER)
CPU.update(dict.fromkeys(_FP32_LOSSES + ("binary_cross_entropy", "prod", "orgqr", "geqrf"),
                         FP32))
CPU.update(dict.fromkeys(("cat", "stack"), PROMOTE))
CPU.update({"einsum": "einsum_cpu", "tensordot": LOWER, "pad": "pad_cpu"})

CUDA = dict.fromkeys(_LOWER_BOTH + ("mv", "einsum"), LOWER)
CUDA.update(dict.fromkeys(
    _FP32_LOSSES + ("exp", "expm1", "log", "log10", "log2", "log1p", "reciprocal", "rsqrt",
                    "tan", "pow", "softplus", "layer_norm", "group_norm", "cosine_similarity",
                    "pairwise_distance", "normalize", "logsumexp", "norm"),
    FP32))
CUDA.update(dict.fromkeys(("softmax", "log_softmax", "sum", "prod", "cumsum", "cumprod"),
                          FP32_OPT_DTYPE))
CUDA.update(dict.fromkeys(("bilinear", "dot", "vdot", "tensordot", "scatter_add", "index_put"),
                          PROMOTE))
CUDA["binary_cross_entropy"] = BANNED

# Recurrent layers: on the CPU PyTorch's LSTM runs mkldnn_rnn_layer (low precision list) and
# GRU/RNN are compositions; on CUDA cuDNN's RNNs cast input, states and weights
# (_cudnn_rnn_cast_reflatten) and the *_cell ops are on the list. Only the input and the
# states are cast here: the layers' own linear ops cast the weights.
CPU["lstm"] = LOWER
CUDA.update(dict.fromkeys(("lstm", "gru", "rnn_tanh", "rnn_relu", "lstm_cell", "gru_cell",
                           "rnn_tanh_cell", "rnn_relu_cell"), LOWER))

_TABLES = {"cpu": CPU, "cuda": CUDA}


def _einsum_cpu(args) -> str | None:
    """On the CPU PyTorch's einsum contracts through bmm (low precision) when some label is
    summed away by two or more operands; pure elementwise/outer products stay in mul."""
    equation, operands = args[0], args[1:]
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = operands[0]
    if not isinstance(equation, str) or len(operands) < 2:
        return None
    lhs, _, rhs = equation.replace(" ", "").partition("->")
    inputs = set(c for c in lhs if c.isalpha())
    if "->" not in equation:      # implicit output: the labels seen once
        rhs = "".join(c for c in inputs if lhs.count(c) == 1)
    return LOWER if inputs - set(rhs) else None


def _pad_cpu(args, kwargs) -> str | None:
    """reflection_pad / replication_pad are on the CPU fp32 list; constant and circular
    padding are not."""
    mode = kwargs.get("mode", args[2] if len(args) > 2 else "constant")
    return FP32 if mode in ("reflect", "replicate") else None


def policy_for(device_type: str, op: str, args: tuple, kwargs: dict) -> str | None:
    """The policy of `op` on `device_type` for these arguments (None: run as called)."""
    policy = _TABLES.get(device_type, {}).get(op)
    if policy == "einsum_cpu":
        return _einsum_cpu(args)
    if policy == "pad_cpu":
        return _pad_cpu(args, kwargs)
    return policy
