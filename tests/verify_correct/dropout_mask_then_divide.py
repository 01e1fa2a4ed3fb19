"""Multiply by the mask, then divide by the keep probability in place: dx = dout ⊙ mask / (1 − p).

out = x ⊙ mask / (1 − p) is linear in x with the same elementwise factor, so the backward
applies that factor to dout; the mask lives in the cache.
"""

from typing import Any

from numpy.typing import NDArray

OP = "dropout"


def forward(x: NDArray, p: float, *, mask: NDArray) -> tuple[NDArray, Any]:
    """out = x * mask, then / (1 − p)."""
    out = x * mask
    out /= 1 - p
    return out, (mask, p)


def backward(dout: NDArray, cache: Any) -> NDArray:
    """dx = dout * mask; dx /= (1 − p)."""
    mask, p = cache
    dx = dout * mask
    dx /= 1 - p
    return dx
