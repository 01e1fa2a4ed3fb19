"""Hostile: while True: pass in backward (no timeout existed)."""

import numpy as np

OP = "relu"
REASON = r"your backward \(case [^)]*\) exceeded the 1 s time limit"


def forward(x):
    return np.maximum(x, 0), x


def backward(dout, x):
    while True:
        pass
