"""`python -m minitorch_nn.ops NAME ...`: where each op and the methods it binds are written.

Without a name, every declared op. A name may be plain (`grid_sample`, `relu`: every
namespace that has it), qualified (`F.grid_sample`, `nn.functional.cross_entropy`,
`torch.linalg.norm`) or a Tensor method (`add_`); see ops/op_names.py. An unknown name
prints "no op named ...; did you mean ..." and the exit status is 1.
`python -m minitorch_nn.ops --table` prints docs/ops.md (ops/catalog.py).
"""
import sys

import minitorch_nn  # noqa: F401  (imports every op family, which fills the registry)
from minitorch_nn.ops.catalog import table
from minitorch_nn.ops.op_names import find_ops, no_such_op
from minitorch_nn.ops.registry import REGISTRY, describe


def main(argv: list[str]) -> int:
    """Print the table or the description of each named op; 1 if a name is unknown."""
    if argv == ["--table"]:
        sys.stdout.write(table())
        return 0
    status = 0
    for name in argv or sorted(REGISTRY):
        decls = find_ops(name)
        if not decls:
            print(no_such_op(name), file=sys.stderr)
            status = 1
        for decl in decls:
            print(describe(decl.qualname))
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
