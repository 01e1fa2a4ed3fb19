"""Hostile: in backward, kills the process that verifies it."""

import os
import signal

import numpy as np

OP = "relu"
REASON = r"your backward \(case [^)]*\) tried to send a signal \(os\.kill\)"


def forward(x):
    return np.maximum(x, 0), x


def backward(dout, x):
    os.kill(os.getppid(), signal.SIGKILL)
    return dout * (x > 0)
