"""Hostile: sys.exit(0) in backward (in-process verify once ended with exit 0 and no report)."""

import sys

import numpy as np

OP = "relu"
REASON = r"your backward \(case [^)]*\) called sys\.exit\(0\)"


def forward(x):
    return np.maximum(x, 0), x


def backward(dout, x):
    sys.exit(0)
