"""`warn_user(message, category)`: a warning attributed to the user's line.

PyTorch's warnings point at the line of the script that called the op. Ours are raised
inside the package, a varying number of frames below that line (an op called directly, or
through a Module, the registry's argument-name hook or autocast), so a fixed `stacklevel` is
right for one path only. This finds the first frame outside the package instead.
"""
from __future__ import annotations

import os
import sys
import warnings

__all__ = ["warn_user"]

_PACKAGE = os.path.dirname(os.path.abspath(__file__)) + os.sep


def warn_user(message: str, category=UserWarning) -> None:
    """warnings.warn(message, category) at the nearest caller outside minitorch_nn."""
    frame, level = sys._getframe(1), 2   # level 2: the function that called warn_user
    while frame is not None and frame.f_code.co_filename.startswith(_PACKAGE):
        frame, level = frame.f_back, level + 1
    warnings.warn(message, category, stacklevel=level)
