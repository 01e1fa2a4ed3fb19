"""The dropout experiment's command-line options: light (no torch, no matplotlib), so that
``backprop-lab experiment --help`` does not load what :mod:`.experiment` trains with."""

from __future__ import annotations

import argparse

from comparisons.core.io import positive_int
from comparisons.experiments.argtypes import (
    add_jobs_argument,
    list_of,
    positive_float,
    probability,
)

HELP = "section 4: an MLP with and without dropout (0.2, 0.5): accuracy curves, generalisation gap"
DEFAULT_SEEDS = 10
"""Ten seeds: the test-accuracy gain from dropout lies within seed noise for most epochs."""


def add_arguments(p: argparse.ArgumentParser) -> None:
    """Data (``--data-dir``), network (``--hidden``, ``--p``) and training options."""
    p.add_argument("--data-dir", help="folder with Fashion-MNIST IDX files (default: digits)")
    p.add_argument("--p", type=list_of(probability), default=[0.2, 0.5],
                   help="drop probabilities of the two dropout layers (default 0.2,0.5)")
    p.add_argument("--hidden", type=list_of(positive_int), default=[256, 256],
                   help="widths of the two hidden layers (default 256,256)")
    p.add_argument("--epochs", type=positive_int,
                   help="epochs (default 40 on digits, 10 on Fashion-MNIST)")
    p.add_argument("--lr", type=positive_float,
                   help="SGD learning rate (default 0.2 on digits, 0.5 on Fashion-MNIST)")
    p.add_argument("--batch-size", type=positive_int,
                   help="minibatch size (default 32 on digits, 256 on Fashion-MNIST)")
    p.add_argument("--train-size", type=positive_int,
                   help="training rows kept (default 600 on digits, all on Fashion-MNIST)")
    p.add_argument("--eval-every", type=positive_int, default=1,
                   help="evaluate accuracy and loss every N epochs (default 1)")
    add_jobs_argument(p)
