"""The built-in suite: every op passes, and a planted bug is caught by each witness."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

import handmade as hm
from comparisons.check.suite import SuiteResult, format_table, op_checks, run_suite
from comparisons.core.builtin_ops import BUILTIN_OPS
from comparisons.core.compare import Check


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_every_builtin_op_passes_every_witness(dtype: str) -> None:
    result = run_suite(dtype, seed=3)
    failed = [c for c in result.checks if not c.passed]
    assert not failed, format_table(result)
    witnesses = {(c.name.split("[")[0], c.against) for c in result.checks}
    for op in BUILTIN_OPS:
        assert (op, "autograd") in witnesses and (op, "finite_differences") in witnesses


def test_suite_covers_awkward_shapes_and_network_intermediates() -> None:
    result = run_suite("float64", seed=0)
    names = {c.name for c in result.checks}
    assert "linear[N=1]" in names and "linear[odd batch, D_out > D_in]" in names
    net = {c.tensor for c in result.checks if c.name.startswith("TwoLayerMLP")}
    assert {"J", "dW1", "dW2", "do", "dh", "dz", "db1"} <= net
    assert any("dropout" in c.name for c in result.checks)


def _transposed_dW(dout, cache):
    dx, dW, db = hm.linear_backward(dout, cache)
    return dx, dW.T.copy() if dW.shape[0] == dW.shape[1] else dW * 2, db


def test_a_planted_bug_fails_both_autograd_and_finite_differences() -> None:
    spec = dataclasses.replace(BUILTIN_OPS["linear"], backward=_transposed_dW)
    rows = op_checks(spec, "float64", np.random.default_rng(0))
    bad = {(c.against, c.tensor) for c in rows if not c.passed}
    assert ("autograd", "dW") in bad and ("finite_differences", "dW") in bad
    assert all(c.passed for c in rows if c.tensor in ("dx", "db", "out"))


def test_a_broadcastable_db_shape_bug_is_caught() -> None:
    def db_as_row(dout, cache):
        dx, dW, db = hm.linear_backward(dout, cache)
        return dx, dW, db[None, :]

    spec = dataclasses.replace(BUILTIN_OPS["linear"], backward=db_as_row)
    rows = op_checks(spec, "float64", np.random.default_rng(0))
    assert all(not c.passed for c in rows if c.tensor == "db")


def test_same_seed_same_numbers() -> None:
    a = run_suite("float64", seed=11, ops=["softmax_cross_entropy", "dropout"])
    b = run_suite("float64", seed=11, ops=["softmax_cross_entropy", "dropout"])
    assert [c.to_json() for c in a.checks] == [c.to_json() for c in b.checks]


def test_the_table_stays_aligned_with_long_tensor_names() -> None:
    checks = [Check("CNN[conv-bn] lockstep", "5.running_mean", "float64", [5], "lockstep", 0.0,
                    1e-16, True),
              Check("linear[N=1]", "dW", "float64", [3, 2], "autograd", 0.0, 0.0, True)]
    table = format_table(SuiteResult("float64", 0, checks)).splitlines()
    columns = [line.index("lockstep" if "CNN" in line else "autograd", 43) for line in table[2:4]]
    assert columns[0] == columns[1] == table[0].index("against")
