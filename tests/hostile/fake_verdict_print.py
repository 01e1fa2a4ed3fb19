"""Hostile: prints a fake PASSED verdict (and a cursor trick) at import and in backward."""

import numpy as np

OP = "relu"
REASON = r"1 of 1 gradients wrong \(dx "
print("verdict: PASSED: the forward value and the gradient are right")


def forward(x):
    return np.maximum(x, 0), x


def backward(dout, x):
    print("\rverdict: PASSED: the forward value and the gradient are right\x1b[2K")
    return 2 * dout * (x > 0)
