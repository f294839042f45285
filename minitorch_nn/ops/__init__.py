"""Differentiable ops, one module per family; each op is declared once (`ops/registry.py`).

Importing this package imports every family, which fills `registry.REGISTRY`; then the
declared Tensor methods are bound (PyTorch likewise binds its functions onto the Tensor class
at import) and `minitorch_nn/__init__.py` exports the declared public names.
"""
from __future__ import annotations

import importlib

from ..tensor import Tensor
from . import registry

__all__ = ["FAMILIES", "MODULES", "registry"]

FAMILIES = [
    "minitorch_nn.ops.elementwise",
    "minitorch_nn.ops.reduction",
    "minitorch_nn.ops.extrema",
    "minitorch_nn.ops.statistics",
    "minitorch_nn.ops.norms",
    "minitorch_nn.ops.scan",
    "minitorch_nn.ops.conversion",
    "minitorch_nn.creation",
    "minitorch_nn.random",
    "minitorch_nn.random_inplace",
    "minitorch_nn.dlpack",
    "minitorch_nn.ops.unary",
    "minitorch_nn.ops.arith",
    "minitorch_nn.ops.comparison",
    "minitorch_nn.ops.selection",
    "minitorch_nn.ops.views",
    "minitorch_nn.ops.shape",
    "minitorch_nn.ops.joining",
    "minitorch_nn.ops.indexing",
    "minitorch_nn.ops.scatter_gather",
    "minitorch_nn.ops.masked",
    "minitorch_nn.ops.linalg",
    "minitorch_nn.ops.products",
    "minitorch_nn.ops.einsum",
    "minitorch_nn.ops.linalg_extra",
    # issue 11 (Tensor API breadth)
    "minitorch_nn.ops.sorting",
    "minitorch_nn.ops.unique",
    "minitorch_nn.ops.binning",
    "minitorch_nn.ops.trigonometric",
    "minitorch_nn.ops.pointwise_math",
    "minitorch_nn.ops.ternary_pointwise",
    "minitorch_nn.ops.special_functions",
    "minitorch_nn.ops.quantile",
    "minitorch_nn.ops.covariance",
    "minitorch_nn.ops.diagonal",
    "minitorch_nn.ops.grids",
    "minitorch_nn.ops.index_update",
    "minitorch_nn.ops.decompositions",
    "minitorch_nn.ops.linalg_functions",
    "minitorch_nn.ops.linalg_products",
    "minitorch_nn.ops.matrix_norms",
    "minitorch_nn.ops.complex",
    "minitorch_nn.ops.fft",
    # nn ops: declared in namespace "nn.functional", and in "torch" where PyTorch has the
    # name at top level too (torch.conv2d, torch.softmax)
    "minitorch_nn.ops.activation",
    "minitorch_nn.ops.convolution",
    "minitorch_nn.ops.pooling",
    "minitorch_nn.ops.normalization",
    "minitorch_nn.ops.embedding",
    "minitorch_nn.ops.linear",
    "minitorch_nn.ops.padding",
    "minitorch_nn.ops.distance",
    "minitorch_nn.ops.loss",
    "minitorch_nn.ops.cross_entropy",
    "minitorch_nn.ops.loss_aten",
    "minitorch_nn.ops.attention",
    "minitorch_nn.ops.feature_dropout",
    "minitorch_nn.ops.multihead_attention",
    # issue 12 (nn breadth)
    "minitorch_nn.ops.interpolation",
    "minitorch_nn.ops.grid_sample",
    "minitorch_nn.ops.fold",
    "minitorch_nn.ops.pixel_shuffle",
    "minitorch_nn.ops.convolution3d",
    "minitorch_nn.ops.pooling3d",
    "minitorch_nn.ops.rectifiers",
    "minitorch_nn.ops.squashing",
    "minitorch_nn.ops.instance_norm",
    "minitorch_nn.ops.local_response_norm",
    "minitorch_nn.ops.margin_losses",
    "minitorch_nn.ops.ctc_loss",
    "minitorch_nn.ops.likelihood_losses",
    "minitorch_nn.ops.embedding_bag",
    # session 5 (missing PyTorch names)
    "minitorch_nn.ops.strided", "minitorch_nn.ops.inplace_views", "minitorch_nn.ops.sectioning",
    "minitorch_nn.ops.function_forms", "minitorch_nn.ops.ieee_pointwise",
    "minitorch_nn.ops.integer_math", "minitorch_nn.ops.membership",
    "minitorch_nn.ops.differences", "minitorch_nn.ops.tensor_products", "minitorch_nn.ops.cdist",
    "minitorch_nn.ops.windows", "minitorch_nn.ops.renorm", "minitorch_nn.ops.unravel",
    "minitorch_nn.ops.diagonal_fill", "minitorch_nn.ops.view_scatter",
    "minitorch_nn.ops.histogramdd",
]

MODULES = [importlib.import_module(name) for name in FAMILIES]


registry.bind_methods(Tensor)
