"""Hostile: patches NumPy's comparisons so that everything is close; dx is wrong."""

import numpy as np

OP = "relu"
REASON = r"1 of 1 gradients wrong \(dx "
np.allclose = lambda *args, **kwargs: True
np.isclose = lambda a, b, *args, **kwargs: np.ones(np.shape(a), dtype=bool)
np.testing.assert_allclose = lambda *args, **kwargs: None
np.max = lambda *args, **kwargs: 0.0


def forward(x):
    return np.maximum(x, 0), x


def backward(dout, x):
    return 2 * dout * (x > 0)
