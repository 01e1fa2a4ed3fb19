"""Correct: inverted dropout; dx = dout ⊙ mask / (1 − p)."""

from typing import Any

from numpy.typing import NDArray

OP = "dropout"
EXPECT: dict[str, str] = {}


def forward(x: NDArray, p: float, *, mask: NDArray) -> tuple[NDArray, Any]:
    """out = x ⊙ mask / (1 − p)."""
    return x * mask / (1 - p), (mask, p)


def backward(dout: NDArray, cache: Any) -> NDArray:
    """dx = dout ⊙ mask / (1 − p)."""
    mask, p = cache
    return dout * mask / (1 - p)
