"""``backprop-lab check``: run the built-in suite and print one row per op × tensor × witness."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from comparisons.core.io import check_writable_file, nonnegative_int, write_json


def register(sub: Any) -> None:
    """Add the ``check`` subcommand."""
    p = sub.add_parser("check", help="check every hand-written pair against autograd and "
                                     "finite differences")
    p.add_argument("--dtype", choices=("float64", "float32"), default="float64",
                   help="precision of the hand-written and torch sides (default float64)")
    p.add_argument("--seed", type=nonnegative_int, default=0, help="seed of the inputs")
    p.add_argument("--json", type=Path, help="also write the results as JSON here")
    p.add_argument("--quiet", action="store_true", help="print only the summary line")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Exit 0 when every row agrees, 1 otherwise."""
    # deferred: the suite imports torch, which --help does not need
    from comparisons.check.suite import format_table, run_suite

    if args.json:
        check_writable_file(args.json, "--json")  # before the run, not after it
    result = run_suite(args.dtype, args.seed, progress=not args.quiet and sys.stderr.isatty())
    table = format_table(result)
    print(table.splitlines()[-1] if args.quiet else table)
    if args.json:
        write_json(args.json, result.to_json())
    return 0 if result.passed else 1
