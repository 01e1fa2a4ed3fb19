"""verify's upstream convention (dJ = 1 for an objective, one dJ ≠ 1 case) and a wrong forward.

* A scalar objective's gradient right as dJ/dθ but with a term not multiplied by dJ (the
  book's dW2 = doᵀ h + λ W2, a loss ignoring dloss) passes with an ``upstream_not_applied``
  note; wrong at dJ = 1, or not affine in dJ, it fails.
* A non-scalar op whose backward ignores dout fails with ``upstream_ignored``.
* A gradient right for the user's own (wrong) forward is ``consistent_with_own_forward``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

import comparisons
import handmade as hm
from comparisons.cli.main import main
from comparisons.core.builtin_ops import get_op
from comparisons.core.ops import make_dout
from comparisons.core.tolerances import tolerance
from comparisons.verification.diagnose import Diagnosis
from comparisons.verification.upstream import UPSTREAM_VALUE, upstream_pass

NOTE = "upstream_not_applied: "
UPSTREAM_CASE = {"two_layer": f"upstream dJ = {UPSTREAM_VALUE:g}",
                 "mse": f"upstream dloss = {UPSTREAM_VALUE:g}"}


def two_layer_forward(X: np.ndarray, Y: np.ndarray, W1: np.ndarray, W2: np.ndarray,
                      lam: float) -> tuple[Any, Any]:
    """J = mean((relu(X W1ᵀ) W2ᵀ − Y)²) + lam/2 (‖W1‖² + ‖W2‖²)."""
    z = X @ W1.T
    h = np.maximum(z, 0)
    o = h @ W2.T
    J = np.mean((o - Y) ** 2) + lam / 2 * (np.sum(W1**2) + np.sum(W2**2))
    return J, (X, Y, W1, W2, lam, z, h, o)


def two_layer_backward(dJ_in_do: bool, dJ_in_l2: bool, relu_grad: bool = True) -> Any:
    """A two-layer backward with dJ applied (or not) to do and to the λW terms."""
    def backward(dJ: Any, cache: Any) -> dict[str, Any]:
        X, Y, W1, W2, lam, z, h, o = cache
        do = 2 * (o - Y) / o.size * (dJ if dJ_in_do else 1.0)
        s = dJ if dJ_in_l2 else 1.0
        dh = do @ W2
        dz = dh * (z > 0) if relu_grad else dh
        return {"do": do, "dW2": do.T @ h + s * lam * W2, "dh": dh, "dz": dz,
                "dW1": dz.T @ X + s * lam * W1}
    return backward


def test_the_book_formula_passes_with_a_note_in_text_and_json(tmp_path: Path, capsys) -> None:
    report = comparisons.verify(two_layer_forward, two_layer_backward(True, False), "two_layer")
    assert report.passed and report.first_divergence is None, str(report)
    assert UPSTREAM_CASE["two_layer"] in report.cases
    for name, term in (("dW2", "lam*W2"), ("dW1", "lam*W1")):
        g = report.gradient(name)
        assert (g.diagnosis, g.passed) == ("ok", True)
        assert len(g.notes) == 1 and g.notes[0].startswith(NOTE + f"{name} is right as dJ/d")
        assert f"the term {term} is not multiplied by the upstream gradient dJ" in g.notes[0]
        assert f"dJ * lam * {name[1:]}" in g.notes[0]
    assert all(not report.gradient(n).notes for n in ("do", "dh", "dz"))
    assert "with upstream gradient 1" in report.gradient("dW2").message
    assert "dW2: note: upstream_not_applied" in str(report)
    rows = {r["name"]: r for r in json.loads(json.dumps(report.to_json()))["gradients"]}
    assert rows["dW2"]["notes"][0].startswith(NOTE) and rows["dW2"]["diagnosis"] == "ok"
    path = tmp_path / "book.py"
    path.write_text('OP = "two_layer"\nimport numpy as np\n'
                    "def forward(X, Y, W1, W2, lam):\n    z = X @ W1.T\n    h = np.maximum(z, 0)\n"
                    "    o = h @ W2.T\n"
                    "    J = np.mean((o - Y) ** 2) + lam / 2 * (np.sum(W1**2) + np.sum(W2**2))\n"
                    "    return J, (X, Y, W1, W2, lam, z, h, o)\n"
                    "def backward(dJ, c):\n    X, Y, W1, W2, lam, z, h, o = c\n"
                    "    do = 2 * (o - Y) / o.size * dJ\n    dW2 = do.T @ h + lam * W2\n"
                    "    dh = do @ W2\n    dz = dh * (z > 0)\n    dW1 = dz.T @ X + lam * W1\n"
                    "    return {'do': do, 'dW2': dW2, 'dh': dh, 'dz': dz, 'dW1': dW1}\n")
    out = tmp_path / "r.json"
    assert main(["verify", str(path), "--json", str(out)]) == 0
    assert "verdict: PASSED" in capsys.readouterr().out
    data = json.loads(out.read_text())
    assert data["first_divergence"] is None
    assert [r["notes"][0].split(":")[0] for r in data["gradients"] if r["notes"]] == [
        "upstream_not_applied", "upstream_not_applied"]


def test_no_dJ_anywhere_passes_with_a_note_on_every_gradient() -> None:
    report = comparisons.verify(two_layer_forward, two_layer_backward(False, False), "two_layer")
    assert report.passed, str(report)
    for g in report.gradients:
        assert g.notes and "is not multiplied by the upstream gradient dJ at all" in g.notes[0]


def test_dJ_applied_to_the_l2_terms_but_not_to_do_names_the_data_term() -> None:
    report = comparisons.verify(two_layer_forward, two_layer_backward(False, True), "two_layer")
    assert report.passed, str(report)
    assert "the term do.T @ h is not multiplied" in report.gradient("dW2").notes[0]
    assert "at all" in report.gradient("do").notes[0]


def _mse_forward(pred: np.ndarray, target: np.ndarray) -> tuple[Any, Any]:
    diff = pred - target
    return np.mean(diff**2), diff


def test_losses_and_the_penalty_ignoring_their_upstream_gradient_pass_with_a_note() -> None:
    def mse_backward(dloss: Any, diff: np.ndarray) -> np.ndarray:
        diff *= 2 / diff.size  # edits the cache in place: each run needs a fresh forward
        return diff

    def ce_forward(logits: np.ndarray, y: np.ndarray) -> tuple[Any, Any]:
        p = np.exp(logits - logits.max(axis=1, keepdims=True))
        p /= p.sum(axis=1, keepdims=True)
        return -np.mean(np.log(p[np.arange(len(y)), y])), (p, y)

    def ce_backward(dloss: Any, cache: Any) -> np.ndarray:
        p, y = cache
        p[np.arange(len(y)), y] -= 1
        return p / len(y)

    def l2_forward(W: np.ndarray, lam: float) -> tuple[Any, Any]:
        return lam / 2 * np.sum(W**2), (W, lam)

    for fwd, bwd, op, arg in ((_mse_forward, mse_backward, "mse", "dloss"),
                              (ce_forward, ce_backward, "softmax_cross_entropy", "dloss"),
                              (l2_forward, lambda ds, c: c[1] * c[0], "l2_penalty", "ds")):
        report = comparisons.verify(fwd, bwd, op)
        g = report.gradients[0]
        assert report.passed and (g.diagnosis, g.passed) == ("ok", True), str(report)
        assert len(g.notes) == 1 and g.notes[0].startswith(NOTE), g.notes
        assert f"({arg} = 1)" in g.notes[0] and f"upstream gradient {arg} at all" in g.notes[0]


def test_a_book_formula_passes_in_float32_too() -> None:
    report = comparisons.verify(two_layer_forward, two_layer_backward(True, False), "two_layer",
                                dtype="float32")
    assert report.passed, str(report)
    assert report.gradient("dW2").notes[0].startswith(NOTE)


def test_wrong_at_dJ_1_still_fails_with_its_own_diagnosis() -> None:
    report = comparisons.verify(two_layer_forward, two_layer_backward(True, False, False),
                                "two_layer")
    dz = report.gradient("dz")
    assert not report.passed and dz.diagnosis == "missing_activation_derivative"
    assert report.first_divergence == "dz" and dz.case != UPSTREAM_CASE["two_layer"]

    def mse_sum_backward(dloss: Any, diff: np.ndarray) -> np.ndarray:
        return 2 * diff  # no 1/numel and no dloss: scaled at dloss = 1

    bad = comparisons.verify(_mse_forward, mse_sum_backward, "mse")
    assert not bad.passed and bad.gradient("dpred").diagnosis == "scaled"


def test_an_upstream_bug_that_is_not_affine_fails_in_the_upstream_case_only() -> None:
    def backward(dloss: Any, diff: np.ndarray) -> np.ndarray:
        return dloss**2 * 2 * diff / diff.size  # right at dloss = 1 only

    report = comparisons.verify(_mse_forward, backward, "mse")
    g = report.gradient("dpred")
    assert not report.passed and not g.passed and not g.notes
    assert g.failing_cases == [UPSTREAM_CASE["mse"]] and g.diagnosis == "scaled"


def test_the_upstream_probes_run_only_when_needed_and_fresh() -> None:
    calls: list[float] = []

    def counting(backward: Any) -> Any:
        def wrapped(dloss: Any, cache: Any) -> Any:
            calls.append(float(dloss))
            return backward(dloss, cache)
        return wrapped

    right = comparisons.verify(_mse_forward, counting(lambda d, diff: d * 2 * diff / diff.size),
                               "mse")
    assert right.passed and not right.gradient("dpred").notes
    n_cases = len(right.cases)
    assert calls == [1.0] * (n_cases - 1) + [pytest.approx(UPSTREAM_VALUE)]
    calls.clear()
    noted = comparisons.verify(_mse_forward, counting(lambda d, diff: 2 * diff / diff.size), "mse")
    assert noted.passed and noted.gradient("dpred").notes
    assert len(calls) == n_cases + 2  # the probes at dloss = 1 and c2, nothing more


def test_make_dout_keeps_a_non_trivial_dJ_for_check_and_gives_1_to_verify() -> None:
    spec = get_op("mse")
    drawn = make_dout(spec, np.float64(0.3), np.random.default_rng(0))
    assert 0.5 <= float(drawn) <= 1.5 and float(drawn) != 1.0
    assert float(make_dout(spec, np.float64(0.3), np.random.default_rng(0),
                           unit_objective=True)) == 1.0


@pytest.mark.parametrize("op", ["linear", "relu", "sigmoid", "dropout"])
def test_a_non_scalar_backward_ignoring_dout_is_upstream_ignored(op: str) -> None:
    spec = get_op(op)

    def backward(dout: np.ndarray, cache: Any) -> Any:
        return spec.backward(np.ones_like(dout), cache)

    report = comparisons.verify(spec.forward, backward, op)
    assert not report.passed
    assert {g.diagnosis for g in report.gradients} == {"upstream_ignored"}, str(report)
    assert "ignores the upstream gradient" in report.gradients[0].message


def test_mse_whose_forward_and_backward_both_sum_is_consistent_with_its_own_forward() -> None:
    def forward(pred: np.ndarray, target: np.ndarray) -> tuple[Any, Any]:
        diff = pred - target
        return np.sum(diff**2), diff

    report = comparisons.verify(forward, lambda d, diff: d * 2 * diff, "mse")
    g = report.gradient("dpred")
    assert not report.passed and not report.forward.passed
    assert (g.diagnosis, g.passed, g.fd) == ("consistent_with_own_forward", False, "ok")
    assert g.message.startswith("dpred matches your own forward: your backward is right for "
                                "your forward; your forward differs from the reference (")
    assert "a sum where the reference takes the mean" in report.forward.difference
    verdict = report.verdict()
    assert "forward value wrong" in verdict and "fix the forward, not the backward" in verdict
    assert "gradients wrong" not in verdict
    assert "differs from the reference: yours = N·D × the reference" in str(report)


def test_softmax_ce_with_a_stabilised_log_is_consistent_with_its_own_forward() -> None:
    eps = 1e-5

    def forward(logits: np.ndarray, y: np.ndarray) -> tuple[Any, Any]:
        p = np.exp(logits - logits.max(axis=1, keepdims=True))
        p /= p.sum(axis=1, keepdims=True)
        return -np.mean(np.log(p[np.arange(len(y)), y] + eps)), (p, y)

    def backward(dloss: Any, cache: Any) -> np.ndarray:
        p, y = cache  # d/dlogits of −log(p_y + eps): −p_y / (p_y + eps) (onehot − p) / N
        py = p[np.arange(len(y)), y][:, None]
        onehot = np.eye(p.shape[1])[y]
        return dloss * py / (py + eps) * (p - onehot) / len(y)

    report = comparisons.verify(forward, backward, "softmax_cross_entropy")
    g = report.gradient("dlogits")
    assert g.diagnosis == "consistent_with_own_forward", str(report)
    assert "a tiny relative difference" in g.message and "eps" in g.message


def test_a_custom_layer_with_a_different_eps_or_an_unbiased_variance() -> None:
    def rms_reference(x: torch.Tensor) -> torch.Tensor:
        return x / torch.sqrt((x**2).mean(dim=1, keepdim=True) + 1e-5)

    def rms_forward(x: np.ndarray) -> tuple[Any, Any]:
        r = 1 / np.sqrt(np.mean(x**2, axis=1, keepdims=True) + 1e-8)
        return x * r, (x, r)

    def rms_backward(dout: np.ndarray, cache: Any) -> np.ndarray:
        x, r = cache
        return r * dout - r**3 * x * np.sum(dout * x, axis=1, keepdims=True) / x.shape[1]

    rms = comparisons.verify(rms_forward, rms_backward, "rms", reference=rms_reference,
                             shapes={"x": ("N", 4)})
    assert rms.gradient("dx").diagnosis == "consistent_with_own_forward", str(rms)
    assert "a tiny relative difference" in rms.forward.difference

    def var_reference(x: torch.Tensor) -> torch.Tensor:
        return x.var(dim=1, unbiased=False)

    def var_forward(x: np.ndarray) -> tuple[Any, Any]:
        return x.var(axis=1, ddof=1), x

    def var_backward(dout: np.ndarray, x: np.ndarray) -> np.ndarray:
        centred = x - x.mean(axis=1, keepdims=True)
        return 2 * centred * dout[:, None] / (x.shape[1] - 1)

    var = comparisons.verify(var_forward, var_backward, "var", reference=var_reference,
                             shapes={"x": ("N", 5)})
    assert var.gradient("dx").diagnosis == "consistent_with_own_forward", str(var)
    assert "an unbiased variance" in var.forward.difference


def test_a_wrong_forward_with_a_wrong_backward_keeps_the_backward_diagnosis() -> None:
    def forward(pred: np.ndarray, target: np.ndarray) -> tuple[Any, Any]:
        diff = pred - target
        return np.sum(diff**2), diff

    report = comparisons.verify(forward, lambda d, diff: -d * 2 * diff / diff.size, "mse")
    g = report.gradient("dpred")
    assert g.diagnosis == "sign_flipped" and g.fd == "FAIL", str(report)
    assert "fix the forward, not the backward" not in report.verdict()


def test_a_forward_off_by_a_constant_is_named() -> None:
    def forward(x: np.ndarray) -> tuple[Any, Any]:
        out, cache = hm.sigmoid_forward(x)
        return out + 0.25, cache

    report = comparisons.verify(forward, hm.sigmoid_backward, "sigmoid")
    assert report.gradient("dx").passed and not report.forward.passed
    assert report.forward.difference is not None
    assert "a constant offset" in report.forward.difference and "0.25" in report.forward.difference


def test_upstream_pass_refuses_a_gradient_wrong_at_dJ_1_or_missing() -> None:
    spec, tol = get_op("mse"), tolerance("autograd")
    g1 = np.arange(1.0, 7.0).reshape(2, 3)
    runs = [g1, g1, g1]  # dloss ignored: affine with B = g1
    right = Diagnosis("ok", "dpred matches the reference.", passed=True)
    wrong = Diagnosis("scaled", "dpred is scaled.", factor=2.0)
    passing = upstream_pass(spec, "dpred", right, runs, (1.7, 0.35), {}, tol)
    assert passing is not None and passing.passed and passing.notes[0].startswith(NOTE)
    assert upstream_pass(spec, "dpred", wrong, runs, (1.7, 0.35), {}, tol) is None
    assert upstream_pass(spec, "dpred", right, [g1, None, g1], (1.7, 0.35), {}, tol) is None
    linear = [g1, 1.7 * g1, 0.35 * g1]  # right for every dJ: nothing to note
    assert upstream_pass(spec, "dpred", right, linear, (1.7, 0.35), {}, tol) is None


def test_two_layer_with_a_summed_loss_and_its_own_backward_names_no_divergence() -> None:
    def forward(X: np.ndarray, Y: np.ndarray, W1: np.ndarray, W2: np.ndarray,
                lam: float) -> tuple[Any, Any]:
        z = X @ W1.T
        h = np.maximum(z, 0)
        o = h @ W2.T
        J = np.sum((o - Y) ** 2) + lam / 2 * (np.sum(W1**2) + np.sum(W2**2))
        return J, (X, Y, W1, W2, lam, z, h, o)

    def backward(dJ: Any, cache: Any) -> dict[str, Any]:
        X, Y, W1, W2, lam, z, h, o = cache
        do = dJ * 2 * (o - Y)
        dh = do @ W2
        dz = dh * (z > 0)
        return {"do": do, "dW2": do.T @ h + dJ * lam * W2, "dh": dh, "dz": dz,
                "dW1": dz.T @ X + dJ * lam * W1}

    report = comparisons.verify(forward, backward, "two_layer")
    assert not report.passed and report.first_divergence is None, str(report)
    for name in ("dW1", "dW2"):
        assert report.gradient(name).diagnosis == "consistent_with_own_forward", str(report)
    assert "first divergence" not in report.verdict()
