"""Reference multiclass hinge loss (CS231n's SVM loss) from plain torch ops (clamp, gather,
scatter): ``mean over N of Σ_{j ≠ y} max(0, s_j − s_y + margin)``.

torch's ``nn.MultiMarginLoss`` (p=1) divides each row's sum by C as well (and averages over N),
so it equals this loss / C: it is not used as the twin. At a margin exactly 0, clamp(min=0)
passes the gradient (slope 1; handmade takes 0: both are valid subgradients).
"""

from __future__ import annotations

import torch
from torch import Tensor

__all__ = ["multiclass_hinge"]


def multiclass_hinge(scores: Tensor, y: Tensor, margin: float = 1.0) -> Tensor:
    """Mean over N of Σ_{j ≠ y} max(0, s_j − s_y + margin); scores (N, C), y int64 (N,) -> 0-d."""
    correct = scores.gather(1, y[:, None])
    margins = torch.clamp(scores - correct + margin, min=0)
    others = torch.ones_like(scores).scatter(1, y[:, None], 0.0)  # the j = y term left out
    return (margins * others).sum() / scores.shape[0]
