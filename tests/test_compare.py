"""The one comparison helper and the one tolerance table."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from comparisons.core.compare import compare
from comparisons.core.io import write_json
from comparisons.core.tolerances import TOLERANCES, tolerance

F64 = tolerance("autograd", np.float64)


def test_identical_arrays_pass_with_zero_error(rng: np.random.Generator) -> None:
    a = rng.standard_normal((3, 4))
    c = compare(a, a.copy(), name="op", tensor="dW", against="autograd")
    assert c.passed and c.max_abs_err == 0.0 and c.max_rel_err == 0.0
    assert c.shape == [3, 4] and c.dtype == "float64"


def test_broadcastable_shape_mismatch_fails() -> None:
    """The backprop-ninja bug: (64,) vs (1, 64) would pass under broadcasting."""
    c = compare(np.ones((1, 64)), np.ones(64), name="op", tensor="db", against="autograd")
    assert not c.passed
    assert "expected (64,)" in c.message and "got (1, 64)" in c.message
    assert c.max_abs_err is None


def test_transposed_shape_is_named() -> None:
    c = compare(np.ones((3, 2)), np.ones((2, 3)), name="op", tensor="dW", against="autograd")
    assert not c.passed and "transpose" in c.message


def test_dtype_mismatch_fails_unless_disabled() -> None:
    a = np.ones(3, np.float32)
    assert not compare(a, np.ones(3), name="o", tensor="t", against="autograd").passed
    c = compare(a, np.ones(3), name="o", tensor="t", against="finite_differences",
                check_dtype=False)
    assert c.passed


def test_error_just_above_tolerance_fails_and_just_below_passes(rng: np.random.Generator) -> None:
    e = rng.standard_normal(10)
    scale = np.max(np.abs(e))
    bound = F64.atol + F64.rtol * scale
    bumped = e.copy()
    bumped[3] += 2 * bound
    assert not compare(bumped, e, name="o", tensor="t", against="autograd").passed
    bumped[3] = e[3] + 0.5 * bound
    assert compare(bumped, e, name="o", tensor="t", against="autograd").passed


def test_relative_error_is_norm_wise(rng: np.random.Generator) -> None:
    e = rng.standard_normal((4, 4)) + 5.0
    a = e + 1e-3
    c = compare(a, e, name="o", tensor="t", against="autograd")
    assert c.max_rel_err == pytest.approx(1e-3 / np.max(np.abs(e)), rel=1e-6)


def test_nan_and_missing_fail_with_a_reason() -> None:
    c = compare(np.array([1.0, np.nan]), np.ones(2), name="o", tensor="t", against="autograd")
    assert not c.passed and "NaN" in c.message
    c = compare(None, np.ones(2), name="o", tensor="t", against="autograd")
    assert not c.passed and "missing" in c.message


def test_ignored_elements_are_left_out_and_counted() -> None:
    e = np.zeros(5)
    a = np.array([0.0, 0.0, 1.0, 0.0, 0.0])
    ignore = np.array([False, False, True, False, False])
    c = compare(a, e, name="o", tensor="t", against="finite_differences", ignore=ignore)
    assert c.passed and c.ignored == 1
    assert not compare(a, e, name="o", tensor="t", against="finite_differences").passed


def test_torch_tensors_are_accepted() -> None:
    t = torch.arange(6.0, dtype=torch.float64).reshape(2, 3)
    assert compare(t.numpy().copy(), t, name="o", tensor="t", against="autograd").passed


def test_tolerance_table_is_tighter_in_float64_than_float32() -> None:
    for against in ("forward", "autograd", "finite_differences", "lockstep"):
        assert tolerance(against, np.float64).rtol < tolerance(against, np.float32).rtol
    assert {k[1] for k in TOLERANCES} == {"float32", "float64"}


def test_unknown_witness_or_dtype_is_named() -> None:
    with pytest.raises(ValueError, match="against"):
        tolerance("vibes", np.float64)
    with pytest.raises(ValueError, match="dtype: expected float32 or float64, got int64"):
        tolerance("autograd", np.int64)


def test_check_row_serialises_to_strict_json(tmp_path) -> None:
    c = compare(np.ones((1, 2)), np.ones(2), name="o", tensor="t", against="autograd")
    path = write_json(tmp_path / "sub" / "c.json", {"checks": [c.to_json(), float("nan")]})
    data = json.loads(path.read_text())
    assert data["checks"][0]["max_abs_err"] is None and data["checks"][1] is None
