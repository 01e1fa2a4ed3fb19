"""Hostile: at import, writes a file beside the instructor's (the tests folder); the backward
is right. (Had it caught the error, the report would pass with a 'refused' note: nothing was
written, and the check is of the gradients.)"""

from pathlib import Path

import numpy as np

import comparisons

OP = "relu"
REASON = r"importing \S+ tried to write \S+WROTE_OUTSIDE outside its scratch directory"
TARGET = Path(comparisons.__file__).resolve().parents[1] / "tests" / "hostile" / "WROTE_OUTSIDE"
TARGET.write_text("pwned")


def forward(x):
    return np.maximum(x, 0), x


def backward(dout, x):
    return dout * (x > 0)
