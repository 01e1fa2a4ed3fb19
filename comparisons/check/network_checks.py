"""The D2L network, class against class: ``handmade.TwoLayerMLP`` vs ``reference.TwoLayerMLP``.

Weights are copied one-to-one (same names, same layouts), dropout draws from one shared mask,
and every tensor is compared: the objective J and every gradient ``handmade.network.TWO_LAYER``
names for the scenario's parts, in backward order: dJ/do, dJ/dW2, (dJ/dh_drop), dJ/dh, dJ/dz,
dJ/dW1, (dJ/db1) (retained gradients on torch's side); the weight gradients dJ/dW1 and dJ/dW2
are also checked against central finite differences of the hand-written forward.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from numpy.typing import NDArray

import handmade as hm
import reference as ref
from comparisons.core.compare import Check, compare
from comparisons.core.finite_diff import numerical_gradient
from comparisons.core.tolerances import tolerance
from handmade.network import BOOK, TWO_LAYER


@dataclass(frozen=True)
class Scenario:
    """One configuration of the network to check."""

    label: str
    n: int = 5
    d: int = 4
    h: int = 6
    q: int = 3
    options: dict[str, Any] = field(default_factory=dict)


SCENARIOS = (
    Scenario("relu, λ=0.1", options={"phi": "relu", "lam": 0.1}),
    Scenario("sigmoid, λ=0.1", options={"phi": "sigmoid", "lam": 0.1}),
    Scenario("tanh, λ=0.1", options={"phi": "tanh", "lam": 0.1}),
    Scenario("N=1, d≠h≠q", n=1, d=3, h=5, q=2, options={"phi": "relu", "lam": 0.05}),
    Scenario("hidden bias", options={"phi": "tanh", "lam": 0.1, "bias": True}),
    Scenario("dropout 0.5, shared mask", options={"phi": "relu", "lam": 0.1, "dropout": 0.5}),
    Scenario("cross-entropy", q=4, options={"phi": "relu", "lam": 0.1, "loss": "cross_entropy"}),
)


def fixed_mask_source(mask: NDArray[np.bool_]) -> Callable[[tuple[int, ...]], NDArray[np.bool_]]:
    """A mask source that always hands out ``mask`` (one mask, both engines)."""

    def source(shape: tuple[int, ...]) -> NDArray[np.bool_]:
        if tuple(shape) != mask.shape:
            raise ValueError(f"mask source: expected shape {mask.shape}, got {tuple(shape)}")
        return mask

    return source


def _targets(sc: Scenario, rng: np.random.Generator, dtype: str) -> NDArray[Any]:
    if sc.options.get("loss") == "cross_entropy":
        return rng.integers(0, sc.q, size=sc.n)
    return rng.standard_normal((sc.n, sc.q)).astype(dtype)


def _models(sc: Scenario, rng: np.random.Generator, dtype: str) -> tuple[Any, Any]:
    opts = dict(sc.options)
    if opts.get("dropout", 0.0) > 0:
        mask = hm.make_dropout_mask((sc.n, sc.h), opts["dropout"], rng)
        opts["mask_source"] = fixed_mask_source(mask)
    mine = hm.TwoLayerMLP(sc.d, sc.h, sc.q, rng=rng, dtype=dtype, init="normal", sigma=0.7,
                          **opts)
    if mine.b1 is not None:
        mine.b1.data[...] = rng.standard_normal(sc.h).astype(dtype)
    theirs = ref.TwoLayerMLP(sc.d, sc.h, sc.q, **opts).to(getattr(torch, dtype))
    theirs.load_state_dict({k: torch.from_numpy(v.copy()) for k, v in mine.state_dict().items()})
    return mine, theirs


def _float64_twin(sc: Scenario, mine: Any) -> Any:
    """The same network in float64 (same weights, same mask source) for finite differences."""
    opts = {k: v for k, v in sc.options.items()}
    twin = hm.TwoLayerMLP(sc.d, sc.h, sc.q, rng=np.random.default_rng(0), dtype=np.float64,
                          mask_source=mine.mask_source, **opts)
    twin.load_state_dict(mine.state_dict())
    return twin


def _fd_rows(name: str, sc: Scenario, mine: Any, X: NDArray[Any], Y: NDArray[Any],
             grads: dict[str, Any], dtype: str) -> list[Check]:
    """dW1 and dW2 against central differences of the hand-written forward in float64."""
    mine = mine if dtype == "float64" else _float64_twin(sc, mine)
    X = X.astype(np.float64)
    Y = Y if Y.dtype.kind in "iu" else Y.astype(np.float64)
    rows = []
    for pname in BOOK.of_kind("parameter"):  # W1, W2
        gname = BOOK.grad(pname)
        param = getattr(mine, pname)
        original = param.data.copy()

        def objective(w: NDArray[np.float64], param: Any = param) -> float:
            param.data = w
            return float(mine.forward(X, Y))

        expected = numerical_gradient(objective, original)
        param.data = original
        rows.append(compare(grads[gname], expected, name=name, tensor=gname,
                            against="finite_differences", check_dtype=False,
                            tol=tolerance("finite_differences", dtype)))
    return rows


def scenario_checks(sc: Scenario, dtype: str, rng: np.random.Generator) -> list[Check]:
    """All rows for one scenario."""
    name = f"TwoLayerMLP[{sc.label}]"
    mine, theirs = _models(sc, rng, dtype)
    X = rng.standard_normal((sc.n, sc.d)).astype(dtype)
    Y = _targets(sc, rng, dtype)
    J = mine.forward(X, Y)
    grads = mine.backward(1.0)
    J_ref = theirs(torch.from_numpy(X), torch.from_numpy(Y))
    J_ref.backward()
    net = TWO_LAYER.configured(bias=mine.b1 is not None, dropout=mine.mask is not None)
    expected = {g: (getattr(theirs, n) if net[n].kind == "parameter" else theirs.values[n]).grad
                for g, n in net.gradient_nodes.items()}  # do, dW2, (dh_drop), dh, dz, dW1, (db1)
    rows = [compare(J, J_ref, name=name, tensor="J", against="autograd")]
    rows += [compare(grads[k], v, name=name, tensor=k, against="autograd")
             for k, v in expected.items()]
    return rows + _fd_rows(name, sc, mine, X, Y, grads, dtype)


def network_checks(dtype: str, rng: np.random.Generator) -> list[Check]:
    """Rows for every scenario in :data:`SCENARIOS`."""
    rows: list[Check] = []
    for sc in SCENARIOS:
        rows.extend(scenario_checks(sc, dtype, rng))
    return rows
