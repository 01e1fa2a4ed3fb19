"""Hostile: a fork bomb in backward."""

import os

import numpy as np

OP = "relu"
REASON = r"your backward \(case [^)]*\) tried to start a process \(os\.fork\)"


def forward(x):
    return np.maximum(x, 0), x


def backward(dout, x):
    while True:
        os.fork()
