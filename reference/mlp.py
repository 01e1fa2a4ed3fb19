"""Reference D2L two-layer network: the book's forward written with torch ops; autograd
does the backward. Intermediates z, h, (h_drop), o, L, s keep their gradients
(``retain_grad``), so ``t.grad`` after ``J.backward()`` is dJ/dt for each node.

z = X W1^T (+ b1); h = phi(z); h_drop = dropout(h); o = h_drop W2^T; L = l(o, Y);
s = lam/2 (||W1||^2 + ||W2||^2); J = L + s.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import cast

import numpy as np
import torch
import torch.nn.functional as F
from numpy.typing import NDArray
from torch import Tensor, nn

from handmade.network import TWO_LAYER
from reference.activations import PHIS
from reference.dropout import dropout as _dropout
from reference.dropout import mask_from_source
from reference.regularization import l2_penalty

__all__ = ["PHIS", "LOSSES", "TwoLayerMLP", "two_layer"]

LOSSES: dict[str, Callable[[Tensor, Tensor], Tensor]] = {
    "mse": F.mse_loss, "cross_entropy": F.cross_entropy}


def _retain(values: dict[str, Tensor]) -> dict[str, Tensor]:
    for t in values.values():
        if t.requires_grad:
            t.retain_grad()
    return values


def two_layer(
    X: Tensor,
    Y: Tensor,
    W1: Tensor,
    W2: Tensor,
    lam: float,
    phi: Callable[[Tensor], Tensor] = torch.relu,
    *,
    loss: Callable[[Tensor, Tensor], Tensor] = F.mse_loss,
    b1: Tensor | None = None,
    p: float = 0.0,
    mask: Tensor | NDArray[np.bool_] | None = None,
) -> dict[str, Tensor]:
    """Forward of the book's network -> dict z, h, (h_drop when p > 0), o, L, s, J: the
    values of ``handmade.network.TWO_LAYER``, in its order.

    Defaults: phi = ReLU, l = MSE (mean), no bias, no dropout. Non-leaf values retain grads.
    """
    net = TWO_LAYER.configured(bias=b1 is not None, dropout=p > 0 or mask is not None)
    z = F.linear(X, W1, b1)
    h = phi(z)
    h_drop = _dropout(h, p, mask=mask) if "h_drop" in net.names else h
    o = F.linear(h_drop, W2)
    L = loss(o, Y)
    s = l2_penalty(W1, lam) + l2_penalty(W2, lam)
    computed = {"z": z, "h": h, "h_drop": h_drop, "o": o, "L": L, "s": s, "J": L + s}
    return _retain({name: computed[name] for name in net.values})


class TwoLayerMLP(nn.Module):
    """Torch twin of ``handmade.TwoLayerMLP``: parameters W1 (h, d), W2 (q, h), b1 (h,).

    Weights start N(0, sigma^2) (from ``generator`` if given), b1 at 0; usually they are
    copied from the handmade model with ``load_state_dict``. After ``forward(X, Y)`` the
    values are in ``self.values`` and as attributes ``self.z``, ``self.h``, ``self.o``, ...
    With ``dropout > 0`` in training mode the mask on h comes from ``mask_source((N, h))``
    (NumPy, shareable with handmade) or a Bernoulli draw; it is kept in ``self.mask``.
    """

    def __init__(
        self, d: int, h: int, q: int, *, phi: str = "relu", loss: str = "mse",
        lam: float = 0.0, bias: bool = False, dropout: float = 0.0,
        mask_source: Callable[[tuple[int, ...]], NDArray[np.bool_]] | None = None,
        generator: torch.Generator | None = None, dtype: torch.dtype = torch.float64,
        sigma: float = 0.01,
    ) -> None:
        super().__init__()
        if phi not in PHIS or loss not in LOSSES:
            raise ValueError(f"phi, loss: expected one of {tuple(PHIS)} and one of "
                             f"{tuple(LOSSES)}, got {phi!r}, {loss!r}")
        if not 0.0 <= dropout < 1.0:
            raise ValueError(f"dropout: expected a probability in [0, 1), got {dropout}")
        self.phi, self.loss, self.lam, self.p = phi, loss, float(lam), float(dropout)
        self.mask_source, self.generator = mask_source, generator
        self.W1 = nn.Parameter(self._normal((h, d), sigma, dtype))
        self.W2 = nn.Parameter(self._normal((q, h), sigma, dtype))
        self.b1 = nn.Parameter(torch.zeros(h, dtype=dtype)) if bias else None
        self.mask: Tensor | None = None
        self.values: dict[str, Tensor] = {}

    def _normal(self, shape: tuple[int, int], sigma: float, dtype: torch.dtype) -> Tensor:
        return torch.randn(shape, generator=self.generator, dtype=dtype) * sigma

    def _draw_mask(self, shape: tuple[int, int]) -> Tensor | None:
        if not self.training or self.p == 0:
            return None
        if self.mask_source is not None:
            return mask_from_source(self.mask_source, shape)
        keep = torch.full(shape, 1 - self.p, dtype=torch.float64)
        return torch.bernoulli(keep, generator=self.generator).bool()

    def forward(self, X: Tensor, Y: Tensor) -> Tensor:
        """Objective J (0-d) for X (N, d) and Y ((N, q) float for MSE, (N,) int64 for CE)."""
        self.mask = self._draw_mask((X.shape[0], self.W1.shape[0]))
        self.values = two_layer(X, Y, self.W1, self.W2, self.lam, PHIS[self.phi],
                                loss=LOSSES[self.loss], b1=self.b1,
                                p=self.p if self.mask is not None else 0.0, mask=self.mask)
        return self.values["J"]

    def __getattr__(self, name: str) -> Tensor:
        values: dict[str, Tensor] = self.__dict__.get("values", {})
        if name in TWO_LAYER.values and name in values:
            return values[name]
        # no submodules here: what nn.Module finds is a parameter (W1, W2, b1), a Tensor
        return cast(Tensor, super().__getattr__(name))
