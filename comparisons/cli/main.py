"""The ``backprop-lab`` command line: subcommands, exit codes, one-line errors.

Exit codes: 0 everything agreed, 1 a check failed, 2 a usage problem or bad input (one line
on stderr, never a traceback; an OSError that no option check caught is said as
``PATH: reason``, never as a raw ``[Errno N]`` line), 130 interrupted (Ctrl-C). Each
subcommand lives in its own module, listed in :data:`SUBCOMMANDS`, which provides
``register(subparsers)`` (adds its parser and sets ``func(args) -> int``); these modules are
light (no torch, no matplotlib): each imports its heavy parts when its command runs, so
``--help`` and light commands start fast.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from types import ModuleType

from comparisons.cli import check as check_cli
from comparisons.cli import demo
from comparisons.cli import experiment as experiment_cli
from comparisons.cli import grade as grade_cli
from comparisons.cli import graph as graph_cli
from comparisons.cli import verify as verify_cli
from comparisons.core.errors import UsageError
from comparisons.core.parser import Parser

SUBCOMMANDS: dict[str, ModuleType] = {
    "check": check_cli,
    "demo": demo,
    "graph": graph_cli,
    "experiment": experiment_cli,
    "verify": verify_cli,
    "grade": grade_cli,
}


def build_parser() -> argparse.ArgumentParser:
    """The top-level parser with every registered subcommand."""
    parser = Parser(prog="backprop-lab", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    sub.required = True
    for module in SUBCOMMANDS.values():
        module.register(sub)
    return parser


def os_error_text(exc: OSError) -> str:
    """``"PATH: no such file or directory"`` for an OSError, without the ``[Errno N]``."""
    reason = (exc.strerror or str(exc)).lower()
    return f"{exc.filename}: {reason}" if exc.filename is not None else reason


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script; returns the exit code."""
    try:
        args = build_parser().parse_args(argv)
        return int(args.func(args) or 0)
    except (UsageError, ValueError) as exc:
        print(f"backprop-lab: error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # output piped into `head` and the like
        sys.stderr.close()
        return 0
    except OSError as exc:  # a file problem no option check caught: still one line, no errno
        print(f"backprop-lab: error: {os_error_text(exc)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("backprop-lab: interrupted", file=sys.stderr)
        return 130
