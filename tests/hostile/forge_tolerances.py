"""Hostile: at import, forges the tolerance table so that anything passes; dx is wrong."""

import numpy as np

from comparisons.core import tolerances

OP = "relu"
REASON = r"1 of 1 gradients wrong \(dx "
tolerances.tolerance = lambda *args, **kwargs: tolerances.Tolerance(rtol=1e9, atol=1e9)
for name in dir(tolerances):
    if name.isupper() and isinstance(getattr(tolerances, name), dict):
        for key in getattr(tolerances, name):
            getattr(tolerances, name)[key] = tolerances.Tolerance(rtol=1e9, atol=1e9)


def forward(x):
    return np.maximum(x, 0), x


def backward(dout, x):
    return 2 * dout * (x > 0)
