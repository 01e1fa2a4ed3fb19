"""The isolation options of ``backprop-lab verify`` (and of ``grade``): the limits of the child
process that runs a student's file (:class:`comparisons.verification.sandbox.limits.Limits`).

Light: building the parser imports no NumPy or torch. ``--in-process`` runs the file in
verify's own process instead (for debugging your own derivation; no limit holds then).
"""

from __future__ import annotations

import argparse
import math
import sys
from argparse import ArgumentTypeError
from typing import Any

from comparisons.core.io import positive_int
from comparisons.verification.sandbox.limits import Limits

DEFAULTS = Limits()


def positive_seconds(text: str) -> float:
    """argparse type: a finite number of seconds > 0."""
    try:
        value = float(text)
    except ValueError:
        raise ArgumentTypeError(f"expected a number of seconds > 0, got {text!r}") from None
    if not math.isfinite(value) or value <= 0:
        raise ArgumentTypeError(f"expected a number of seconds > 0, got {text}")
    return value


def add_isolation_options(p: Any) -> None:
    """``--in-process`` and the limits of the isolated run, with their defaults."""
    g = p.add_argument_group("isolation (the file runs in a separate, limited process)")
    g.add_argument("--in-process", action="store_true",
                   help="run the file in verify's own process (debugging; no limits)")
    g.add_argument("--timeout", type=positive_seconds, default=DEFAULTS.call_timeout,
                   metavar="S", help=f"wall-time limit of one call into your code (default "
                                     f"{DEFAULTS.call_timeout:g} s)")
    g.add_argument("--import-timeout", type=positive_seconds, default=DEFAULTS.import_timeout,
                   metavar="S", help=f"wall-time limit of importing your file (default "
                                     f"{DEFAULTS.import_timeout:g} s)")
    g.add_argument("--total-timeout", type=positive_seconds, default=DEFAULTS.total_timeout,
                   metavar="S", help=f"wall-time limit of all calls together (default "
                                     f"{DEFAULTS.total_timeout:g} s)")
    g.add_argument("--memory", type=positive_int, default=DEFAULTS.memory_mb, metavar="MB",
                   help=f"address-space limit (default {DEFAULTS.memory_mb} MB)")
    g.add_argument("--cpu", type=positive_int, default=DEFAULTS.cpu_seconds, metavar="S",
                   help=f"CPU-time limit (default {DEFAULTS.cpu_seconds} s)")
    g.add_argument("--file-size", type=positive_int, default=DEFAULTS.file_size_mb,
                   metavar="MB", help=f"largest file your code may write, in its scratch "
                                      f"folder only (default {DEFAULTS.file_size_mb} MB)")
    g.add_argument("--max-output", type=positive_int, default=DEFAULTS.output_kb, metavar="KB",
                   help=f"what your code may print (default {DEFAULTS.output_kb} KB)")


def limits_of(args: argparse.Namespace, no_import: tuple[str, ...] = ()) -> Limits:
    """The :class:`Limits` the options give."""
    return Limits(call_timeout=args.timeout, total_timeout=args.total_timeout,
                  import_timeout=args.import_timeout,
                  memory_mb=args.memory, cpu_seconds=args.cpu, file_size_mb=args.file_size,
                  output_kb=args.max_output, no_import=no_import)


def runs_isolated(args: argparse.Namespace) -> bool:
    """The isolated path: anything but --in-process, and not on Windows."""
    posix = sys.platform != "win32"  # the sandbox waits on pipes with poll(): POSIX only
    return posix and not args.in_process
