"""out = w ⊙ softplus(x), wrong: dw keeps one row per example instead of summing the batch."""

from typing import Any

import numpy as np
import torch
from numpy.typing import NDArray

SHAPES = {"x": ("N", 3), "w": (3,)}
EXPECT = {"dw": "not_summed_over_batch"}


def reference(x: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
    """The truth: torch's softplus times w."""
    return w * torch.nn.functional.softplus(x)


def forward(x: NDArray, w: NDArray) -> tuple[NDArray, Any]:
    """out = w softplus(x)."""
    sp = np.logaddexp(0, x)
    return w * sp, (x, w, sp)


def backward(dout: NDArray, cache: Any) -> tuple[NDArray, NDArray]:
    """dw is (N, 3): the sum over the batch is missing."""
    x, w, sp = cache
    sig = 1 / (1 + np.exp(-x))
    return dout * w * sig, dout * sp
