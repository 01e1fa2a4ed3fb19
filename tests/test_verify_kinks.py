"""Subgradients at kinks: every valid value at x == 0 / pred == 1 / z == 0 passes, with a note.

Real students write relu′(0) as 0 or 1 (``x > 0``, ``x >= 0``, ``dx[x < 0] = 0``, in-place masks);
torch picks 0 for relu and 1 for clamp(min=1). Any t in [0, 1] is a valid subgradient; a value
outside the segment (2 · dout, −dout) is still a localized bug at the kink.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import comparisons
from comparisons.core.builtin_ops import get_op
from comparisons.core.ops import call_forward, reference_run
from comparisons.verification.candidates import EXTRA_CASES
from comparisons.verification.kinks import KINKS, choice
from comparisons.verification.loader import import_file, verify_file

GALLERY = Path(__file__).parent / "verify_gallery"
Backward = Callable[[np.ndarray, Any], Any]


def _relu_forward(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return np.maximum(x, 0), x


def _lt_mask_copy(dout: np.ndarray, x: np.ndarray) -> np.ndarray:
    dx = dout.copy()
    dx[x < 0] = 0
    return dx


def _inplace_dout_lt(dout: np.ndarray, x: np.ndarray) -> np.ndarray:
    dout[x < 0] = 0
    return dout


def _inplace_dout_le(dout: np.ndarray, x: np.ndarray) -> np.ndarray:
    dout[x <= 0] = 0
    return dout


def _inplace_cached_x(dout: np.ndarray, x: np.ndarray) -> np.ndarray:
    x[x >= 0] = 1  # the cached input overwritten by relu′, 1 at the kink
    x[x < 0] = 0
    return dout * x


TORCH_CHOICE: dict[str, Backward] = {  # relu′(0) = 0, as torch
    "x > 0": lambda d, x: d * (x > 0),
    "np.where(x > 0, dout, 0)": lambda d, x: np.where(x > 0, d, 0),
    "in-place dout[x <= 0] = 0": _inplace_dout_le,
}
OTHER_CHOICE: dict[str, Backward] = {  # relu′(0) = 1
    "x >= 0": lambda d, x: d * (x >= 0),
    "dx[x < 0] = 0": _lt_mask_copy,
    "np.where(x >= 0, dout, 0)": lambda d, x: np.where(x >= 0, d, 0),
    "in-place dout[x < 0] = 0": _inplace_dout_lt,
    "in-place on the cached x": _inplace_cached_x,
}
RELU_NOTE = ("subgradient_at_kink: at the 7 elements where x == 0 (first (0, 0), (0, 3)), torch "
             "uses 0 and you use 1 (dx = dout); both are valid subgradients of relu there.")


@pytest.mark.parametrize("backward", TORCH_CHOICE.values(), ids=list(TORCH_CHOICE))
def test_relu_with_torchs_choice_passes_without_a_note(backward: Backward) -> None:
    report = comparisons.verify(_relu_forward, backward, "relu")
    assert report.passed, str(report)
    assert report.gradient("dx").notes == [] and "note:" not in str(report)


@pytest.mark.parametrize("backward", OTHER_CHOICE.values(), ids=list(OTHER_CHOICE))
def test_relu_with_one_at_the_kink_passes_with_the_note(backward: Backward) -> None:
    report = comparisons.verify(_relu_forward, backward, "relu")
    assert report.passed, str(report)
    dx = report.gradient("dx")
    assert (dx.diagnosis, dx.notes) == ("ok", [RELU_NOTE])
    assert "dx: note: subgradient_at_kink: at the 7 elements where x == 0" in str(report)
    data = json.loads(json.dumps(report.to_json(), allow_nan=False))
    assert data["passed"] is True and data["gradients"][0]["notes"] == [RELU_NOTE]


def test_relu_kink_holds_in_float32_too() -> None:
    report = comparisons.verify(_relu_forward, OTHER_CHOICE["x >= 0"], "relu", dtype="float32")
    assert report.passed and report.gradient("dx").notes == [RELU_NOTE], str(report)


@pytest.mark.parametrize("factor", [2.0, -1.0])
def test_a_value_outside_the_subdifferential_stays_a_localized_bug(factor: float) -> None:
    def backward(dout: np.ndarray, x: np.ndarray) -> np.ndarray:
        return dout * (x > 0) + factor * dout * (x == 0)

    report = comparisons.verify(_relu_forward, backward, "relu")
    dx = report.gradient("dx")
    assert not report.passed and dx.case == "exact zeros"
    assert (dx.diagnosis, dx.details["pattern"], dx.details["pattern_match"]) == (
        "localized", "x == 0 (ReLU kink)", "exact")
    assert dx.notes == []


def test_the_note_says_exactly_which_t_was_used() -> None:
    half = comparisons.verify(_relu_forward, lambda d, x: d * np.heaviside(x, 0.5), "relu")
    assert half.passed
    assert "you use t = 0.5 (dx = 0.5 · dout);" in half.gradient("dx").notes[0]

    def alternate(dout: np.ndarray, x: np.ndarray) -> np.ndarray:
        every_other = np.arange(x.size).reshape(x.shape) % 2 == 1
        return dout * ((x > 0) | ((x == 0) & every_other))

    mixed = comparisons.verify(_relu_forward, alternate, "relu")
    assert mixed.passed
    assert "you use a mix (0 at 4, 1 (dx = dout) at 3 of them);" in mixed.gradient("dx").notes[0]


def test_choice_names_zero_one_a_constant_t_and_a_mix() -> None:
    one = np.array([2.0, -1.0, 4.0])
    assert choice(0 * one, one, 1e-12) == "0"
    assert choice(one, one, 1e-12, "dx = ", "dout") == "1 (dx = dout)"
    assert choice(0.25 * one, one, 1e-12) == "t = 0.25"
    assert choice(one * [0, 1, 0.5], one, 1e-12) == "a mix (0 at 1, 1 at 1, a t strictly " \
                                                    "between at 1 of them)"


def _log_rmse_forward(pred: np.ndarray, target: np.ndarray) -> tuple[np.ndarray, Any]:
    diff = np.log(np.maximum(pred, 1)) - np.log(target)
    loss = np.sqrt(np.mean(diff**2))
    return np.asarray(loss, dtype=pred.dtype), (pred, diff, loss)


def _log_rmse_backward(mask: Callable[[np.ndarray], np.ndarray], factor: float = 1.0) -> Backward:
    def backward(dloss: Any, cache: Any) -> np.ndarray:
        pred, diff, loss = cache
        g = dloss * diff / (diff.size * loss * pred) * mask(pred)
        return g * np.where(pred == 1, factor, 1.0)

    return backward


def test_log_rmse_clamp_written_with_either_inequality_passes() -> None:
    ge = comparisons.verify(_log_rmse_forward, _log_rmse_backward(lambda p: p >= 1), "log_rmse")
    assert ge.passed and ge.gradient("dpred").notes == [], str(ge)  # torch: clamp passes, t = 1
    gt = comparisons.verify(_log_rmse_forward, _log_rmse_backward(lambda p: p > 1), "log_rmse")
    assert gt.passed, str(gt)
    (note,) = gt.gradient("dpred").notes
    assert note.startswith("subgradient_at_kink: at the 5 elements where pred == 1 (first")
    assert "torch uses 1 and you use 0 (dpred = 0); both are valid subgradients of the clamp " \
           "max(pred, 1) there." in note
    bad = comparisons.verify(_log_rmse_forward, _log_rmse_backward(lambda p: p >= 1, 3.0),
                             "log_rmse")
    assert bad.gradient("dpred").diagnosis == "localized" and not bad.passed


def _two_layer_backward(relu_grad: Callable[[np.ndarray], np.ndarray],
                        dW1_from_torch_choice: bool = False) -> Backward:
    def backward(dJ: Any, cache: Any) -> dict[str, np.ndarray]:
        X, Y, W1, W2, lam, z, h, o = cache
        do = dJ * 2 * (o - Y) / o.size
        dh = do @ W2
        dz = dh * relu_grad(z)
        dz_w = dh * (z > 0) if dW1_from_torch_choice else dz
        return {"do": do, "dW2": do.T @ h + dJ * lam * W2, "dh": dh, "dz": dz,
                "dW1": dz_w.T @ X + dJ * lam * W1}

    return backward


def _two_layer_forward(X: np.ndarray, Y: np.ndarray, W1: np.ndarray, W2: np.ndarray,
                       lam: float) -> tuple[np.ndarray, Any]:
    z = X @ W1.T
    h = np.maximum(z, 0)
    o = h @ W2.T
    J = np.mean((o - Y) ** 2) + lam / 2 * (np.sum(W1**2) + np.sum(W2**2))
    return np.asarray(J, dtype=X.dtype), (X, Y, W1, W2, lam, z, h, o)


def test_two_layer_with_ge_mask_passes_dz_and_the_dW1_that_follows() -> None:
    report = comparisons.verify(_two_layer_forward, _two_layer_backward(lambda z: z >= 0),
                                "two_layer")
    assert report.passed, str(report)
    dz, dW1 = report.gradient("dz"), report.gradient("dW1")
    assert dz.notes == ["subgradient_at_kink: at the 4 elements where z == 0 (first (0, 0), "
                        "(0, 1)), torch uses 0 and you use 1 (dz = dh); both are valid "
                        "subgradients of relu there."]
    assert len(dW1.notes) == 1 and "recomputed from your valid choice" in dW1.notes[0]
    assert "dW1 = dzᵀ X + lam W1" in dW1.notes[0]
    torch_choice = comparisons.verify(_two_layer_forward, _two_layer_backward(lambda z: z > 0),
                                      "two_layer")
    assert torch_choice.passed and all(g.notes == [] for g in torch_choice.gradients)


def test_two_layer_dW1_from_torchs_choice_is_valid_too() -> None:
    backward = _two_layer_backward(lambda z: z >= 0, dW1_from_torch_choice=True)
    report = comparisons.verify(_two_layer_forward, backward, "two_layer")
    assert report.passed and report.gradient("dW1").notes == [], str(report)


def test_two_layer_invalid_kink_value_is_localized_at_z_zero() -> None:
    report = comparisons.verify(_two_layer_forward,
                                _two_layer_backward(lambda z: (z > 0) - 1.0 * (z == 0)),
                                "two_layer")
    dz = report.gradient("dz")
    assert not report.passed and report.first_divergence == "dz"
    assert (dz.diagnosis, dz.details["pattern"]) == ("localized", "z == 0 (ReLU kink)")


@pytest.mark.parametrize("op", sorted(KINKS))
def test_every_op_with_kinks_has_a_case_that_hits_them(op: str) -> None:
    spec = get_op(op)
    ((case, transform),) = EXTRA_CASES[op]
    inputs = transform(spec.make_inputs(np.random.default_rng(0), case, np.dtype("float64")))
    out = call_forward(spec, spec.forward, inputs)[0]  # maxpool2d: out is not x-shaped
    dout = np.asarray(1.0) if spec.scalar_output else np.ones_like(out)
    ref = {k: np.asarray(v, np.float64) for k, v in reference_run(spec, inputs, dout)[1].items()}
    kinks = KINKS[op].find(inputs, dout, ref)
    assert kinks and all(k.mask.sum() >= 4 for k in kinks)
    assert all(np.abs(k.one[k.mask]).min() > 0 for k in kinks)  # the choice of t matters there


def test_gallery_files_declaring_notes_pass_with_them() -> None:
    declared = [p for p in sorted(GALLERY.glob("*.py")) if hasattr(import_file(p)[1], "NOTES")]
    assert declared
    for path in declared:
        report = verify_file(path)
        assert report.passed, str(report)
        for name, code in import_file(path)[1].NOTES.items():
            assert [n.split(":")[0] for n in report.gradient(name).notes] == [code]
