"""The cnn experiment's command-line options and defaults: light (no torch, no matplotlib), so
that ``backprop-lab experiment --help`` does not load what :mod:`.experiment` trains with."""

from __future__ import annotations

import argparse

from comparisons.core.io import positive_int
from comparisons.experiments.argtypes import choices_list, positive_float

HELP = ("a small CNN on the 8x8 digits (Conv2d, ReLU, MaxPool2d, Flatten, Linear; and one with "
        "BatchNorm1d), handmade vs torch step by step")
DEFAULT_SEEDS = 1
MODELS = ("conv", "conv-bn")
"""As :data:`comparisons.check.cnn_checks.MODELS` (which imports torch)."""
EPOCHS, LR, BATCH_SIZE, TRAIN_SIZE, CHANNELS, HIDDEN = 10, 0.2, 32, 320, 4, 32


def add_arguments(p: argparse.ArgumentParser) -> None:
    """Networks (``--models``, ``--channels``, ``--hidden``) and training options."""
    p.add_argument("--models", type=choices_list(MODELS), default=list(MODELS),
                   help="comma-separated networks to train (default conv,conv-bn)")
    p.add_argument("--epochs", type=positive_int, default=EPOCHS,
                   help=f"epochs (default {EPOCHS})")
    p.add_argument("--lr", type=positive_float, default=LR,
                   help=f"SGD learning rate (default {LR})")
    p.add_argument("--batch-size", type=positive_int, default=BATCH_SIZE,
                   help=f"minibatch size (default {BATCH_SIZE})")
    p.add_argument("--train-size", type=positive_int, default=TRAIN_SIZE,
                   help=f"training digits kept of the 1347 (default {TRAIN_SIZE})")
    p.add_argument("--channels", type=positive_int, default=CHANNELS,
                   help=f"convolution channels C (default {CHANNELS})")
    p.add_argument("--hidden", type=positive_int, default=HIDDEN,
                   help=f"hidden units H before the batch norm (default {HIDDEN})")
