"""`python -m minitorch_nn COMMAND`: the package's command-line tools.

    python -m minitorch_nn check      is this install sound? (minitorch_nn/self_check.py)
    python -m minitorch_nn kernels    which kernel serves each op, compiled/cached, compile
                                      times (minitorch_nn/kernel_table.py)

A tool adds itself to COMMANDS: (help line, module with `add_arguments(parser)` and
`command(args) -> exit code`). `python -m minitorch_nn.ops NAME` (where an op is written)
and `python -m minitorch_nn.examples.train` are separate entry points.
"""
from __future__ import annotations

import argparse
import importlib
import sys

COMMANDS = {
    "check": ("verify this install: versions, kernel cache, ops, gradients, a training "
              "step, BLAS, GPU", "minitorch_nn.self_check"),
    "kernels": ("which kernel serves each op on each device and dtype: Numba/CUDA/NumPy/"
                "CuPy, compiled and cached signatures, compile times, cache locations",
                "minitorch_nn.kernel_table"),
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m minitorch_nn",
                                     description="minitorch_nn's command-line tools")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (help_line, module) in COMMANDS.items():
        p = sub.add_parser(name, help=help_line, description=help_line)
        p.set_defaults(_module=module)
        importlib.import_module(module).add_arguments(p)
    return parser


def main(argv=None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    return importlib.import_module(args._module).command(args)


if __name__ == "__main__":
    sys.exit(main())
