"""CS231n's inverted dropout: the cached mask is already divided by the keep probability.

CS231n builds mask = (rand < keep) / keep and caches it; out = x * mask, dx = dout * mask.
Here the boolean mask comes in and keep = 1 − p (torch's p drops).
"""

from typing import Any

from numpy.typing import NDArray

OP = "dropout"


def forward(x: NDArray, p: float, *, mask: NDArray) -> tuple[NDArray, Any]:
    """scaled = mask / keep; out = x * scaled."""
    keep = 1 - p
    scaled = mask / keep
    out = x * scaled
    cache = ({"p": p, "mode": "train"}, scaled)
    return out, cache


def backward(dout: NDArray, cache: Any) -> NDArray:
    """dout * scaled."""
    dropout_param, scaled = cache
    if dropout_param["mode"] == "train":
        return dout * scaled
    return dout
