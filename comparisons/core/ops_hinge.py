"""The multiclass hinge (SVM) loss's declaration (``handmade.hinge`` / ``reference.hinge``).

A scalar objective judged at dloss = 1: loss = mean over N of Σ_{j ≠ y} max(0, s_j − s_y + 1).
dscores[n, j] = [margin_nj > 0] / N for j ≠ y_n and dscores[n, y_n] = −k_n / N, k_n the margin
count of row n. Its usual mistake is k_n wrong (the j = y term counted, the count forgotten:
−1 instead of −k_n): wrong at the correct-class entries of some rows, reported ``localized``
with those rows named. A margin exactly 0 is a kink: each such term's slope t in [0, 1] is valid
(it moves dscores[n, j] by t and dscores[n, y_n] by −t); its case puts margins exactly there.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
from numpy.typing import NDArray

import handmade as hm
import reference as ref
from comparisons.core.opdecl import (
    F64,
    Input,
    Kink,
    KinkRule,
    OpDeclaration,
    as_f64,
    at_unit,
    unit_convention,
)
from comparisons.core.ops import Case, Inputs

MARGIN = 1.0  # the forward's default, CS231n's delta


def margin_of(inputs: Inputs) -> float:
    """The margin of a run: its ``margin`` input (a per-student variant passes one,
    :mod:`comparisons.verification.variants`), else :data:`MARGIN`."""
    return float(inputs.get("margin", MARGIN))


def margins_of(inputs: Inputs) -> tuple[F64, NDArray[np.int64]]:
    """s_j − s_y + margin (N, C) in float64, with the j = y entries set to −inf, and y."""
    s, y = as_f64(inputs["scores"]), np.asarray(inputs["y"])
    rows = np.arange(s.shape[0])
    m = s - s[rows, y][:, None] + margin_of(inputs)
    m[rows, y] = -np.inf
    return m, y


def draw_scores(rng: np.random.Generator, shape: tuple[int, ...], dt: np.dtype,
                drawn: Inputs) -> Any:
    """N(0, 1) scores; row 0 has one entry 3 below the rest (its label: every margin active),
    row 1 one entry 3 above the rest (its label: no margin active)."""
    s = rng.standard_normal(shape)
    s[0, rng.integers(shape[1])] = s[0].min() - 3.0
    if shape[0] > 1:
        s[1, rng.integers(shape[1])] = s[1].max() + 3.0
    return s.astype(dt)


def draw_labels(rng: np.random.Generator, shape: tuple[int, ...], dt: np.dtype,
                drawn: Inputs) -> Any:
    """Labels (N,) in [0, C); row 0's is its lowest score, row 1's its highest."""
    s = np.asarray(drawn["scores"])
    y = rng.integers(0, s.shape[1], size=shape)
    y[0] = np.argmin(s[0])
    if shape[0] > 1:
        y[1] = np.argmax(s[1])
    return y


def hinge_mistakes(grad: str, inputs: dict[str, Any], dout: F64,
                   refs: Mapping[str, F64]) -> dict[str, Any]:
    """N, C (mean over N); masks of the correct-class entries s[n, y_n] of the rows whose margin
    count k_n is wrong under each usual slip, each mask naming its rows."""
    m, y = margins_of(inputs)
    n, c = m.shape
    count = (m > 0).sum(axis=1)
    onehot = np.zeros((n, c), dtype=bool)
    onehot[np.arange(n), y] = True
    masks = {}
    for rows, why in ((count >= 0, "every row: the j = y term counted too?"),
                      (count != 1, "rows with k_n ≠ 1: −1 written instead of −k_n?"),
                      (count == 0, "rows with no active margin"),
                      (count > 1, "rows with several active margins")):
        if rows.any():
            names = ", ".join(f"{r} (y = {y[r]}, k = {count[r]})" for r in np.flatnonzero(rows))
            masks[f"dscores[n, y_n] (= −k_n / N, k_n the margin count) of rows {names}; "
                  f"{why}"] = onehot & rows[:, None]
    return {"dims": {"N": n, "C": c}, "mean_over": "N", "masks": masks}


def hinge_untrusted(inputs: Inputs, h: float) -> dict[str, NDArray[np.bool_]]:
    """Rows with a margin within 2h of 0 (a step of h moves it across the kink; it moves s_j
    and, through s_y, every element of the row)."""
    m, _ = margins_of(inputs)
    near = np.asarray((np.abs(m) <= 2 * h).any(axis=1))
    return {"scores": np.broadcast_to(near[:, None], m.shape).copy()}


def hinge_kinks(inputs: Inputs, dout: F64, refs: Mapping[str, F64]) -> list[Kink]:
    """At a margin exactly 0 (j ≠ y), dscores[n, j] = t · dloss / N, t in [0, 1] (torch's
    clamp(min=0): t = 1; CS231n's ``> 0``: t = 0)."""
    m, _ = margins_of(inputs)
    one = np.full(m.shape, float(dout) / m.shape[0])
    return [Kink("dscores", "s_j − s_y + margin == 0", "max(0, s_j − s_y + margin)", m == 0,
                 one, "dloss / N")]


def hinge_follow(inputs: Inputs, ref: Mapping[str, F64],
                 adjusted: Mapping[str, F64]) -> dict[str, F64]:
    """dscores[n, y_n] = −Σ_{j ≠ y_n} dscores[n, j], from the user's valid kink slopes."""
    y = np.asarray(inputs["y"])
    rows = np.arange(y.size)
    delta = adjusted["dscores"] - ref["dscores"]
    delta[rows, y] = 0
    value = np.array(adjusted["dscores"])
    value[rows, y] = ref["dscores"][rows, y] - delta.sum(axis=1)
    return {"dscores": value}


def with_exact_zero_margins(inputs: Inputs) -> Inputs:
    """Rows 2, 4, ...: s_y = margin / 2 and s_(y+1) = s_(y+2) = −margin / 2 (±0.5 at margin 1),
    so that those two margins are exactly 0 in any dtype for a margin that float32 holds
    exactly (two kinks a row: at least four in a case of N = 5)."""
    s, y = np.array(inputs["scores"]), np.asarray(inputs["y"])
    half = margin_of(inputs) / 2
    for r in range(2, s.shape[0], 2):
        s[r, y[r]] = half
        s[r, (y[r] + 1) % s.shape[1]] = s[r, (y[r] + 2) % s.shape[1]] = -half
    return {**inputs, "scores": s}


MULTICLASS_HINGE = OpDeclaration(
    name="multiclass_hinge", family="loss", forward=hm.multiclass_hinge_forward,
    backward=hm.multiclass_hinge_backward, reference=ref.multiclass_hinge,
    inputs=(Input(name="scores", shape=("N", "C"), grad="dscores", draw=draw_scores),
            Input(name="y", shape=("N",), dtype="int", high="C", draw=draw_labels)),
    cases=(Case("odd classes", {"N": 5, "C": 7}), Case("N=1", {"N": 1, "C": 3}),
           Case("odd batch", {"N": 7, "C": 11})),
    signature="forward(scores, y) -> (loss, cache); backward(dloss, cache) -> dscores",
    convention="loss = mean over N of Σ_{j ≠ y} max(0, s_j − s_y + 1) (CS231n's SVM loss, "
               "margin 1); scores: (N, C), y: int (N,); torch's nn.MultiMarginLoss divides "
               "each row by C as well (it is this loss / C); "
               + unit_convention("dloss", "the loss"),
    scalar_output=True, untrusted=hinge_untrusted,
    equations=at_unit("dloss", {"dscores": "dscores[n, j] = [s_j − s_y + 1 > 0] / N (j ≠ y_n), "
                                           "dscores[n, y_n] = −(margin count k_n) / N"}),
    kinks=KinkRule(hinge_kinks, hinge_follow,
                   "dscores[n, y_n] = −Σ_{j ≠ y_n} dscores[n, j], each kink term's slope "
                   "moving both"),
    kink_cases=((Case("margin exactly 0", {"N": 5, "C": 7}), with_exact_zero_margins),),
    mistakes=hinge_mistakes,
)

DECLARATIONS = (MULTICLASS_HINGE,)
