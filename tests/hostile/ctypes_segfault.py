"""Hostile: a segmentation fault through ctypes in backward (no Python exception to catch)."""

import ctypes

import numpy as np

OP = "relu"
REASON = r"your backward \(case [^)]*\) crashed: SIGSEGV"


def forward(x):
    return np.maximum(x, 0), x


def backward(dout, x):
    ctypes.string_at(0)
    return dout * (x > 0)
