"""Hostile: at import, writes a file beside the instructor's (the tests folder), and catches
the error so the import goes on; the backward is right."""

from pathlib import Path

import numpy as np

import comparisons

OP = "relu"
REASON = r"importing \S+ tried to write \S+WROTE_OUTSIDE outside its scratch directory"
TARGET = Path(comparisons.__file__).resolve().parents[1] / "tests" / "hostile" / "WROTE_OUTSIDE"
try:
    TARGET.write_text("pwned")
except OSError:
    pass


def forward(x):
    return np.maximum(x, 0), x


def backward(dout, x):
    return dout * (x > 0)
