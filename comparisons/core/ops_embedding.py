"""The embedding lookup's declaration (``handmade.embedding`` / ``reference.embedding``).

``forward(idx, W) -> (out, cache); backward(dout, cache) -> dW`` with out = W[idx]: idx int of
any shape ((N, T) in its cases, (N,) in verify's layout case), W (V, D). dW[v] sums the dout of
every position that reads row v, so the usual mistake is an assignment (``dW[idx] = dout``: each
repeated row keeps one dout, ``repeated_index_not_accumulated``), or a loop over idx's rows of
the buffered ``dW[idx[n]] += dout[n]`` (a repeat within one row keeps one dout: the same code);
every case holds repeated indices (and unused rows).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
from numpy.typing import NDArray

import handmade as hm
import reference as ref
from comparisons.core.opdecl import DOUT, F64, Input, OpDeclaration, upstream_equation
from comparisons.core.ops import Case, Inputs

REPEATED = "rows v of dW whose index repeats in idx (dW[v] = the sum of every dout that read it)"


def indices_with_repeats(rng: np.random.Generator, shape: tuple[int, ...], dt: np.dtype,
                         drawn: Inputs) -> Any:
    """idx (N, T): the values 0 .. u − 1 (u = N·T − max(1, N·T // 4); every case has V > u, so
    some rows stay unused) once each, then the remaining positions drawn among them (at least
    one repeat), shuffled."""
    size = int(np.prod(shape))
    distinct = np.arange(size - max(1, size // 4))
    extra = rng.choice(distinct, size - distinct.size)
    return rng.permutation(np.concatenate([distinct, extra])).astype(np.int64).reshape(shape)


def flat_indices(inputs: Inputs) -> Inputs:
    """The case's idx (N, 1) as a 1-D idx (N,): the other layout students pass (a batch of
    single tokens), which the declared (N, T) shape cannot express."""
    return {**inputs, "idx": np.asarray(inputs["idx"]).reshape(-1)}


def buffered(idx: NDArray[np.int64], dout: F64, shape: tuple[int, int],
             axis: int) -> F64:
    """dW from a loop over ``axis`` of idx (0: its rows, -1: its columns) doing
    ``dW[idx_k] += dout_k``: NumPy's fancy-indexed ``+=`` is buffered (it reads dW[idx_k],
    adds, writes back), so an index repeated within one idx_k adds one of its douts (the
    last), while repeats across iterations do add up."""
    dW = np.zeros(shape)
    for k in range(idx.shape[axis]):
        dW[np.take(idx, k, axis=axis)] += np.take(dout, k, axis=axis if axis >= 0 else axis - 1)
    return dW


def embedding_mistakes(grad: str, inputs: dict[str, Any], dout: F64,
                       refs: Mapping[str, F64]) -> dict[str, Any]:
    """The ways of keeping one dout per repeated row (``repeated_index_not_accumulated``,
    any of them matches): dW by assignment (the last dout, as NumPy's ``dW[idx] = dout``
    keeps; ``dW[idx] += dout`` on zeros is the same), and for idx of 2 or more axes the
    buffered ``+=`` in a loop over idx's rows or over its columns (:func:`buffered`); and
    the mask of the repeated rows, where any such slip is wrong."""
    idx = np.asarray(inputs["idx"])
    V, D = np.shape(inputs["W"])
    assigned = np.zeros((V, D))
    assigned[idx] = dout
    ways = (assigned,) if idx.ndim < 2 else (
        assigned, buffered(idx, dout, (V, D), 0), buffered(idx, dout, (V, D), -1))
    counts = np.bincount(idx.reshape(-1), minlength=V)
    return {"candidates": {"repeated_index_not_accumulated": ways},
            "masks": {REPEATED: np.broadcast_to((counts > 1)[:, None], (V, D))},
            "dims": {"V": int(V), "D": int(D)}}


EMBEDDING = OpDeclaration(
    name="embedding", family="embedding", forward=hm.embedding_forward,
    backward=hm.embedding_backward, reference=ref.embedding,
    inputs=(Input(name="idx", shape=("N", "T"), dtype="int", high="V", draw=indices_with_repeats),
            Input(name="W", shape=("V", "D"), grad="dW")),
    cases=(Case("(N, T)", {"N": 5, "T": 3, "V": 13, "D": 7}),
           Case("N=1", {"N": 1, "T": 7, "V": 11, "D": 3}),
           Case("odd batch", {"N": 7, "T": 5, "V": 29, "D": 3})),
    layout_cases=((Case("idx (N,)", {"N": 11, "T": 1, "V": 17, "D": 5}), flat_indices),),
    signature="forward(idx, W) -> (out, cache); backward(dout, cache) -> dW",
    convention="out = W[idx]: idx int of any shape ((N, T) and (N,) here), W: (V, D), out: "
               "idx.shape + (D,); every case repeats some indices and leaves some rows "
               f"unused; idx has no gradient; {DOUT}",
    equations={"dW": upstream_equation(
        "dW = zeros((V, D)); np.add.at(dW, idx, dout): dW[v] = Σ over positions p with "
        "idx[p] == v of dout[p], repeated indices accumulate")},
    mistakes=embedding_mistakes,
)

DECLARATIONS = (EMBEDDING,)
