"""Weight initialisers. Shapes follow torch's layout: a weight is ``(fan_out, fan_in)``.

Every initialiser takes its ``numpy.random.Generator`` explicitly and returns a fresh array of
``dtype`` (float32 or float64). Values are drawn in float64 and then cast, so a float32 and a
float64 draw from the same generator state agree up to rounding.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from numpy.typing import DTypeLike

from handmade._checks import FLOAT_DTYPES, check_nonnegative, check_rng
from handmade.types import FloatArray


def _shape(shape: Sequence[int]) -> tuple[int, ...]:
    """Validate a shape: a sequence of positive ints."""
    try:
        out = tuple(int(s) for s in shape)
    except TypeError:
        raise ValueError(f"shape: expected a sequence of ints, got {shape!r}") from None
    if not out or any(s <= 0 for s in out):
        raise ValueError(f"shape: expected positive sizes, got {out}")
    return out


def _dtype(dtype: DTypeLike) -> np.dtype:
    """Validate a float dtype (float32 or float64)."""
    dt = np.dtype(dtype)
    if dt not in FLOAT_DTYPES:
        raise ValueError(f"dtype: expected float32 or float64, got {dt}")
    return dt


def fans(shape: Sequence[int]) -> tuple[int, int]:
    """Return ``(fan_in, fan_out)`` of a 2-D weight of shape ``(fan_out, fan_in)``."""
    shape = _shape(shape)
    if len(shape) != 2:
        raise ValueError(f"shape: expected a 2-D weight shape (fan_out, fan_in), got {shape}")
    return shape[1], shape[0]


def uniform(
    shape: Sequence[int], bound: float, rng: np.random.Generator, dtype: DTypeLike = np.float64
) -> FloatArray:
    """U(-bound, bound) entries; variance bound^2 / 3."""
    bound = check_nonnegative("bound", bound)
    draw = check_rng("rng", rng).uniform(-bound, bound, size=_shape(shape))
    return draw.astype(_dtype(dtype))


def normal(
    shape: Sequence[int], sigma: float, rng: np.random.Generator, dtype: DTypeLike = np.float64
) -> FloatArray:
    """N(0, sigma^2) entries (the D2L chapter's default, sigma = 0.01)."""
    sigma = check_nonnegative("sigma", sigma)
    draw = check_rng("rng", rng).normal(0.0, sigma, size=_shape(shape))
    return draw.astype(_dtype(dtype))


def xavier_uniform(
    shape: Sequence[int],
    rng: np.random.Generator,
    gain: float = 1.0,
    dtype: DTypeLike = np.float64,
) -> FloatArray:
    """Glorot uniform: U(-a, a), a = gain * sqrt(6 / (fan_in + fan_out)).

    Variance a^2 / 3 = gain^2 * 2 / (fan_in + fan_out). ``shape`` is ``(fan_out, fan_in)``.
    """
    fan_in, fan_out = fans(shape)
    a = check_nonnegative("gain", gain) * math.sqrt(6.0 / (fan_in + fan_out))
    return uniform(shape, a, rng, dtype)


def xavier_normal(
    shape: Sequence[int],
    rng: np.random.Generator,
    gain: float = 1.0,
    dtype: DTypeLike = np.float64,
) -> FloatArray:
    """Glorot normal: N(0, std^2), std = gain * sqrt(2 / (fan_in + fan_out))."""
    fan_in, fan_out = fans(shape)
    std = check_nonnegative("gain", gain) * math.sqrt(2.0 / (fan_in + fan_out))
    return normal(shape, std, rng, dtype)


def torch_linear_default(
    shape: Sequence[int], fan_in: int, rng: np.random.Generator, dtype: DTypeLike = np.float64
) -> FloatArray:
    """torch.nn.Linear's default: U(-1/sqrt(fan_in), 1/sqrt(fan_in)), for weight and bias.

    (torch's kaiming_uniform with a = sqrt(5) reduces to this bound.) ``fan_in`` is passed
    separately so the 1-D bias can use its layer's fan-in.
    """
    if int(fan_in) <= 0:
        raise ValueError(f"fan_in: expected a positive int, got {fan_in}")
    return uniform(shape, 1.0 / math.sqrt(int(fan_in)), rng, dtype)


INITS = ("torch", "xavier_uniform", "xavier_normal", "normal")
"""Names accepted by ``init_weight`` (and the ``init=`` option of Linear and TwoLayerMLP)."""


def init_weight(
    init: str,
    shape: Sequence[int],
    rng: np.random.Generator,
    dtype: DTypeLike = np.float64,
    sigma: float = 0.01,
) -> FloatArray:
    """Draw a ``(fan_out, fan_in)`` weight with the initialiser named ``init`` (see INITS).

    ``sigma`` is used only by ``"normal"``; ``"torch"`` is torch.nn.Linear's default.
    """
    if init == "torch":
        return torch_linear_default(shape, fans(shape)[0], rng, dtype)
    if init == "xavier_uniform":
        return xavier_uniform(shape, rng, dtype=dtype)
    if init == "xavier_normal":
        return xavier_normal(shape, rng, dtype=dtype)
    if init == "normal":
        return normal(shape, sigma, rng, dtype)
    raise ValueError(f"init: expected one of {INITS}, got {init!r}")
