"""pytest-benchmark setup: `pytest benchmarks --benchmark-enable` runs each workload under
both libraries; pytest-benchmark groups them so the two rows sit side by side."""
from __future__ import annotations

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
