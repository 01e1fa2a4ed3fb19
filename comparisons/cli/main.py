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
import os
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
    """Entry point of the console script; returns the exit code.

    Run as the command (``argv`` None), a subcommand that sets ``quick_exit`` (``grade``: its
    files are all written and closed when it returns, its processes joined) ends the process
    as soon as its output is flushed: tearing down an interpreter that imported torch and
    matplotlib took ~1.3 s of a 300-file class's ~11 s. Called with ``argv`` (tests, code) it
    returns as any function does."""
    code, quick = _run(argv)
    if argv is None and quick:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    return code


def _run(argv: Sequence[str] | None) -> tuple[int, bool]:
    """The exit code, and whether the subcommand asked for a quick exit."""
    quick = False
    try:
        args = build_parser().parse_args(argv)
        quick = bool(getattr(args, "quick_exit", False))
        return int(args.func(args) or 0), quick
    except (UsageError, ValueError) as exc:
        print(f"backprop-lab: error: {exc}", file=sys.stderr)
        return 2, quick
    except BrokenPipeError:  # output piped into `head` and the like
        sys.stderr.close()
        return 0, False
    except OSError as exc:  # a file problem no option check caught: still one line, no errno
        print(f"backprop-lab: error: {os_error_text(exc)}", file=sys.stderr)
        return 2, quick
    except KeyboardInterrupt:
        print("backprop-lab: interrupted", file=sys.stderr)
        return 130, quick
