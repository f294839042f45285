"""Neural-network building blocks: Module, Parameter, containers, layers and init.

    import minitorch_nn as torch
    from minitorch_nn import nn

    model = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1))
    for name, p in model.named_parameters():
        print(name, p.shape)

See docs/modules.md for the Module system: registration, hooks, state_dict and containers.
"""
from __future__ import annotations

from . import functional, init, modules, parameter, utils
from .modules import (Identity, Linear, Module, ModuleDict, ModuleList, ParameterDict,
                      ParameterList, ReLU, Sequential, Sigmoid, Tanh)
from .modules import LazyLinear
from .modules import LazyConv1d, LazyConv2d, LazyConvTranspose1d, LazyConvTranspose2d
from .modules import LazyBatchNorm1d, LazyBatchNorm2d, LazyBatchNorm3d
from .modules import (ELU, GELU, AdaptiveAvgPool1d, AdaptiveAvgPool2d, AvgPool1d, AvgPool2d,
                      BatchNorm1d, BatchNorm2d, BatchNorm3d, BCELoss, BCEWithLogitsLoss,
                      Bilinear, Conv1d, Conv2d, ConvTranspose1d, ConvTranspose2d,
                      CrossEntropyLoss, Dropout, Embedding, Flatten, GroupNorm, Hardtanh,
                      HuberLoss, KLDivLoss, L1Loss, LayerNorm, LeakyReLU, LogSoftmax, MaxPool1d,
                      MaxPool2d, MSELoss, NLLLoss, ReLU6, SiLU, SmoothL1Loss, Softmax, Softmin,
                      Softplus, Unflatten)
from .modules import GRU, LSTM, RNN, GRUCell, LSTMCell, RNNBase, RNNCell, RNNCellBase
from .modules import (MultiheadAttention, Transformer, TransformerEncoder,
                      TransformerEncoderLayer)
from .modules import Dropout1d, Dropout2d
from .utils import parametrizations, parametrize  # noqa: E402  (need the Module classes)
from .parameter import Buffer, Parameter, UninitializedBuffer, UninitializedParameter

__all__ = ["functional", "init", "modules", "parameter", "utils", "Module", "Sequential",
           "ModuleList", "ModuleDict", "ParameterList", "ParameterDict", "Identity", "Linear",
           "ReLU", "Sigmoid", "Tanh", "Parameter", "Buffer", "UninitializedParameter",
           "UninitializedBuffer", "LazyLinear"]
__all__ += ["LazyConv1d", "LazyConv2d", "LazyConvTranspose1d", "LazyConvTranspose2d",
            "LazyBatchNorm1d", "LazyBatchNorm2d", "LazyBatchNorm3d"]

__all__ += modules._LAYERS   # layers and losses (issue 4), imported above
