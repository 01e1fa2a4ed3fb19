"""``backprop-lab demo``: run every section that makes up the course demo, write under --out.

The sections and their runner are :mod:`comparisons.report.demo`, imported when the demo runs.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any


def register(sub: Any) -> None:
    """Add the ``demo`` subcommand."""
    p = sub.add_parser("demo", help="run the whole demo and write its results under --out")
    p.add_argument("--out", type=Path, default=Path("out"), help="output folder (default out/)")
    p.add_argument("--quiet", action="store_true", help="no progress output")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Run every demo section; exit 0 when every section passed, 1 otherwise."""
    # deferred: the sections import torch and matplotlib, which --help does not need
    from comparisons.report import demo

    return demo.run(args)
