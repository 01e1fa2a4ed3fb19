"""Reference inverted dropout: ``x * mask / (1 - p)`` with an explicit or drawn mask.

A NumPy *mask source* (``(shape) -> bool ndarray``) shared with ``handmade.Dropout`` makes both
drop the same units; without one, the mask is Bernoulli(1 - p) from a ``torch.Generator``.
A mask may also hold exactly 0s and 1s as numbers (CS231n's float mask; converted to bool);
other values are a ValueError naming ``mask``. p = 1 drops everything: ``x * 0`` (out = 0,
dx = 0), as ``torch.nn.Dropout(1.0)`` and D2L's ``dropout_layer``.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch
from numpy.typing import NDArray
from torch import Tensor, nn

__all__ = ["Dropout", "dropout", "mask_from_source"]


def _check_p(p: float) -> float:
    p = float(p)
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"p: expected a probability in [0, 1], got {p}")
    return p


def _bool_mask(mask: Tensor, shape: tuple[int, ...]) -> Tensor:
    """``mask`` as a bool tensor of ``shape``: bool as is, numbers only if exactly 0 or 1."""
    if mask.dtype != torch.bool and not mask.dtype.is_complex:
        binary = (mask == 0) | (mask == 1)
        if not bool(binary.all()):
            bad = mask[~binary].flatten()[0].item()
            raise ValueError(f"mask: expected bool or exactly 0s and 1s, got the value {bad!r}")
        mask = mask != 0
    if mask.dtype != torch.bool or tuple(mask.shape) != tuple(shape):
        raise ValueError(f"mask: expected bool of shape {tuple(shape)}, got {mask.dtype} "
                         f"{tuple(mask.shape)}")
    return mask


def mask_from_source(
    source: Callable[[tuple[int, ...]], NDArray[np.bool_]], shape: tuple[int, ...]
) -> Tensor:
    """Call a NumPy mask source and return its mask as a bool tensor of ``shape`` (a numeric
    mask of exactly 0s and 1s is converted)."""
    mask = source(tuple(shape))
    if not isinstance(mask, np.ndarray) or mask.dtype.kind not in "bif":
        kind = f"{mask.dtype} {mask.shape}" if isinstance(mask, np.ndarray) else type(mask).__name__
        raise ValueError(f"mask: expected a bool ndarray of shape {tuple(shape)}, got {kind}")
    return _bool_mask(torch.from_numpy(mask), tuple(shape))


def dropout(
    x: Tensor,
    p: float,
    mask: Tensor | NDArray[np.bool_] | None = None,
    generator: torch.Generator | None = None,
    train: bool = True,
) -> Tensor:
    """``x * mask / (1 - p)`` while training (mask bool or 0/1, True = kept); ``x`` otherwise.

    Without ``mask``, a Bernoulli(1 - p) mask is drawn (from ``generator`` if given); p = 0
    without a mask is the identity; p = 1 is ``x * 0`` (a given mask is still checked).
    """
    p = _check_p(p)
    if not train or (p == 0 and mask is None):
        return x
    if p == 1:
        if mask is not None:
            _bool_mask(torch.as_tensor(mask), tuple(x.shape))
        return x * 0.0
    if mask is None:
        keep = torch.full(x.shape, 1 - p, dtype=torch.float64)
        mask = torch.bernoulli(keep, generator=generator).bool()
    return x * _bool_mask(torch.as_tensor(mask), tuple(x.shape)) / (1 - p)


class Dropout(nn.Module):
    """Inverted dropout module; ``self.mask`` keeps the last mask (None when identity, all
    False for p = 1 without a mask source)."""

    def __init__(
        self,
        p: float,
        mask_source: Callable[[tuple[int, ...]], NDArray[np.bool_]] | None = None,
        generator: torch.Generator | None = None,
    ) -> None:
        super().__init__()
        self.p = _check_p(p)
        self.mask_source = mask_source
        self.generator = generator
        self.mask: Tensor | None = None

    def forward(self, x: Tensor) -> Tensor:
        self.mask = None
        if not self.training or self.p == 0:
            return x
        if self.mask_source is not None:
            self.mask = mask_from_source(self.mask_source, tuple(x.shape))
        else:
            keep = torch.full(x.shape, 1 - self.p, dtype=torch.float64)
            self.mask = torch.bernoulli(keep, generator=self.generator).bool()
        return dropout(x, self.p, mask=self.mask)
