"""Reference softmax: ``softmax(x)`` = ``torch.softmax(x, dim=-1)``; ``Softmax`` is torch.nn's
own (use ``Softmax(dim=-1)``, the only axis handmade supports)."""

from __future__ import annotations

import torch
from torch import Tensor
from torch.nn import Softmax

__all__ = ["Softmax", "softmax"]


def softmax(x: Tensor) -> Tensor:
    """Softmax over the last axis, x's shape."""
    return torch.softmax(x, dim=-1)
