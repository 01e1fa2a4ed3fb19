"""``first_divergence``: walking the backward order, name the first wrong gradient only."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.typing import NDArray

from comparisons.core.tolerances import tolerance
from comparisons.verification.diagnose import Diagnosis, diagnose, first_divergence

TOL = tolerance("autograd", np.float64)


def _rng(seed: int) -> np.random.Generator:
    return np.random.default_rng(seed)


def _two_layer_grads(bug: str | None) -> dict[str, NDArray[np.float64]]:
    """Gradients of the D2L net (ReLU, MSE mean, no L2), with a bug injected at one node."""
    rng = _rng(3)
    x, y = rng.normal(size=(5, 4)), rng.normal(size=(5, 2))
    w1, w2 = rng.normal(size=(3, 4)), rng.normal(size=(2, 3))
    z = x @ w1.T
    h = np.maximum(z, 0)
    grads = {"do": 2 * (h @ w2.T - y) / y.size}
    grads["do"] *= 2 if bug == "do" else 1
    grads["dW2"] = grads["do"].T @ h * (-1 if bug == "dW2" else 1)
    grads["dh"] = grads["do"] @ w2 * (2 if bug == "dh" else 1)
    grads["dz"] = grads["dh"] * (z > 0)
    grads["dW1"] = grads["dz"].T @ x
    return grads


ORDER = ["do", "dW2", "dh", "dz", "dW1"]
DEPS = {"dW2": ["do"], "dh": ["do"], "dz": ["dh"], "dW1": ["dz"]}


@pytest.mark.parametrize("bug", ["do", "dW2", "dh", None])
def test_first_divergence_names_only_the_first(bug):
    ref, got = _two_layer_grads(None), _two_layer_grads(bug)
    results = {k: diagnose(got[k], ref[k], name=k, tol=TOL) for k in ORDER}
    assert first_divergence(results, ORDER, DEPS) == bug
    if bug == "dh":
        assert not results["dW1"].passed  # the error propagated, yet only dh is named


def test_first_divergence_walks_transitively():
    ok = Diagnosis("ok", "", passed=True)
    bad = Diagnosis("unknown", "")
    results = {"do": bad, "dh": ok, "dz": bad}
    assert first_divergence(results, ["dz", "dh", "do"], {"dz": ["dh"], "dh": ["do"]}) == "do"
