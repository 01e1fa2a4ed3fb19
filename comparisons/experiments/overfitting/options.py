"""The overfitting experiment's command-line options: light (no torch, no matplotlib), so that
``backprop-lab experiment --help`` does not load what :mod:`.experiment` trains with."""

from __future__ import annotations

import argparse

from comparisons.core.io import positive_int
from comparisons.experiments.argtypes import add_jobs_argument, choices_list

HELP = "polynomial regression: normal (cubic), underfit (linear) and overfit (20 features) fits"
DEFAULT_SEEDS = 3
FITS: dict[str, int] = {"normal": 4, "underfit": 2, "overfit": 20}


def add_arguments(p: argparse.ArgumentParser) -> None:
    """``--epochs N`` (every fit; default 400, 400, 1500), ``--fits`` (a subset), ``--jobs``."""
    p.add_argument("--epochs", type=positive_int,
                   help="epochs of every fit (default: the book's 400, 400, 1500)")
    p.add_argument("--fits", type=choices_list(tuple(FITS)), default=list(FITS),
                   help="comma-separated fits to run (default normal,underfit,overfit)")
    add_jobs_argument(p)
