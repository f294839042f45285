"""The Module classes of `minitorch_nn.nn` (mirrors `torch.nn.modules`).

One file per family of layers; each lists its public classes in `__all__`, and every name
listed there is exported here (and from `minitorch_nn.nn`), so adding a layer touches only its
family's file.
"""
from __future__ import annotations

from . import (activation, adaptive, batchnorm, channelshuffle, container, conv, distance,
               dropout, flatten, fold, instancenorm, lazy, linear, linear_cross_entropy, loss,
               normalization, padding, pixelshuffle, pooling, rnn, sparse, transformer, upsampling)
from .module import Module
from .activation import *  # noqa: F401,F403
from .adaptive import *  # noqa: F401,F403
from .batchnorm import *  # noqa: F401,F403
from .channelshuffle import *  # noqa: F401,F403
from .container import *  # noqa: F401,F403
from .conv import *  # noqa: F401,F403
from .distance import *  # noqa: F401,F403
from .dropout import *  # noqa: F401,F403
from .flatten import *  # noqa: F401,F403
from .fold import *  # noqa: F401,F403
from .instancenorm import *  # noqa: F401,F403
from .lazy import *  # noqa: F401,F403
from .linear import *  # noqa: F401,F403
from .linear_cross_entropy import *  # noqa: F401,F403
from .loss import *  # noqa: F401,F403
from .normalization import *  # noqa: F401,F403
from .padding import *  # noqa: F401,F403
from .pixelshuffle import *  # noqa: F401,F403
from .pooling import *  # noqa: F401,F403
from .rnn import *  # noqa: F401,F403
from .sparse import *  # noqa: F401,F403
from .transformer import *  # noqa: F401,F403
from .upsampling import *  # noqa: F401,F403

_FAMILIES = (activation, adaptive, batchnorm, channelshuffle, container, conv, distance,
             dropout, flatten, fold, instancenorm, lazy, linear, linear_cross_entropy, loss,
             normalization, padding, pixelshuffle, pooling, rnn, sparse, transformer, upsampling)
__all__ = ["Module"] + [name for family in _FAMILIES for name in family.__all__]
_LAYERS = __all__   # the name nn/__init__.py used before the families listed themselves
