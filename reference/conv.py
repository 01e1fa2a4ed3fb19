"""Reference convolution, max pooling and flatten: torch's own (``F.conv2d`` is a
cross-correlation; ``F.max_pool2d`` sends a window's gradient to its first maximum).

``conv2d(x, W, b=None, stride=1, padding=0)``, ``maxpool2d(x, kernel_size, stride=None)`` and
``flatten(x)`` (start_dim=1) take the arguments of ``handmade``'s forwards, in the same order.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor
from torch.nn import Conv2d, Flatten, MaxPool2d

__all__ = ["Conv2d", "Flatten", "MaxPool2d", "conv2d", "flatten", "maxpool2d"]


def conv2d(x: Tensor, W: Tensor, b: Tensor | None = None, stride: int = 1,
           padding: int = 0) -> Tensor:
    """``F.conv2d``: x (N, C, H, W), W (F, C, KH, KW), b (F,) -> (N, F, OH, OW)."""
    return F.conv2d(x, W, b, stride=stride, padding=padding)


def maxpool2d(x: Tensor, kernel_size: int | tuple[int, int],
              stride: int | tuple[int, int] | None = None) -> Tensor:
    """``F.max_pool2d`` (stride defaults to kernel_size): (N, C, H, W) -> (N, C, OH, OW)."""
    return F.max_pool2d(x, kernel_size, stride)


def flatten(x: Tensor) -> Tensor:
    """``torch.flatten(x, 1)``: (N, d1, d2, ...) -> (N, d1·d2·...)."""
    return torch.flatten(x, 1)
