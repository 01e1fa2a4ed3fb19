"""The weight-decay experiment's command-line options and the settings they default to: light
(no torch, no matplotlib), so that ``backprop-lab experiment --help`` does not load what
:mod:`.experiment` and :mod:`.model` train with."""

from __future__ import annotations

import argparse

from comparisons.core.io import positive_int
from comparisons.experiments.argtypes import (
    add_jobs_argument,
    choices_list,
    list_of,
    nonnegative_float,
)

HELP = "weight decay on high-dimensional linear regression: λ = 0 vs 3, λ sweep, two conventions"
DEFAULT_SEEDS = 3
CONVENTIONS = ("scratch", "concise")
EPOCHS = 100  # the book's
INITS = ("normal", "zero")
"""Starts of w: the book's N(0, 1) draw, or w = 0."""
DEFAULT_LAMBDAS = [0.0, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0, 30.0, 100.0]


def add_arguments(p: argparse.ArgumentParser) -> None:
    """``--lambdas`` (λ ≥ 0; 0 and 3 are always run), ``--epochs``, ``--conventions``,
    ``--init`` (normal: the book's w ~ N(0, 1); zero: w = 0), ``--jobs``."""
    p.add_argument("--lambdas", type=list_of(nonnegative_float), default=DEFAULT_LAMBDAS,
                   help="comma-separated λ ≥ 0 of the sweep (default 0,0.01,0.03,...,100)")
    p.add_argument("--epochs", type=positive_int, default=EPOCHS,
                   help=f"epochs of every run (default {EPOCHS})")
    p.add_argument("--conventions", type=choices_list(CONVENTIONS), default=list(CONVENTIONS),
                   help="comma-separated conventions (default scratch,concise)")
    p.add_argument("--init", choices=INITS, default=INITS[0],
                   help="start of w: normal (the book's N(0, 1), default) or zero (w = 0)")
    add_jobs_argument(p)
