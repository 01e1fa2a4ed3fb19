"""The numerical-stability experiment's command-line options: light (no torch, no matplotlib),
so that ``backprop-lab experiment --help`` does not load what :mod:`.experiment` computes with."""

from __future__ import annotations

import argparse

from comparisons.core.io import positive_int
from comparisons.experiments.argtypes import choices_list

HELP = "section 6: vanishing sigmoid gradients, exploding matrix products, Xavier vs N(0, 0.01)"
DEFAULT_SEEDS = 3
ACTIVATIONS = ("tanh", "sigmoid")


def add_arguments(p: argparse.ArgumentParser) -> None:
    """``--depth``, ``--width``, ``--batch``, ``--activations``, ``--factors``."""
    p.add_argument("--depth", type=positive_int, default=10,
                   help="Linear layers of the deep MLP (default 10, at least 2)")
    p.add_argument("--width", type=positive_int, default=128, help="hidden width (default 128)")
    p.add_argument("--batch", type=positive_int, default=256,
                   help="digits in the batch (default 256, at most 1347)")
    p.add_argument("--activations", type=choices_list(ACTIVATIONS), default=list(ACTIVATIONS),
                   help="comma-separated activations of the deep MLP (default tanh,sigmoid)")
    p.add_argument("--factors", type=positive_int, default=100,
                   help="random 4x4 matrices multiplied in (default 100)")
