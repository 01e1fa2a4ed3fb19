"""Reference embedding: ``embedding(idx, W)`` = ``F.embedding`` (W[idx]; autograd accumulates
repeated indices in dW); ``Embedding`` is torch.nn's own (weight N(0, 1))."""

from __future__ import annotations

import torch.nn.functional as F
from torch import Tensor
from torch.nn import Embedding

__all__ = ["Embedding", "embedding"]


def embedding(idx: Tensor, W: Tensor) -> Tensor:
    """``W[idx]``: idx int64 of any shape, W (V, D) -> idx.shape + (D,)."""
    return F.embedding(idx, W)
