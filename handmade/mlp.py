"""The D2L two-layer network (section "backprop"), by hand, in the book's notation.

Row-wise minibatch X (N, d); W1 (h, d), W2 (q, h) in torch's (out, in) layout; optional hidden
bias b1 (h,), not regularised (book exercise 2); optional inverted dropout on h.

Forward:  z = X W1^T (+ b1)  (N, h);  h = phi(z);  h_drop = dropout(h);  o = h_drop W2^T  (N, q);
          L = l(o, Y);  s = lam/2 (||W1||^2 + ||W2||^2);  J = L + s   (scalars, 0-d arrays)
Backward, in the book's order (with dJ the upstream seed, 1 for the objective itself):
  1. dJ/dL = dJ/ds = 1            2. do = dL/do
  3. ds/dW = lam W                4. dW2 = do^T h_drop + lam W2
  5. dh = dropout'(do W2)         6. dz = dh * phi'(z)          7. dW1 = dz^T X + lam W1
l = MSE (mean over all N*q entries, no 1/2; Y float (N, q)) or softmax cross-entropy (mean over
N; Y int labels (N,)). Every step calls the pure pairs; no derivative is written twice.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, NamedTuple, TypedDict

import numpy as np
from numpy.typing import DTypeLike, NDArray

from handmade import init as _init
from handmade._checks import (
    check_cache,
    check_float_array,
    check_labels,
    check_nonnegative,
    check_probability,
    check_rng,
    check_same_dtype,
    check_scalar_grad,
    check_shape,
)
from handmade.activations import PAIRS as ACTIVATIONS
from handmade.activations import ActivationCache
from handmade.dropout import (
    DropoutCache,
    MaskSource,
    dropout_backward,
    dropout_forward,
    make_dropout_mask,
)
from handmade.linear import LinearCache, linear_backward, linear_forward
from handmade.losses import CrossEntropyCache, MSECache, mse_backward, mse_forward
from handmade.losses import softmax_cross_entropy_backward as ce_backward
from handmade.losses import softmax_cross_entropy_forward as ce_forward
from handmade.module import Module, Parameter
from handmade.network import TWO_LAYER
from handmade.regularization import L2Cache, l2_penalty_backward, l2_penalty_forward
from handmade.types import BoolArray, FloatArray, RealScalar

LossCache = MSECache | CrossEntropyCache
"""The cache of either loss pair."""

# As for the activations' PAIRS, a backward's cache is Any: the pair is chosen by name at run time.
LOSSES: dict[
    str, tuple[Callable[[FloatArray, NDArray[Any]], tuple[FloatArray, LossCache]],
               Callable[[RealScalar, Any], FloatArray]]
] = {"mse": (mse_forward, mse_backward), "cross_entropy": (ce_forward, ce_backward)}


class TwoLayerCaches(TypedDict):
    """The pairs' caches, one per step of the forward."""

    lin1: LinearCache
    phi: ActivationCache
    drop: DropoutCache
    lin2: LinearCache
    loss: LossCache
    pen1: L2Cache
    pen2: L2Cache


class TwoLayerCache(NamedTuple):
    """Forward values by the book's names, the dropout mask, and the pairs' caches."""

    z: FloatArray
    h: FloatArray
    h_drop: FloatArray
    o: FloatArray
    L: FloatArray
    s: FloatArray
    J: FloatArray
    mask: BoolArray | None
    phi: str
    loss: str
    caches: TwoLayerCaches


def _check_choice(name: str, value: str, options: Iterable[str]) -> str:
    if value not in options:
        raise ValueError(f"{name}: expected one of {tuple(options)}, got {value!r}")
    return value


def _check_inputs(
    X: FloatArray, Y: NDArray[Any], W1: FloatArray, W2: FloatArray, b1: FloatArray | None, loss: str
) -> None:
    """Shapes by the book's names: X (N, d), W1 (h, d), W2 (q, h), b1 (h,), Y (N, q) or (N,)."""
    named: list[tuple[str, NDArray[Any]]] = [("X", X), ("W1", W1), ("W2", W2)]
    for name, a in named:
        check_float_array(name, a, ndim=2)
    n, d = X.shape
    hid, q = W1.shape[0], W2.shape[0]
    net = TWO_LAYER  # the shapes in symbols: (h, d), (q, h), (h,)
    check_shape("W1", W1, (hid, d), symbols=net["W1"].shape, note=f"with d={d} to match X")
    check_shape("W2", W2, (q, hid), symbols=net["W2"].shape, note=f"with h={hid} to match W1")
    if b1 is not None:
        check_float_array("b1", b1, ndim=1)
        check_shape("b1", b1, (hid,), symbols=net["b1"].shape, note=f"with h={hid} to match W1")
        named.append(("b1", b1))
    if loss == "cross_entropy":
        check_labels("Y", Y, n, q)
    else:
        check_float_array("Y", Y, ndim=2)
        check_shape("Y", Y, (n, q), symbols="(N, q)", note=f"with N={n}, q={q}")
        named.append(("Y", Y))
    check_same_dtype(*named)


def two_layer_forward(
    X: FloatArray,
    Y: NDArray[Any],
    W1: FloatArray,
    W2: FloatArray,
    lam: float,
    *,
    phi: str = "relu",
    loss: str = "mse",
    b1: FloatArray | None = None,
    p: float = 0.0,
    mask: BoolArray | None = None,
    rng: np.random.Generator | None = None,
    train: bool = True,
) -> tuple[FloatArray, TwoLayerCache]:
    """Objective ``J = l(phi(X W1^T + b1) W2^T, Y) + lam/2 (||W1||^2 + ||W2||^2)`` (0-d).

    Defaults are the book's network: phi = ReLU, l = MSE, no bias, no dropout. Dropout (rate
    ``p``) uses ``mask`` (bool (N, h)) or draws one from ``rng``; it is off when not ``train``.
    """
    _check_choice("phi", phi, ACTIVATIONS)
    _check_choice("loss", loss, LOSSES)
    _check_inputs(X, Y, W1, W2, b1, loss)
    lam = check_nonnegative("lam", lam)
    z, c_lin1 = linear_forward(X, W1, b1)
    h, c_phi = ACTIVATIONS[phi][0](z)
    h_drop, c_drop = dropout_forward(h, p, mask=mask, rng=rng, train=train)
    o, c_lin2 = linear_forward(h_drop, W2)
    L, c_loss = LOSSES[loss][0](o, Y)
    s1, c_pen1 = l2_penalty_forward(W1, lam)
    s2, c_pen2 = l2_penalty_forward(W2, lam)
    s = np.asarray(s1 + s2)
    J = np.asarray(L + s)
    caches: TwoLayerCaches = {"lin1": c_lin1, "phi": c_phi, "drop": c_drop, "lin2": c_lin2,
              "loss": c_loss, "pen1": c_pen1, "pen2": c_pen2}
    return J, TwoLayerCache(z, h, h_drop, o, L, s, J, c_drop.mask, phi, loss, caches)


def two_layer_backward(dJ: RealScalar, cache: TwoLayerCache) -> dict[str, FloatArray]:
    """Gradients of ``dJ * J``, keyed and ordered as ``handmade.network.TWO_LAYER`` says: do,
    dW2, (dh_drop with a dropout mask), dh, dz, dW1, (db1 with a bias). Shapes: do (N, q),
    dW2 (q, h), dh_drop/dh/dz (N, h), dW1 (h, d), db1 (h,)."""
    cache = check_cache("cache", cache, TwoLayerCache, "two_layer_forward")
    c = cache.caches
    dJ = check_scalar_grad("dJ", dJ, cache.J.dtype)
    dL, ds = dJ, dJ                                           # 1. dJ/dL = dJ/ds = 1
    do = LOSSES[cache.loss][1](dL, c["loss"])                 # 2. dJ/do = dL/do
    ds_dW1 = l2_penalty_backward(ds, c["pen1"])               # 3. ds/dW1 = lam W1
    ds_dW2 = l2_penalty_backward(ds, c["pen2"])               #    ds/dW2 = lam W2
    dh_drop, do_dW2, _ = linear_backward(do, c["lin2"])       # do W2 (N, h), do^T h_drop
    dW2 = do_dW2 + ds_dW2                                     # 4. dW2 = do^T h_drop + lam W2
    dh = dropout_backward(dh_drop, c["drop"])                 # 5. dh = do W2 * mask / (1 - p)
    dz = ACTIVATIONS[cache.phi][1](dh, c["phi"])              # 6. dz = dh * phi'(z)
    _, dz_dW1, db1 = linear_backward(dz, c["lin1"])           #    dz^T X and sum_n dz
    dW1 = dz_dW1 + ds_dW1                                     # 7. dW1 = dz^T X + lam W1
    net = TWO_LAYER.configured(bias=db1 is not None, dropout=cache.mask is not None)
    computed = {"do": do, "dW2": dW2, "dh_drop": dh_drop, "dh": dh, "dz": dz, "dW1": dW1}
    if db1 is not None:
        computed["db1"] = db1
    return {g: computed[g] for g in net.gradients}  # the description's names and order


class TwoLayerMLP(Module):
    """Stateful twin of ``reference.TwoLayerMLP``: parameters W1 (h, d), W2 (q, h), b1 (h,).

    ``init`` names a weight initialiser of ``handmade.init`` (default N(0, sigma^2), the book's
    choice); b1 starts at 0 except with ``init="torch"``. With ``dropout > 0`` the mask on h comes
    from ``mask_source((N, h))`` if given, else from ``rng``; it is kept in ``self.mask``.
    """

    def __init__(
        self, d: int, h: int, q: int, *, phi: str = "relu", loss: str = "mse",
        lam: float = 0.0, bias: bool = False, dropout: float = 0.0,
        rng: np.random.Generator, dtype: DTypeLike = np.float64, init: str = "normal",
        sigma: float = 0.01, mask_source: MaskSource | None = None,
    ) -> None:
        super().__init__()
        self.phi = _check_choice("phi", phi, ACTIVATIONS)
        self.loss = _check_choice("loss", loss, LOSSES)
        self.lam = check_nonnegative("lam", lam)
        self.p = check_probability("dropout", dropout)
        self.rng = check_rng("rng", rng)
        self.mask_source = mask_source
        self.W1 = Parameter(_init.init_weight(init, (h, d), rng, dtype, sigma))
        self.W2 = Parameter(_init.init_weight(init, (q, h), rng, dtype, sigma))
        self.b1: Parameter | None = None
        if bias:
            b = (_init.torch_linear_default((h,), d, rng, dtype) if init == "torch"
                 else np.zeros(h, dtype=self.W1.dtype))
            self.b1 = Parameter(b)
        self.mask: BoolArray | None = None
        self.cache: TwoLayerCache | None = None

    def _draw_mask(self, shape: tuple[int, int]) -> BoolArray | None:
        if not self.training or self.p == 0:
            return None
        if self.mask_source is not None:
            return self.mask_source(shape)
        return make_dropout_mask(shape, self.p, self.rng)

    def forward(self, X: FloatArray, Y: NDArray[Any]) -> FloatArray:
        """J (0-d array) for inputs X (N, d) and targets Y; keeps the values for backward."""
        check_float_array("X", X, ndim=2)
        mask = self._draw_mask((X.shape[0], self.W1.shape[0]))
        b1 = None if self.b1 is None else self.b1.data
        J, self.cache = two_layer_forward(
            X, Y, self.W1.data, self.W2.data, self.lam, phi=self.phi, loss=self.loss, b1=b1,
            p=self.p, mask=mask, train=self.training)
        self.mask = self.cache.mask
        return J

    @property
    def values(self) -> dict[str, FloatArray]:
        """Forward values of the last call by the book's names: z, h, h_drop, o, L, s, J."""
        if self.cache is None:
            raise RuntimeError("TwoLayerMLP.values: call forward first")
        return {n: getattr(self.cache, n) for n in TWO_LAYER.values}

    def backward(self, dJ: RealScalar = 1.0) -> dict[str, FloatArray]:
        """Book-order gradients (see ``two_layer_backward``); overwrites W1/W2/b1 ``.grad``."""
        if self.cache is None:
            raise RuntimeError("TwoLayerMLP.backward: call forward first")
        grads = two_layer_backward(dJ, self.cache)
        self.W1.grad, self.W2.grad = grads["dW1"], grads["dW2"]
        if self.b1 is not None:
            self.b1.grad = grads["db1"]
        return grads

    def predict(self, X: FloatArray) -> FloatArray:
        """Outputs o = phi(X W1^T + b1) W2^T (N, q) without dropout and without caching."""
        b1 = None if self.b1 is None else self.b1.data
        z, _ = linear_forward(X, self.W1.data, b1)
        return linear_forward(ACTIVATIONS[self.phi][0](z)[0], self.W2.data)[0]
