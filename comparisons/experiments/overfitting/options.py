"""The overfitting experiment's command-line options: light (no torch, no matplotlib), so that
``backprop-lab experiment --help`` does not load what :mod:`.experiment` trains with."""

from __future__ import annotations

import argparse
from argparse import ArgumentTypeError

from comparisons.core.io import positive_int
from comparisons.experiments.argtypes import add_jobs_argument, choices_list

HELP = "polynomial regression: normal (cubic), underfit (linear) and overfit (20 features) fits"
DEFAULT_SEEDS = 3
FITS: dict[str, int] = {"normal": 4, "underfit": 2, "overfit": 20}
BOOK_N_TRAIN = 100
"""The book's number of training examples (every fit's, and the overfit fit's by default)."""


def n_train_count(text: str) -> int:
    """argparse type: an integer from 1 to :data:`BOOK_N_TRAIN` (the overfit fit's examples)."""
    value = positive_int(text)
    if value > BOOK_N_TRAIN:
        raise ArgumentTypeError(f"expected an integer from 1 to {BOOK_N_TRAIN}, got {value}")
    return value


def add_arguments(p: argparse.ArgumentParser) -> None:
    """``--epochs N`` (every fit; default 400, 400, 1500), ``--fits`` (a subset), ``--n-train N``
    (the overfit fit's training examples: the first N of the book's 100), ``--jobs``."""
    p.add_argument("--epochs", type=positive_int,
                   help="epochs of every fit (default: the book's 400, 400, 1500)")
    p.add_argument("--fits", type=choices_list(tuple(FITS)), default=list(FITS),
                   help="comma-separated fits to run (default normal,underfit,overfit)")
    p.add_argument("--n-train", type=n_train_count,
                   default=BOOK_N_TRAIN,
                   help=f"training examples of the overfit fit: the first N of the {BOOK_N_TRAIN} "
                        f"(default {BOOK_N_TRAIN}, the book's; the other fits keep all "
                        f"{BOOK_N_TRAIN}; the test set is the same 100 examples)")
    add_jobs_argument(p)
