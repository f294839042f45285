"""`python -m minitorch_nn.ops NAME ...`: where each op and the methods it binds are written.

Without a name, every declared op. Names are qualified by namespace where it is not "torch":
`python -m minitorch_nn.ops mul nn.functional.cross_entropy`.
`python -m minitorch_nn.ops --table` prints docs/ops.md (ops/catalog.py).
"""
import sys

import minitorch_nn  # noqa: F401  (imports every op family, which fills the registry)
from minitorch_nn.ops.catalog import table
from minitorch_nn.ops.registry import REGISTRY, describe

if sys.argv[1:] == ["--table"]:
    sys.stdout.write(table())
else:
    for name in sys.argv[1:] or sorted(REGISTRY):
        print(describe(name))
