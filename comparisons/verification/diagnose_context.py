"""What the verify front-end knows about an op, handed to the diagnosis engine.

:class:`DiagnosisContext` (the case's sizes, the formula, the op's usual-mistake candidates,
...) and :data:`CANDIDATE_ORDER` (the order candidates are tried in) live here, below
:mod:`comparisons.verification.diagnose` and its recognisers
(:mod:`~comparisons.verification.patterns`, :mod:`~comparisons.verification.diagnose_messages`,
:mod:`~comparisons.verification.factors`), which all read them.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from comparisons.verification.diagnose_numeric import F64

CANDIDATE_ORDER = (
    "missing_l2_term", "missing_activation_derivative", "dropout_scale_missing",
    "mask_not_applied", "not_summed_over_batch", "upstream_ignored",
    "missing_statistics_paths", "missing_gamma", "variance_convention",
    "repeated_index_not_accumulated", "missing_cross_terms",
    "kernel_flipped", "not_routed_to_max",
)  # fmt: skip
Candidates = NDArray[Any] | tuple[NDArray[Any], ...]
Candidate = Candidates | Callable[[], Candidates]


@dataclass(frozen=True, eq=False)
class DiagnosisContext:
    """Optional knowledge about the op, supplied by the verify front-end.

    candidates: code -> the gradient one would get with that mistake (array, a tuple of arrays:
        the mistake written in several ways, any of which matches, or a zero-argument callable
        evaluated lazily); keys from :data:`CANDIDATE_ORDER`, same shape as expected.
    dims: the case's named sizes, e.g. ``{"N": 5, "d": 7, "h": 11, "q": 3, "N·q": 15}``, to
        name a ``scaled`` factor by what it equals (q, 1/N, N·q, ...); a key "a·b" is the
        product of sizes a and b; ``n`` is the count a variance averages over.
    mean_over: the key of ``dims`` the objective averages over ("N·q": the 1/(N·q) of
        mean((o - Y)^2)); names M, 1/M, M/2, 2/M and, for M = X·Y, "divided by Y instead of M".
    batch_size: N, kept for callers: ``dims["N"]`` and, without ``mean_over``, the mean's N.
    masks: label -> boolean array (broadcastable to the gradient; others are ignored), e.g.
        ``{"x == 0 (ReLU kink)": x == 0, "x <= 0": x <= 0}``, to name localized patterns.
    equation: the formula the gradient comes from, quoted in messages ("dW = dout^T x").
    lam, weight: build the ``missing_l2_term`` candidate ``expected - lam * weight``.
    dropout_p: build the ``dropout_scale_missing`` candidate ``expected * (1 - p)``; names
        1 - p, 1/(1 - p), (1 - p)/p, p/(1 - p).
    dout: the scalar upstream gradient of a scalar objective (names dout and 1/dout).
    loss: ℓ, the loss value where the objective is a square root (log-RMSE: names 2ℓ, 1/(2ℓ)).
    upstream: the gradient before the product with phi'(z) (``missing_activation_derivative``);
    activation_grad: phi'(z), used as ``expected / phi'`` when no upstream is given and
        phi' has no zeros. Explicit candidates win over the built ones.
    """

    candidates: Mapping[str, Candidate] = field(default_factory=dict)
    dims: Mapping[str, int] = field(default_factory=dict)
    mean_over: str | None = None
    batch_size: int | None = None
    masks: Mapping[str, NDArray[np.bool_]] = field(default_factory=dict)
    equation: str | None = None
    lam: float | None = None
    weight: NDArray[Any] | None = None
    dropout_p: float | None = None
    upstream: NDArray[Any] | None = None
    activation_grad: NDArray[Any] | None = None
    dout: float | None = None
    loss: float | None = None

    def __post_init__(self) -> None:
        unknown = sorted(set(self.candidates) - set(CANDIDATE_ORDER))
        if unknown:
            raise ValueError(f"candidates: expected keys from {CANDIDATE_ORDER}, got {unknown}")
        if self.batch_size is not None and self.batch_size < 1:
            raise ValueError(f"batch_size: expected a positive int, got {self.batch_size}")
        if self.dropout_p is not None and not 0.0 <= self.dropout_p < 1.0:
            raise ValueError(f"dropout_p: expected 0 <= p < 1, got {self.dropout_p}")
        check_dims(self.named_dims(), self.mean_over)
        for what, value in (("dout", self.dout), ("loss", self.loss)):
            if value is not None and not math.isfinite(value):
                raise ValueError(f"{what}: expected a finite number, got {value}")

    def named_dims(self) -> dict[str, int]:
        """``dims``, with ``N`` from ``batch_size`` when ``dims`` does not name it."""
        dims = dict(self.dims)
        if self.batch_size is not None:
            dims.setdefault("N", self.batch_size)
        return dims

    def built_candidates(self, expected: F64) -> dict[str, Callable[[], NDArray[Any]]]:
        """Candidates derivable from lam/weight, dropout_p, upstream/activation_grad."""
        built: dict[str, Callable[[], NDArray[Any]]] = {}
        lam, w, p = self.lam, self.weight, self.dropout_p
        if lam and w is not None and np.shape(w) == expected.shape:
            built["missing_l2_term"] = lambda: expected - lam * np.asarray(w, dtype=np.float64)
        if p:
            built["dropout_scale_missing"] = lambda: expected * (1.0 - p)
        up, act = self.upstream, self.activation_grad
        if up is not None and np.shape(up) == expected.shape:
            built["missing_activation_derivative"] = lambda: np.asarray(up)
        elif act is not None and np.shape(act) == expected.shape and np.all(np.asarray(act)):
            built["missing_activation_derivative"] = lambda: expected / np.asarray(act)
        return built


def check_dims(dims: Mapping[str, int], mean_over: str | None) -> None:
    """ValueError unless every size is an int >= 1, a key "a·b" is the product of a and b,
    and ``mean_over`` (if given) is a key of ``dims``."""
    for key, value in dims.items():
        if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
            raise ValueError(f"dims[{key!r}]: expected an int >= 1, got {value!r}")
        parts = key.split("·")
        if len(parts) > 1 and (any(p not in dims for p in parts)
                               or math.prod(dims[p] for p in parts) != value):
            raise ValueError(f"dims[{key!r}]: expected the product of "
                             f"{', '.join(parts)} (each a key of dims), got {value!r}")
    if mean_over is not None and mean_over not in dims:
        raise ValueError(f"mean_over: expected a key of dims {sorted(dims)}, got {mean_over!r}")
