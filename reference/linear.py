"""Reference affine layer: torch's own ``F.linear`` (``x @ W.T + b``) and ``torch.nn.Linear``."""

from __future__ import annotations

import torch.nn.functional as F
from torch import Tensor
from torch.nn import Linear

__all__ = ["Linear", "linear"]


def linear(x: Tensor, W: Tensor, b: Tensor | None = None) -> Tensor:
    """``x @ W.T + b``; x (N, D_in), W (D_out, D_in), b (D_out,) or None -> (N, D_out)."""
    return F.linear(x, W, b)

