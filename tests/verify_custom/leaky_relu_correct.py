"""A layer the project does not ship: leaky ReLU with slope 0.01; correct derivation."""

from typing import Any

import numpy as np
import torch
from numpy.typing import NDArray

SLOPE = 0.01
SHAPES = {"x": ("N", 4)}  # "N": a batch dimension, tried as N = 1 and N = 5
EXPECT: dict[str, str] = {}


def reference(x: torch.Tensor) -> torch.Tensor:
    """The truth: torch's leaky ReLU (autograd differentiates it)."""
    return torch.nn.functional.leaky_relu(x, SLOPE)


def forward(x: NDArray) -> tuple[NDArray, Any]:
    """out = x where x > 0, SLOPE x elsewhere."""
    return np.where(x > 0, x, SLOPE * x), x


def backward(dout: NDArray, x: Any) -> NDArray:
    """dx = dout ⊙ (1 where x > 0, SLOPE elsewhere)."""
    return dout * np.where(x > 0, 1.0, SLOPE)
