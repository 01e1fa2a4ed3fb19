"""Hostile: prints 1 GB in backward, 1 MB at a time."""

import numpy as np

OP = "relu"
REASON = r"your backward \(case [^)]*\) printed more than the 1024 KB output limit"


def forward(x):
    return np.maximum(x, 0), x


def backward(dout, x):
    chunk = "x" * 2**20
    for _ in range(1024):
        print(chunk)
    return dout * (x > 0)
