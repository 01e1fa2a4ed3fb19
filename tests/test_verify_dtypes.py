"""What a backward may return: lists and torch tensors are arrays; the dtype is named when wrong.

A float32 gradient in a float64 run is ``wrong_dtype`` (its values judged at float32 tolerance);
float32 in a float32 run and float64 in a float32 run are fine; a ragged list is named as an
array of dtype object, never "missing" (that is for None).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import torch

import comparisons
import handmade as hm
from comparisons.verification import runner
from comparisons.verification.report import VerifyReport

Grads = tuple[Any, Any, Any]


def _linear(change: Callable[[np.ndarray, np.ndarray, np.ndarray], Grads],
            dtype: str = "float64") -> VerifyReport:
    def backward(dout: np.ndarray, cache: Any) -> Grads:
        return change(*hm.linear_backward(dout, cache))

    return comparisons.verify(hm.linear_forward, backward, "linear", dtype=dtype)


def test_float32_gradient_in_a_float64_run_is_named_wrong_dtype() -> None:
    report = _linear(lambda dx, dW, db: (dx, dW.astype(np.float32), db))
    dW = report.gradient("dW")
    assert not report.passed and (dW.diagnosis, dW.passed) == ("wrong_dtype", False)
    assert dW.message.startswith("dW is float32 in a float64 run; compute in the input's dtype")
    assert "otherwise right at float32 tolerance" in dW.message
    assert dW.details["at_given_precision"] == "ok"
    assert report.gradient("dx").passed and report.gradient("db").passed
    row = json.loads(json.dumps(report.to_json(), allow_nan=False))["gradients"][1]
    assert (row["diagnosis"], row["details"]["given_dtype"]) == ("wrong_dtype", "float32")


def test_float32_gradient_that_is_also_wrong_keeps_its_diagnosis_and_a_dtype_note() -> None:
    dW = _linear(lambda dx, dW, db: (dx, -dW.astype(np.float32), db)).gradient("dW")
    assert dW.diagnosis == "sign_flipped"
    assert dW.notes == [n for n in dW.notes if n.startswith("wrong_dtype: dW is float32")] != []


@pytest.mark.parametrize("cast", [np.float32, np.float64], ids=["float32", "float64"])
def test_float32_run_accepts_float32_and_float64_returns(cast: type) -> None:
    report = _linear(lambda dx, dW, db: (dx.astype(cast), dW.astype(cast), db.astype(cast)),
                     dtype="float32")
    assert report.passed, str(report)


@pytest.mark.parametrize("convert", [
    lambda a: a.tolist(),
    lambda a: [np.asarray(row) for row in a] if a.ndim == 2 else list(a),
    lambda a: torch.from_numpy(a.copy()).requires_grad_(True),
], ids=["lists of lists", "list of row arrays", "torch tensor with grad"])
def test_lists_and_tensors_of_the_right_values_pass(convert: Callable[[np.ndarray], Any]) -> None:
    report = _linear(lambda dx, dW, db: (convert(dx), convert(dW), convert(db)))
    assert report.passed, str(report)


def test_relu_returning_a_list_passes() -> None:
    report = comparisons.verify(hm.relu_forward, lambda d, c: hm.relu_backward(d, c).tolist(),
                                "relu")
    assert report.passed, str(report)


@pytest.mark.parametrize("ragged", [
    lambda dW: [list(r) for r in dW] + [[1.0]],
    lambda dW: [dW, dW[:, :1]],
], ids=["ragged list", "arrays of different shapes"])
def test_a_ragged_return_is_named_dtype_object_not_missing(ragged: Callable[[Any], Any]) -> None:
    dW = _linear(lambda dx, dW, db: (dx, ragged(dW), db)).gradient("dW")
    assert (dW.diagnosis, dW.passed) == ("wrong_dtype", False)
    assert dW.message.startswith("dW is an array of dtype object (a ragged list?)")
    assert "missing" not in dW.message


def test_none_is_missing_and_a_string_is_named() -> None:
    report = _linear(lambda dx, dW, db: (None, "dW", db))
    dx, dW = report.gradient("dx"), report.gradient("dW")
    assert dx.diagnosis == "wrong_shape" and "dx is missing" in dx.message
    assert dW.diagnosis == "wrong_dtype" and dW.message.startswith("dW is a str of dtype <U2")


def test_an_object_that_raises_when_read_is_a_verdict_not_a_crash() -> None:
    class Hostile:
        def __array__(self, *args: Any, **kwargs: Any) -> np.ndarray:
            raise RuntimeError("no")

    report = _linear(lambda dx, dW, db: (dx, Hostile(), db))
    dW = report.gradient("dW")
    assert report.error is None and not report.passed
    assert dW.diagnosis == "wrong_dtype" and "Hostile NumPy cannot read" in dW.message


def test_float32_relu_with_its_own_kink_choice_is_only_a_dtype_problem() -> None:
    def backward(dout: np.ndarray, x: np.ndarray) -> np.ndarray:
        return (dout * (x >= 0)).astype(np.float32)

    spec = runner.resolve_spec(lambda x: (np.maximum(x, 0), x), backward, "relu", None, None)
    outcomes = {o.label: o.diagnoses["dx"] for o in runner.run_cases(spec, "float64", 0)}
    kink = outcomes["exact zeros"]  # its float32 dout at x == 0 is a valid subgradient too
    assert (kink.code, kink.details["at_given_precision"]) == ("wrong_dtype", "ok"), kink
    assert {d.code for d in outcomes.values()} == {"wrong_dtype"}
