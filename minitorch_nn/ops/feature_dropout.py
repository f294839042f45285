"""Channel-wise dropout: F.dropout1d / F.dropout2d / F.dropout3d (PyTorch's feature_dropout).

Each (sample, channel) is kept with probability 1 - p and scaled by 1 / (1 - p), or zeroed as
a whole: the mask has shape (N, C, 1, ..., 1) and broadcasts over the spatial dims. It is a
product with a constant mask (MulBackward0 in PyTorch too), so autograd needs no new node.
F.dropout1d, F.dropout2d and F.dropout3d are declared in "nn.functional" (`@op`,
ops/registry.py); `feature_dropout` is their shared body (torch.feature_dropout in PyTorch,
not exported here). Alpha (SELU) dropout lives in alpha_dropout.py (imported here, which registers it; it
holds the checks both share).
"""
from __future__ import annotations

from .._user_warning import warn_user
from ..autograd import grad_mode
from ..tensor import Tensor
from .alpha_dropout import check_feature_dims, check_p as _check_p
from .registry import op


def _feature_mask(input: Tensor, p: float) -> Tensor:
    """Bernoulli(1 - p) / (1 - p) of shape (N, C, 1, ...), drawn from the default generator."""
    shape = tuple(input.shape[:2]) + (1,) * (input.dim() - 2)
    with grad_mode.no_grad():
        mask = input.new_empty(shape)
        if p == 1.0:
            return mask.zero_()
        return mask.bernoulli_(1.0 - p).div_(1.0 - p)


def feature_dropout(input: Tensor, p: float, train: bool, inplace: bool = False) -> Tensor:
    """Zero whole channels (dim 1) with probability p while training; identity otherwise."""
    if not train or p == 0.0:
        return input
    check_feature_dims(input, p)
    mask = _feature_mask(input, p)
    return input.mul_(mask) if inplace else input * mask


@op("dropout1d", namespace="nn.functional")
def dropout1d(input: Tensor, p: float = 0.5, training: bool = True,
              inplace: bool = False) -> Tensor:
    """Channel-wise dropout of (N, C, L) or (C, L) input."""
    _check_p(p)
    inp_dim = input.dim()
    if inp_dim not in (2, 3):
        raise RuntimeError(
            f"dropout1d: Expected 2D or 3D input, but received a {inp_dim}D input. Note that "
            "dropout1d exists to provide channel-wise dropout on inputs with 1 spatial "
            "dimension, a channel dimension, and an optional batch dimension (i.e. 2D or 3D "
            "inputs).")
    if inp_dim == 3:
        return feature_dropout(input, p, training, inplace)
    if inplace:   # unbatched: the whole input is one sample
        feature_dropout(input.unsqueeze(0), p, training, True)
        return input
    return feature_dropout(input.unsqueeze(0), p, training).squeeze(0)


@op("dropout2d", namespace="nn.functional")
def dropout2d(input: Tensor, p: float = 0.5, training: bool = True,
              inplace: bool = False) -> Tensor:
    """Channel-wise dropout of (N, C, H, W) input. A 3-D input is taken as (N, C, L), with
    PyTorch's warning, and other ranks are accepted with a deprecation warning."""
    _check_p(p)
    inp_dim = input.dim()
    if inp_dim not in (3, 4):
        warn_user(
            f"dropout2d: Received a {inp_dim}-D input to dropout2d, which is deprecated and "
            "will result in an error in a future release. To retain the behavior and silence "
            "this warning, please use dropout instead. Note that dropout2d exists to provide "
            "channel-wise dropout on inputs with 2 spatial dimensions, a channel dimension, "
            "and an optional batch dimension (i.e. 3D or 4D inputs).")
    if inp_dim == 3:
        warn_user(
            "dropout2d: Received a 3D input to dropout2d and assuming that channel-wise 1D "
            "dropout behavior is desired - input is interpreted as shape (N, C, L), where C "
            "is the channel dim. This behavior will change in a future release to interpret "
            "the input as one without a batch dimension, i.e. shape (C, H, W). To maintain "
            "the 1D channel-wise dropout behavior, please switch to using dropout1d instead.")
    return feature_dropout(input, p, training, inplace)


@op("dropout3d", namespace="nn.functional")
def dropout3d(input: Tensor, p: float = 0.5, training: bool = True,
              inplace: bool = False) -> Tensor:
    """Channel-wise dropout of (N, C, D, H, W) or unbatched (C, D, H, W) input; other ranks
    are taken as unbatched with PyTorch's deprecation warning."""
    _check_p(p)
    inp_dim = input.dim()
    if inp_dim not in (4, 5):
        warn_user(
            f"dropout3d: Received a {inp_dim}-D input to dropout3d, which is deprecated and "
            "will result in an error in a future release. To retain the behavior and silence "
            "this warning, please use dropout instead. Note that dropout3d exists to provide "
            "channel-wise dropout on inputs with 3 spatial dimensions, a channel dimension, "
            "and an optional batch dimension (i.e. 4D or 5D inputs).")
    if inp_dim == 5:
        return feature_dropout(input, p, training, inplace)
    if inplace:   # unbatched: the whole input is one sample
        feature_dropout(input.unsqueeze(0), p, training, True)
        return input
    return feature_dropout(input.unsqueeze(0), p, training).squeeze(0)
