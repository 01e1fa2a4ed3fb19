"""``backprop-lab demo``: run every section that makes up the course demo, write under --out.

Each section is a function ``(out_dir: Path, quiet: bool) -> dict`` returning what it found
(its key numbers, the files it wrote and the command that reproduces it). :func:`sections`
lists them as ``(title, function)``, in the order they run.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from comparisons.report.demo import run


def register(sub: Any) -> None:
    """Add the ``demo`` subcommand."""
    p = sub.add_parser("demo", help="run the whole demo and write its results under --out")
    p.add_argument("--out", type=Path, default=Path("out"), help="output folder (default out/)")
    p.add_argument("--quiet", action="store_true", help="no progress output")
    p.set_defaults(func=run)
