"""Reference losses, built from torch ops so autograd supplies every derivative.

- ``softmax_cross_entropy`` = ``F.cross_entropy`` (mean over N)
- ``mse`` = ``F.mse_loss`` (mean over all elements, no 1/2)
- ``log_rmse`` = ``sqrt(mse(log(clamp(pred, min=1)), log(target)))`` (D2L's house-price metric;
  at loss 0 torch's sqrt backward gives NaN, unlike the handmade version's 0)
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch.nn import CrossEntropyLoss, MSELoss

__all__ = ["CrossEntropyLoss", "LogRMSELoss", "MSELoss", "log_rmse", "mse",
           "softmax_cross_entropy"]


def softmax_cross_entropy(logits: Tensor, y: Tensor) -> Tensor:
    """Mean softmax cross-entropy; logits (N, C), y int64 (N,) -> 0-d."""
    return F.cross_entropy(logits, y)


def mse(pred: Tensor, target: Tensor) -> Tensor:
    """``mean((pred - target)**2)`` over all elements -> 0-d."""
    return F.mse_loss(pred, target)


def log_rmse(pred: Tensor, target: Tensor) -> Tensor:
    """``sqrt(mean((log max(pred, 1) - log target)**2))`` -> 0-d; target > 0."""
    return torch.sqrt(F.mse_loss(torch.log(torch.clamp(pred, min=1)), torch.log(target)))


class LogRMSELoss(nn.Module):
    """Module form of ``log_rmse``: ``forward(pred, target) -> loss``."""

    def forward(self, pred: Tensor, target: Tensor) -> Tensor:
        return log_rmse(pred, target)
