"""Helpers around Modules (`torch.nn.utils`): hooks, gradient clipping, parameter vectors,
weight/spectral norm, parametrizations, packed sequences (`rnn`) and pruning (`prune`)."""
from __future__ import annotations

from . import hooks
from .clip_grad import (clip_grad_norm, clip_grad_norm_, clip_grad_value_,
                        clip_grads_with_norm_, get_total_norm)
from .convert_parameters import parameters_to_vector, vector_to_parameters
from . import stateless
from . import rnn
from .weight_norm import remove_weight_norm, weight_norm
from .spectral_norm import remove_spectral_norm, spectral_norm

__all__ = ["clip_grad_norm", "clip_grad_norm_", "clip_grad_value_", "clip_grads_with_norm_",
           "get_total_norm", "parameters_to_vector", "vector_to_parameters", "hooks",
           "stateless", "rnn", "prune", "parametrize", "parametrizations", "weight_norm",
           "remove_weight_norm", "spectral_norm", "remove_spectral_norm"]

# parametrize / parametrizations / prune build on Module, whose own file imports this package
# (for hooks): they are loaded on first access here, and eagerly by minitorch_nn.nn once the
# Module classes exist.
_LAZY_SUBMODULES = ("parametrize", "parametrizations", "prune")


def __getattr__(name: str):
    if name in _LAZY_SUBMODULES:
        import importlib
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
