"""``comparisons.verify(forward, backward, ...)``: the Python API, its report and renderings."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import numpy as np
import pytest
import torch

import comparisons
import handmade as hm
from comparisons.verification.report import VerifyReport


def _linear_backward_with(**changes: Any) -> Any:
    def backward(dout: np.ndarray, cache: Any) -> tuple[Any, Any, Any]:
        grads = dict(zip(("dx", "dW", "db"), hm.linear_backward(dout, cache)))
        return tuple(changes.get(k, lambda g: g)(v) for k, v in grads.items())

    return backward


def test_verify_is_a_plain_function_and_import_stays_light() -> None:
    code = ("import sys, types, comparisons, comparisons.verification.report; "
            "assert isinstance(comparisons.verify, types.FunctionType); "
            "assert 'torch' not in sys.modules")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr
    report = comparisons.verify(hm.linear_forward, hm.linear_backward, against="linear")
    assert isinstance(report, VerifyReport) and report.passed
    assert comparisons.VerifyReport is VerifyReport


def test_project_pairs_pass_for_every_builtin_op() -> None:
    from comparisons.core.builtin_ops import BUILTIN_OPS

    for name, spec in BUILTIN_OPS.items():
        report = comparisons.verify(spec.forward, spec.backward, name)
        assert report.passed, str(report)
        assert [g.name for g in report.gradients] == list(
            ("do", "dW2", "dh", "dz", "dW1") if spec.returns_dict else spec.grads)


def test_defaults_to_linear_and_diagnoses_a_transposed_dw() -> None:
    report = comparisons.verify(hm.linear_forward, _linear_backward_with(dW=np.transpose))
    assert report.op == "linear" and not report.passed
    dW = report.gradient("dW")
    assert (dW.diagnosis, dW.passed, dW.case) == ("transposed", False, report.cases[0])
    assert report.gradient("dx").passed and report.gradient("db").passed
    assert "dW = doutᵀ x" in dW.message  # points at the equation


def test_a_missing_gradient_is_reported_not_raised() -> None:
    report = comparisons.verify(hm.linear_forward, _linear_backward_with(db=lambda g: None))
    db = report.gradient("db")
    assert (db.diagnosis, db.passed) == ("wrong_shape", False) and "missing" in db.message


def test_in_place_edits_of_dout_or_inputs_cannot_fool_the_reference() -> None:
    def forward(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        np.negative(x, out=x)  # reuses its input's memory
        s = 1 / (1 + np.exp(x))
        return s, s

    def backward(dout: np.ndarray, s: np.ndarray) -> np.ndarray:
        dout *= s * (1 - s)  # edits dout in place: still a correct derivation
        return dout

    assert comparisons.verify(forward, backward, "sigmoid").passed


def test_same_seed_same_report_other_seed_other_numbers() -> None:
    def run(seed: int) -> dict[str, Any]:
        return comparisons.verify(hm.mse_forward, lambda d, c: 0.5 * hm.mse_backward(d, c),
                                  "mse", seed=seed).to_json()

    a, b, c = run(3), run(3), run(4)
    assert a == b
    assert a["gradients"][0]["diagnosis"] == c["gradients"][0]["diagnosis"] == "scaled"
    assert a["gradients"][0]["max_abs_err"] != c["gradients"][0]["max_abs_err"]


def test_report_renders_as_text_html_and_strict_json() -> None:
    report = comparisons.verify(hm.linear_forward, _linear_backward_with(dx=np.negative))
    text = str(report)
    assert "sign_flipped" in text and text.splitlines()[-1].startswith("verdict: FAILED")
    html = report._repr_html_()
    assert "<table>" in html and "#f8d0d0" in html and "#d9f2d9" in html
    data = json.loads(json.dumps(report.to_json(), allow_nan=False))
    assert data["passed"] is False and data["first_divergence"] is None
    ok = comparisons.verify(hm.linear_forward, hm.linear_backward)
    assert "#f8d0d0" not in ok._repr_html_() and "verdict: PASSED" in str(ok)


def test_a_forward_error_is_reported_with_the_user_traceback() -> None:
    def forward(x: np.ndarray) -> tuple[np.ndarray, None]:
        raise RuntimeError("not yet written")

    report = comparisons.verify(forward, lambda d, c: d, "tanh")
    assert not report.passed and report.error is not None
    assert "RuntimeError: not yet written" in report.error and "your forward" in report.error
    assert "runner.py" not in report.error
    assert json.loads(json.dumps(report.to_json()))["error"] == report.error


def test_a_wrong_forward_value_fails_even_with_right_gradients() -> None:
    def forward(x: np.ndarray) -> tuple[np.ndarray, Any]:
        out, cache = hm.sigmoid_forward(x)
        return out + 1, cache

    report = comparisons.verify(forward, hm.sigmoid_backward, "sigmoid")
    assert not report.forward.passed and not report.passed
    assert report.gradient("dx").passed and "forward value wrong" in report.verdict()


def test_custom_layer_with_a_non_differentiable_input() -> None:
    def forward(x: np.ndarray, t: np.ndarray) -> tuple[np.ndarray, Any]:
        return np.asarray(np.sum((x - t) ** 2)), (x, t)

    def backward(dloss: Any, cache: Any) -> np.ndarray:
        x, t = cache
        return dloss * (x - t)  # the 2 of the square forgotten

    def reference(x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        return ((x - t) ** 2).sum()

    report = comparisons.verify(forward, backward, "sq_dist", reference=reference,
                                shapes={"x": ("N", 3), "t": ("N", 3)}, nondiff=("t",))
    (dx,) = report.gradients
    assert (report.op, dx.name, dx.diagnosis, dx.factor) == ("sq_dist", "dx", "scaled", 0.5)


@pytest.mark.parametrize("kwargs, needle", [
    ({"against": "swish"}, "against: expected one of"),
    ({"dtype": "float16"}, "dtype"),
    ({"shapes": {"x": (2,)}}, "needs both"),
    ({"against": "relu", "reference": torch.relu, "shapes": {"x": (2,)}}, "built-in"),
])
def test_bad_arguments_raise_value_error(kwargs: dict[str, Any], needle: str) -> None:
    with pytest.raises(ValueError, match=needle):
        comparisons.verify(hm.relu_forward, hm.relu_backward, **kwargs)
    with pytest.raises(ValueError, match="forward"):
        comparisons.verify("relu", hm.relu_backward)


def test_a_custom_reference_autograd_cannot_use_is_reported() -> None:
    def forward(x: np.ndarray, w: np.ndarray) -> tuple[np.ndarray, Any]:
        return 2 * x, None

    report = comparisons.verify(forward, lambda d, c: (2 * d, 0 * d), "double",
                                reference=lambda x, w: 2 * x, shapes={"x": (3,), "w": (3,)})
    assert not report.passed and "autograd through your reference failed" in report.error
