"""Hostile: a 10 GB allocation in backward (touched, so no lazy page trick saves it)."""

import numpy as np

OP = "relu"
REASON = r"your backward \(case [^)]*\) exceeded the memory limit"


def forward(x):
    return np.maximum(x, 0), x


def backward(dout, x):
    big = np.ones(10 * 2**30 // 8)
    return dout * (x > 0) + big[0] - 1
