"""A layer the project does not ship: out = w ⊙ softplus(x), a learnable scale per feature."""

from typing import Any

import numpy as np
import torch
from numpy.typing import NDArray

SHAPES = {"x": ("N", 3), "w": (3,)}  # forward(x, w); backward returns (dx, dw)
EXPECT: dict[str, str] = {}


def reference(x: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
    """The truth: torch's softplus times w (broadcast over the batch)."""
    return w * torch.nn.functional.softplus(x)


def forward(x: NDArray, w: NDArray) -> tuple[NDArray, Any]:
    """out = w softplus(x), softplus(x) = log(1 + e^x) (stable form)."""
    sp = np.logaddexp(0, x)
    return w * sp, (x, w, sp)


def backward(dout: NDArray, cache: Any) -> tuple[NDArray, NDArray]:
    """dx = dout w σ(x); dw = Σₙ dout ⊙ softplus(x)."""
    x, w, sp = cache
    sig = 1 / (1 + np.exp(-x))
    return dout * w * sig, (dout * sp).sum(axis=0)
