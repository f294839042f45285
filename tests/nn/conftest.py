"""tests/nn: the shared helpers (nn_libs.py, layer_harness.py, functional_util.py) sit in this
folder and are imported by name from its subfolders too (tests/nn/modules, tests/nn/utils,
mirroring minitorch_nn/nn/modules and minitorch_nn/nn/utils), as tests/conftest.py does for
op_harness.py.
"""
from __future__ import annotations

import os
import sys

if os.path.dirname(__file__) not in sys.path:
    sys.path.insert(0, os.path.dirname(__file__))
