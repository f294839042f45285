"""The batching rules, keyed by the op's registry qualname (tests/func check every key is a
declared op). The families: element-wise (unary, binary, comparisons, where, clamp,
masked_fill, activations, dropout), ops along a dim (softmax, scans, sort), reductions,
shape and view ops, the matmul family, and nn.functional's core (losses, layer_norm,
embedding, convolution and pooling). An op not listed runs per sample
(batching_dispatch.fallback).
"""
from __future__ import annotations

from .rules_nn import NN_RULES
from .rules_pointwise import (
    ALONG_DIM,
    ELEMENTWISE,
    REDUCTIONS,
    along_dim,
    elementwise,
    reduction,
    sort_like,
)
from .rules_shape import SHAPE_RULES

__all__ = ["RULES", "FAMILIES"]

FAMILIES = {
    "elementwise": ELEMENTWISE,
    "along a dim": ALONG_DIM + ("sort", "argsort"),
    "reductions": REDUCTIONS,
    "shape and views": tuple(SHAPE_RULES),
    "matmul and nn.functional": tuple(NN_RULES),
}

RULES: dict = {}
RULES.update({name: elementwise for name in ELEMENTWISE})
RULES.update({name: along_dim for name in ALONG_DIM})
RULES.update({"sort": sort_like, "argsort": sort_like})
RULES.update({name: reduction for name in REDUCTIONS})
RULES.update(SHAPE_RULES)
RULES.update(NN_RULES)
