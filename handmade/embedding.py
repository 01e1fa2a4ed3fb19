"""Embedding lookup by hand: ``out = W[idx]`` (torch.nn.Embedding, F.embedding).

| tensor | shape           | meaning                                              |
|--------|-----------------|------------------------------------------------------|
| idx    | any, integer    | row indices into W, each in [0, V)                   |
| W      | (V, D)          | the embedding table (float32 or float64)             |
| out    | idx.shape + (D,)| ``out[..., :] = W[idx[...], :]``                     |
| dout   | idx.shape + (D,)| the upstream gradient of out                         |
| dW     | (V, D)          | ``dW[v] = Σ over positions p with idx[p] == v of dout[p]`` |

Derivative: out is linear in W, ``∂out[p, d] / ∂W[v, d] = [idx[p] == v]``, so every position
that reads row v adds its dout to dW[v]: a repeated index accumulates (``np.add.at``), an
assignment ``dW[idx] = dout`` would keep only one of them. idx has no gradient.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np
from numpy.typing import DTypeLike

from handmade._checks import (
    check_cache,
    check_float_array,
    check_grad,
    check_positive_int,
    check_rng,
)
from handmade.module import Module, Parameter
from handmade.types import FloatArray, IntArray

__all__ = ["Embedding", "EmbeddingCache", "embedding_backward", "embedding_forward"]


class EmbeddingCache(NamedTuple):
    """The indices, and the table's shape and dtype (dW is built from them)."""

    idx: IntArray
    shape: tuple[int, int]
    dtype: np.dtype[Any]


def check_indices(idx: object, num_embeddings: int) -> IntArray:
    """idx: an integer ndarray (any shape), every value in [0, num_embeddings)."""
    if not isinstance(idx, np.ndarray) or idx.dtype.kind not in "iu":
        kind = idx.dtype if isinstance(idx, np.ndarray) else type(idx).__name__
        raise ValueError(f"idx: expected an integer ndarray, got {kind}")
    if idx.size and (idx.min() < 0 or idx.max() >= num_embeddings):
        bad = idx.min() if idx.min() < 0 else idx.max()
        raise ValueError(f"idx: expected values in [0, {num_embeddings}), got {bad}")
    return idx


def embedding_forward(idx: IntArray, W: FloatArray) -> tuple[FloatArray, EmbeddingCache]:
    """``out = W[idx]``: idx integer of any shape, W (V, D) -> out idx.shape + (D,)."""
    check_float_array("W", W, ndim=2)
    idx = check_indices(idx, W.shape[0])
    return W[idx], EmbeddingCache(idx, (W.shape[0], W.shape[1]), W.dtype)


def embedding_backward(dout: FloatArray, cache: EmbeddingCache) -> FloatArray:
    """``dW = zeros((V, D)); np.add.at(dW, idx, dout)``: repeated indices accumulate."""
    idx, shape, dtype = check_cache("cache", cache, EmbeddingCache, "embedding_forward")
    check_grad("dout", dout, (*idx.shape, shape[1]), dtype)
    dW = np.zeros(shape, dtype=dtype)
    np.add.at(dW, idx, dout)
    return dW


class Embedding(Module):
    """A lookup table with parameter ``weight`` (num_embeddings, embedding_dim), drawn
    N(0, 1) as torch.nn.Embedding; ``forward(idx) -> weight[idx]``, ``backward(dout)`` writes
    ``weight.grad`` and returns None (idx has no gradient)."""

    def __init__(self, num_embeddings: int, embedding_dim: int, *, rng: np.random.Generator,
                 dtype: DTypeLike = np.float64) -> None:
        super().__init__()
        shape = (check_positive_int("num_embeddings", num_embeddings),
                 check_positive_int("embedding_dim", embedding_dim))
        self.weight = Parameter(check_rng("rng", rng).standard_normal(shape).astype(dtype))
        self.cache: EmbeddingCache | None = None

    @property
    def num_embeddings(self) -> int:
        """V."""
        return self.weight.shape[0]

    @property
    def embedding_dim(self) -> int:
        """D."""
        return self.weight.shape[1]

    def forward(self, idx: IntArray) -> FloatArray:
        """weight[idx], shape idx.shape + (D,)."""
        out, self.cache = embedding_forward(idx, self.weight.data)
        return out

    def backward(self, dout: FloatArray) -> None:
        """Write ``weight.grad`` (overwrite) from dout, idx.shape + (D,)."""
        if self.cache is None:
            raise RuntimeError("Embedding.backward: call forward first")
        self.weight.grad = embedding_backward(dout, self.cache)

    def __repr__(self) -> str:
        return f"Embedding({self.num_embeddings}, {self.embedding_dim})"
