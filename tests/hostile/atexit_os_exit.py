"""Hostile: an atexit hook calling os._exit(0), to turn a failure into exit 0; dx is wrong."""

import atexit
import os

import numpy as np

OP = "relu"
REASON = r"1 of 1 gradients wrong \(dx "
atexit.register(os._exit, 0)


def forward(x):
    return np.maximum(x, 0), x


def backward(dout, x):
    return 2 * dout * (x > 0)
