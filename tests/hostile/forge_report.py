"""Hostile: at import, every VerifyReport passes and says so; dx is wrong."""

import numpy as np

from comparisons.verification import report

OP = "relu"
REASON = r"1 of 1 gradients wrong \(dx "
report.VerifyReport.passed = property(lambda self: True)
report.VerifyReport.verdict = lambda self: "verdict: PASSED: forged"


def forward(x):
    return np.maximum(x, 0), x


def backward(dout, x):
    return 2 * dout * (x > 0)
