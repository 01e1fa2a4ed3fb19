"""Hostile: in backward, reads a file beside the instructor's (the tests' conftest.py)."""

from pathlib import Path

import numpy as np

import comparisons

OP = "relu"
REASON = r"your backward \(case [^)]*\) tried to read \S+conftest\.py"
SECRET = Path(comparisons.__file__).resolve().parents[1] / "tests" / "conftest.py"


def forward(x):
    return np.maximum(x, 0), x


def backward(dout, x):
    SECRET.read_text()
    return dout * (x > 0)
