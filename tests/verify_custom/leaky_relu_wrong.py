"""Leaky ReLU, wrong: returns the local derivative and forgets to multiply by dout.

The gradient equals the reference gradient with dout = ones: ``upstream_ignored``.
"""

from typing import Any

import numpy as np
import torch
from numpy.typing import NDArray

SLOPE = 0.01
SHAPES = {"x": ("N", 4)}
EXPECT = {"dx": "upstream_ignored"}


def reference(x: torch.Tensor) -> torch.Tensor:
    """The truth: torch's leaky ReLU."""
    return torch.nn.functional.leaky_relu(x, SLOPE)


def forward(x: NDArray) -> tuple[NDArray, Any]:
    """out = x where x > 0, SLOPE x elsewhere."""
    return np.where(x > 0, x, SLOPE * x), x


def backward(dout: NDArray, x: Any) -> NDArray:
    """The chain rule's dout is missing."""
    return np.where(x > 0, 1.0, SLOPE).astype(dout.dtype)
