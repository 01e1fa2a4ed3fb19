"""``backprop-lab verify FILE``: verify a hand derivation (.py or .ipynb), say what is wrong.

Exit 0 when the forward and every gradient are right, 1 when anything is wrong (including an
exception, ``sys.exit`` or KeyboardInterrupt in the user's code, shown with its traceback; the
report is printed and ``--json`` written all the same), 2 for a usage problem (one line:
FILE and ``--json`` are checked before the run).
"""

from __future__ import annotations

import argparse
import functools
from pathlib import Path
from typing import Any

from comparisons.cli.isolation import add_isolation_options, limits_of, runs_isolated
from comparisons.core.errors import UsageError
from comparisons.core.io import check_input_file, check_writable_file, nonnegative_int, write_json

EPILOG = ("The file defines forward(...) -> (out, cache) and backward(dout, cache) with the "
          "signatures of a built-in op (see --list); the op comes from --against, or OP = "
          "\"linear\" in the file, or is a custom layer when the file defines reference + SHAPES.")


def register(sub: Any) -> None:
    """Add the ``verify`` subcommand."""
    p = sub.add_parser("verify", help="verify a hand-derived forward/backward and diagnose "
                                      "what is wrong", description=__doc__.splitlines()[0],
                       epilog=EPILOG)
    p.add_argument("file", nargs="?", type=Path, metavar="FILE",
                   help="your derivation: a .py file or a notebook (.ipynb) with forward and "
                        "backward")
    p.add_argument("--against", metavar="OP", help="the built-in op to verify against "
                                                   "(default: OP in the file)")
    p.add_argument("--dtype", choices=("float64", "float32"), default="float64",
                   help="precision of the run (default float64; float32 failures are rerun "
                        "in float64)")
    p.add_argument("--seed", type=nonnegative_int, default=0, help="seed of the inputs")
    p.add_argument("--json", type=Path, metavar="PATH", help="also write the report as JSON")
    p.add_argument("--cell", metavar="TAG", help="a notebook: run its code cells up to the "
                   "last one tagged TAG (or with that id) and check what they define")
    p.add_argument("--data-dir", type=Path, metavar="DIR", help="the folder the file runs in "
                   "(the data files it reads; default: a notebook's own folder, else here)")
    p.add_argument("--forward", default="forward", metavar="NAME",
                   help="the name of your forward function (default forward)")
    p.add_argument("--backward", default="backward", metavar="NAME",
                   help="the name of your backward function (default backward)")
    p.add_argument("--list", action="store_true",
                   help="list the built-in ops with their signatures and conventions")
    p.add_argument("--convention", metavar="NAME",
                   help="a course's own file as written: cs231n (its layers.py: every known "
                        "pair found, one section each)")
    p.add_argument("--intermediates", action="store_true",
                   help="backprop-ninja style: forward() returns a dict of named tensors, "
                        "backward(tensors) a dict of 'd' + name gradients, each checked "
                        "against autograd's (the file seeds itself and sets the dtype)")
    add_isolation_options(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Print the report (and write JSON); exit 0 right, 1 wrong, 2 usage."""
    # deferred: the op declarations and the runner import torch, which --help does not need
    from comparisons.verification import (
        conventions,
        intermediates,
        intermediates_isolated,
        isolation,
        listing,
        loader,
    )

    if args.list:
        if args.file is not None:
            raise UsageError("verify: give either FILE or --list, not both")
        print(listing.list_text())
        return 0
    if args.file is None:
        raise UsageError("verify: expected FILE, a .py or .ipynb file (or --list to see the "
                         "built-in ops)")
    check_input_file(args.file, "FILE", (".py", ".ipynb"))
    if args.json is not None:  # before the run, not after it
        check_writable_file(args.json, "--json")
    if args.convention is not None:
        return run_convention(args, functools.partial(
            conventions.verify_convention_isolated, limits=limits_of(args))
            if runs_isolated(args) else conventions.verify_convention_file)
    if args.intermediates:
        intermediates.check_options(against=(args.against, None), dtype=(args.dtype, "float64"),
                                    seed=(args.seed, 0), cell=(args.cell, None),
                                    data_dir=(args.data_dir, None),
                                    forward=(args.forward, "forward"),
                                    backward=(args.backward, "backward"))
        report = (intermediates_isolated.verify_intermediates_isolated(
            args.file, limits=limits_of(args)) if runs_isolated(args)
            else intermediates.verify_intermediates_file(args.file))
    elif runs_isolated(args):
        report = isolation.verify_isolated(args.file, args.against, dtype=args.dtype,
                                           seed=args.seed, limits=limits_of(args),
                                           cell=args.cell, data_dir=args.data_dir,
                                           names=(args.forward, args.backward))
    else:
        report = loader.verify_file(args.file, args.against, dtype=args.dtype, seed=args.seed,
                                    cell=args.cell, data_dir=args.data_dir,
                                    names=(args.forward, args.backward))
    print(report)
    if args.json is not None:
        write_json(args.json, report.to_json())
    return 0 if report.passed else 1


def run_convention(args: argparse.Namespace, verify_convention_file: Any) -> int:
    """``--convention NAME``: every known pair of a course's file; exit 0 right, 1 wrong."""
    if args.against is not None or args.intermediates:
        raise UsageError("--convention: the course names the functions; drop --against and "
                         "--intermediates")
    report = verify_convention_file(args.file, args.convention, dtype=args.dtype,
                                    seed=args.seed, cell=args.cell, data_dir=args.data_dir)
    print(report)
    if args.json is not None:
        write_json(args.json, report.to_json())
    return 0 if report.passed else 1
