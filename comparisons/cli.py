"""The ``backprop-lab`` command line: subcommands, exit codes, one-line errors.

Exit codes: 0 everything agreed, 1 a check failed, 2 a usage problem or bad input (one line
on stderr, never a traceback; an OSError that no option check caught is said as
``PATH: reason``, never as a raw ``[Errno N]`` line), 130 interrupted (Ctrl-C). Each
subcommand lives in its own module, imported only when used so that ``--help`` and light
commands start fast; a module provides ``register(subparsers)``, which adds its parser and
sets ``func(args) -> int``.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from comparisons.errors import UsageError

SUBCOMMANDS: dict[str, str] = {
    "check": "comparisons.check_cli",
    "demo": "comparisons.demo",
    "graph": "comparisons.graph.cli",
    "experiment": "comparisons.experiments.cli",
    "verify": "comparisons.verify.cli",
}


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line (``backprop-lab: error: ...``) and exit 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(f"{message} (see '{self.prog} --help')")


def build_parser() -> argparse.ArgumentParser:
    """The top-level parser with every registered subcommand."""
    parser = _Parser(prog="backprop-lab", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True
    for module in SUBCOMMANDS.values():
        importlib.import_module(module).register(sub)
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
