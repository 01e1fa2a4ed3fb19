"""Reference L2 penalty: ``s = lam/2 * sum(W**2)`` (with the 1/2, so ds/dW = lam W)."""

from __future__ import annotations

from torch import Tensor

__all__ = ["l2_penalty"]


def l2_penalty(W: Tensor, lam: float) -> Tensor:
    """``lam / 2 * (W ** 2).sum()``, a 0-d tensor; W any shape."""
    return lam / 2 * (W**2).sum()
