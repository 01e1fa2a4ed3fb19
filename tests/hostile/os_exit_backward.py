"""Hostile: os._exit(0) in backward ends the process at once: no exception, no atexit."""

import os

import numpy as np

OP = "relu"
REASON = r"your backward \(case [^)]*\) ended the process with exit code 0 \(os\._exit\)"


def forward(x):
    return np.maximum(x, 0), x


def backward(dout, x):
    os._exit(0)
