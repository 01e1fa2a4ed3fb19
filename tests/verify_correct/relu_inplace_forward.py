"""An in-place forward: x[x < 0] = 0; return x, x. The backward masks with the clipped x > 0.

The forward overwrites its own argument (verify passes copies) and caches it; after clipping,
x > 0 exactly where the input was positive, so dx = dout ⊙ [x > 0] = dout ⊙ relu′(input).
"""

from typing import Any

from numpy.typing import NDArray

OP = "relu"


def forward(x: NDArray) -> tuple[NDArray, Any]:
    """Clip x in place."""
    x[x < 0] = 0
    return x, x


def backward(dout: NDArray, cache: Any) -> NDArray:
    """dout where the clipped input is positive."""
    return dout * (cache > 0)
