"""The Module classes of `minitorch_nn.nn` (mirrors `torch.nn.modules`)."""
from __future__ import annotations

from .activation import ReLU, Sigmoid, Tanh
from .container import ModuleDict, ModuleList, ParameterDict, ParameterList, Sequential
from .lazy import LazyModuleMixin
from .linear import Identity, LazyLinear, Linear
from .conv import LazyConv1d, LazyConv2d, LazyConvTranspose1d, LazyConvTranspose2d
from .batchnorm import LazyBatchNorm1d, LazyBatchNorm2d, LazyBatchNorm3d
from .module import Module
from .activation import (ELU, GELU, Hardtanh, LeakyReLU, LogSoftmax, MultiheadAttention, ReLU6,
                         SiLU, Softmax, Softmin, Softplus)
from .batchnorm import BatchNorm1d, BatchNorm2d, BatchNorm3d
from .conv import Conv1d, Conv2d, ConvTranspose1d, ConvTranspose2d
from .dropout import Dropout, Dropout1d, Dropout2d
from .flatten import Flatten, Unflatten
from .linear import Bilinear
from .loss import (BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, HuberLoss, KLDivLoss, L1Loss,
                   MSELoss, NLLLoss, SmoothL1Loss)
from .normalization import GroupNorm, LayerNorm
from .pooling import (AdaptiveAvgPool1d, AdaptiveAvgPool2d, AvgPool1d, AvgPool2d, MaxPool1d,
                      MaxPool2d)
from .rnn import GRU, LSTM, RNN, GRUCell, LSTMCell, RNNBase, RNNCell, RNNCellBase
from .sparse import Embedding
from .transformer import Transformer, TransformerEncoder, TransformerEncoderLayer

__all__ = ["Module", "Sequential", "ModuleList", "ModuleDict", "ParameterList",
           "ParameterDict", "Identity", "Linear", "LazyLinear", "LazyModuleMixin", "ReLU",
           "Sigmoid", "Tanh"]
__all__ += ["LazyConv1d", "LazyConv2d", "LazyConvTranspose1d", "LazyConvTranspose2d",
            "LazyBatchNorm1d", "LazyBatchNorm2d", "LazyBatchNorm3d"]

# Layers and losses (issue 4).
_LAYERS = ["Hardtanh", "ReLU6", "ELU", "GELU", "SiLU", "LeakyReLU", "Softplus", "Softmin",
           "Softmax", "LogSoftmax", "Conv1d", "Conv2d", "ConvTranspose1d", "ConvTranspose2d",
           "Dropout", "Flatten", "Unflatten", "L1Loss", "NLLLoss", "KLDivLoss", "MSELoss",
           "BCELoss", "BCEWithLogitsLoss", "SmoothL1Loss", "HuberLoss", "CrossEntropyLoss",
           "MaxPool1d", "MaxPool2d", "AvgPool1d", "AvgPool2d", "AdaptiveAvgPool1d",
           "AdaptiveAvgPool2d", "Bilinear", "BatchNorm1d", "BatchNorm2d", "BatchNorm3d",
           "LayerNorm", "GroupNorm", "Embedding", "RNNBase", "RNN", "LSTM", "GRU",
           "RNNCellBase", "RNNCell", "LSTMCell", "GRUCell", "MultiheadAttention",
           "Transformer", "TransformerEncoder", "TransformerEncoderLayer", "Dropout1d",
           "Dropout2d"]
__all__ += _LAYERS
