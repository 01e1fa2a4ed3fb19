"""Custom layers as students write them: int labels, dict constants, MIN_BATCH, size limits,
and a failure of the user's own ``reference`` reported as the reference's, not their code's."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

import comparisons
from comparisons.cli.main import main
from comparisons.verification.custom import MAX_ELEMENTS, batch_cases, custom_spec
from comparisons.verification.report import REFERENCE_BLAME

HERE = Path(__file__).parent
CUSTOM = HERE / "verify_custom"
EPS = 1e-5
BN_PARAM = {"mode": "train", "eps": EPS}


def _ce_forward(x: np.ndarray, y: np.ndarray) -> tuple[Any, Any]:
    shifted = x - x.max(axis=1, keepdims=True)
    log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    return -log_p[np.arange(len(y)), y].mean(), (np.exp(log_p), y)


def _ce_backward(dloss: Any, cache: Any, *, mean: bool = True) -> np.ndarray:
    p, y = cache
    dx = p.copy()
    dx[np.arange(len(y)), y] -= 1
    return dloss * dx / (len(y) if mean else 1)


def test_int_labels_reach_the_user_as_int64_arrays_and_torch_as_int64_tensors() -> None:
    seen: list[tuple[str, Any, Any]] = []

    def forward(x: np.ndarray, y: np.ndarray) -> tuple[Any, Any]:
        seen.append(("forward", y.dtype, y))
        return _ce_forward(x, y)

    def reference(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        seen.append(("reference", y.dtype, y.numpy()))
        return torch.nn.functional.cross_entropy(x, y)

    shapes = {"x": ("N", 7), "y": ("int", ("N",), 7)}
    report = comparisons.verify(forward, _ce_backward, "ce", reference=reference, shapes=shapes)
    assert report.passed, str(report)
    assert [g.name for g in report.gradients] == ["dx"]  # labels get no gradient
    dtypes = {(who, str(dt)) for who, dt, _ in seen}
    assert dtypes == {("forward", "int64"), ("reference", "torch.int64")}
    labels = np.concatenate([np.ravel(v) for _, _, v in seen])
    assert labels.min() >= 0 and labels.max() < 7 and len(set(labels.tolist())) > 1


def test_softmax_with_labels_a_planted_bug_fails() -> None:
    report = comparisons.verify(_ce_forward, lambda d, c: _ce_backward(d, c, mean=False), "ce",
                                reference=torch.nn.functional.cross_entropy,
                                shapes={"x": ("N", 5), "y": ("int", ("N",), 5)})
    (dx,) = report.gradients
    assert not report.passed and (dx.diagnosis, dx.factor) == ("scaled", 5.0), str(report)


def _norm_forward(x: np.ndarray, gamma: np.ndarray, bn_param: dict[str, Any]) -> tuple[Any, Any]:
    """out = γ (x - mean) / sqrt(var + eps), statistics over the batch (CS231n's train mode)."""
    mu, var = x.mean(axis=0), x.var(axis=0)
    inv = 1 / np.sqrt(var + bn_param["eps"])
    xhat = (x - mu) * inv
    return gamma * xhat, (xhat, inv, gamma)


def _norm_backward(dout: np.ndarray, cache: Any) -> tuple[np.ndarray, np.ndarray]:
    xhat, inv, gamma = cache
    n, dxhat = len(dout), dout * gamma
    dx = inv / n * (n * dxhat - dxhat.sum(0) - xhat * (dxhat * xhat).sum(0))
    return dx, (dout * xhat).sum(0)


def _norm_reference(x: torch.Tensor, gamma: torch.Tensor, bn_param: dict) -> torch.Tensor:
    eps = bn_param["eps"]
    return gamma * torch.nn.functional.batch_norm(x, None, None, training=True, eps=eps)


NORM_SHAPES = {"x": ("N", 4), "gamma": (4,), "bn_param": ("const", BN_PARAM)}


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_a_batch_statistic_with_min_batch_passes_and_never_runs_n_1(dtype: str) -> None:
    batches: list[int] = []

    def forward(x: np.ndarray, gamma: np.ndarray, bn_param: dict) -> tuple[Any, Any]:
        batches.append(len(x))
        return _norm_forward(x, gamma, bn_param)

    report = comparisons.verify(forward, _norm_backward, "norm", reference=_norm_reference,
                                shapes=NORM_SHAPES, min_batch=2, dtype=dtype)
    assert report.passed, str(report)
    assert report.cases == ["N=2 (MIN_BATCH)", "odd batch N=5"]
    assert set(batches) == {2, 5}  # the finite differences call forward too


@pytest.mark.parametrize("m", range(1, 40))
def test_batch_cases_start_at_min_batch_then_an_odd_prime_above_it(m: int) -> None:
    small, odd = (c.dims["N"] for c in batch_cases(m))
    assert small == m and odd > m and odd >= 5
    assert all(odd % k for k in range(2, math.isqrt(odd) + 1))


def test_without_min_batch_a_reference_raising_at_n_1_is_the_reference_s_failure() -> None:
    report = comparisons.verify(_norm_forward, _norm_backward, "norm", reference=_norm_reference,
                                shapes=NORM_SHAPES)
    verdict = report.verdict()
    assert not report.passed and report.error.startswith("your reference (case N=1")
    assert verdict.startswith(f"verdict: FAILED: your reference raised ValueError (case N=1): "
                              f"{REFERENCE_BLAME}; the check could not be completed")
    assert "MIN_BATCH = 2" in verdict and "your code" not in verdict
    assert "Expected more than 1 value per channel" in report.error  # torch's own words
    assert "verify/custom.py" not in report.error  # the traceback starts in the user's reference


def test_a_reference_failure_at_a_larger_batch_gets_no_min_batch_hint() -> None:
    def reference(x: torch.Tensor) -> torch.Tensor:
        if len(x) == 5:
            raise RuntimeError("only small batches")
        return 2 * x

    report = comparisons.verify(lambda x: (2 * x, None), lambda d, c: 2 * d, "double",
                                reference=reference, shapes={"x": ("N", 3)})
    verdict = report.verdict()
    assert verdict.startswith("verdict: FAILED: your reference raised RuntimeError (case N=5)")
    assert "MIN_BATCH" not in verdict and REFERENCE_BLAME in verdict


def test_a_reference_returning_nan_at_n_1_is_the_reference_s_failure() -> None:
    def forward(x: np.ndarray) -> tuple[Any, Any]:
        return x - x.mean(axis=0), None

    def reference(x: torch.Tensor) -> torch.Tensor:
        return (x - x.mean(0)) * x.std(0) / x.std(0)  # unbiased std: NaN for one row

    with pytest.warns(UserWarning):
        report = comparisons.verify(forward, lambda d, c: d - d.mean(axis=0), "centre",
                                    reference=reference, shapes={"x": ("N", 3)})
    verdict = report.verdict()
    assert verdict.startswith("verdict: FAILED: your reference returned NaN or Inf (case N=1)")
    assert "MIN_BATCH = 2" in verdict and REFERENCE_BLAME in verdict


def test_autograd_failing_through_the_reference_is_the_reference_s_failure() -> None:
    report = comparisons.verify(lambda x: (2 * x, None), lambda d, c: 2 * d, "double",
                                reference=lambda x: (2 * x).detach(), shapes={"x": (3,)})
    assert "autograd through your reference failed" in report.error
    assert report.verdict().startswith("verdict: FAILED: your reference could not be "
                                       "differentiated")


def _raising(x: np.ndarray) -> tuple[Any, Any]:
    raise RuntimeError(f"your reference raised X: {REFERENCE_BLAME}")


def _returning(x: np.ndarray) -> tuple[Any, Any]:
    return type(f"X {REFERENCE_BLAME}", (), {})(), None  # its name lands in a one-line error


@pytest.mark.parametrize("forward", [_raising, _returning])
def test_user_code_cannot_pass_itself_off_as_the_reference(forward: Any) -> None:
    report = comparisons.verify(forward, lambda d, c: d, "ident", reference=lambda x: x,
                                shapes={"x": (3,)})
    assert REFERENCE_BLAME in report.error
    assert report.verdict() == ("verdict: FAILED: your code raised an exception or returned the "
                                "wrong structure")


def test_a_dict_constant_is_passed_through_and_a_forward_mutating_it_changes_nothing() -> None:
    seen: list[tuple[str, dict]] = []

    def forward(x: np.ndarray, bn_param: dict, gamma: np.ndarray) -> tuple[Any, Any]:
        seen.append(("forward", dict(bn_param)))
        result = _norm_forward(x, gamma, bn_param)
        bn_param["eps"] = 1.0  # CS231n's batchnorm writes its running stats into bn_param
        bn_param["running_mean"] = x.mean(axis=0)
        return result

    def reference(x: torch.Tensor, bn_param: dict, gamma: torch.Tensor) -> torch.Tensor:
        seen.append(("reference", dict(bn_param)))
        return _norm_reference(x, gamma, bn_param)

    shapes = {"x": ("N", 4), "bn_param": ("const", BN_PARAM), "gamma": (4,)}  # forward's order
    report = comparisons.verify(forward, _norm_backward, "norm", reference=reference,
                                shapes=shapes, min_batch=2)
    assert report.passed, str(report)
    assert {who for who, _ in seen} == {"forward", "reference"}
    assert all(param == BN_PARAM for _, param in seen)  # every call got a fresh copy
    assert BN_PARAM == {"mode": "train", "eps": EPS}  # the user's SHAPES is not touched


@pytest.mark.parametrize("shapes, kwargs", [
    ({"x": (10**4, 10**4)}, {}),
    ({"x": ("N", 3 * 10**6)}, {}),  # 1.5e7 at N = 5
    ({"x": (3,), "y": ("int", ("N", 10**7), 3)}, {}),
    ({"x": ("N", 10**6)}, {"min_batch": 10}),  # N = 10 and 11
])
def test_shapes_above_the_limit_are_refused_before_anything_is_drawn(
        monkeypatch: pytest.MonkeyPatch, shapes: dict, kwargs: dict) -> None:
    def no_draw(*args: Any) -> None:
        raise AssertionError("inputs were drawn")

    monkeypatch.setattr(np.random, "default_rng", no_draw)
    with pytest.raises(ValueError, match=r"^SHAPES\[.*MAX_ELEMENTS = 10,000,000") as info:
        comparisons.verify(lambda *a: (a[0], None), lambda d, c: d, "big",
                           reference=lambda *a: a[0], shapes=shapes, **kwargs)
    assert len(str(info.value).splitlines()) == 1
    assert MAX_ELEMENTS == 10**7  # the documented limit (README, FORMAT_HELP, --list)


def test_the_limit_itself_is_allowed() -> None:
    spec = custom_spec("big", lambda x: (x, None), lambda d, c: d, lambda x: x,
                       {"x": ("N", 2 * 10**6)})
    assert max(c.dims["N"] for c in spec.cases) * 2 * 10**6 == MAX_ELEMENTS


@pytest.mark.parametrize("shapes, kwargs, needle", [
    ({"x": (0, 3)}, {}, r"SHAPES\['x'\]: expected positive ints"),
    ({"x": ("N", -2)}, {}, r"SHAPES\['x'\]: expected positive ints"),
    ({"x": (True, 3)}, {}, r"SHAPES\['x'\]: expected positive ints"),
    ({"x": (2.0, 3)}, {}, r"SHAPES\['x'\]: expected positive ints"),
    ({"x": (3,), "y": ("long", ("N",), 5)}, {}, r"SHAPES\['y'\]: unknown kind 'long'"),
    ({"x": (3,), "y": ("int", ("N",), 0)}, {}, r"SHAPES\['y'\]: expected an int range"),
    ({"x": (3,), "y": ("int", ("N",), -3)}, {}, r"SHAPES\['y'\]: expected an int range"),
    ({"x": (3,), "y": ("int", ("N",), True)}, {}, r"SHAPES\['y'\]: expected an int range"),
    ({"x": (3,), "y": ("int", ("N",), 2.5)}, {}, r"SHAPES\['y'\]: expected an int range"),
    ({"x": (3,), "y": ("int", ("N",))}, {}, r'SHAPES\[\'y\'\]: expected \("int", shape, high\)'),
    ({"x": (3,), "y": ("int", ("N", 0), 5)}, {}, r"SHAPES\['y'\]: expected positive ints"),
    ({"x": (3,), "p": {"eps": 1e-5}}, {}, r'SHAPES\[\'p\'\]: .* is written \("const"'),
    ({"x": (3,), "p": ("const",)}, {}, r'SHAPES\[\'p\'\]: expected \("const", value\)'),
    ({"y": ("int", (3,), 5), "p": ("const", 1)}, {}, "no float input is differentiable"),
    ({"x": ("N", 3)}, {"min_batch": 0}, "MIN_BATCH: expected a positive int"),
    ({"x": ("N", 3)}, {"min_batch": True}, "MIN_BATCH: expected a positive int"),
    ({"x": ("N", 3)}, {"min_batch": 1.5}, "MIN_BATCH: expected a positive int"),
    ({"x": (3,)}, {"min_batch": 2}, 'MIN_BATCH: expected a batch dim "N"'),
])
def test_malformed_descriptions_are_one_line_value_errors(shapes: dict, kwargs: dict,
                                                           needle: str) -> None:
    with pytest.raises(ValueError, match=needle) as info:
        comparisons.verify(lambda *a: (a[0], None), lambda d, c: d, "layer",
                           reference=lambda *a: a[0], shapes=shapes, **kwargs)
    assert len(str(info.value).splitlines()) == 1


def test_min_batch_for_a_built_in_op_is_refused() -> None:
    with pytest.raises(ValueError, match="min_batch: only for a custom layer"):
        comparisons.verify(lambda x: (x, None), lambda d, c: d, "relu", min_batch=2)


NORM_FILE = '''
import numpy as np
import torch

SHAPES = {"x": ("N", 4), "gamma": (4,), "bn_param": ("const", {"mode": "train", "eps": 1e-5})}
MIN_BATCH = 2


def reference(x, gamma, bn_param):
    return gamma * torch.nn.functional.batch_norm(x, None, None, training=True,
                                                  eps=bn_param["eps"])


def forward(x, gamma, bn_param):
    mu, var = x.mean(axis=0), x.var(axis=0)
    inv = 1 / np.sqrt(var + bn_param["eps"])
    xhat = (x - mu) * inv
    return gamma * xhat, (xhat, inv, gamma)


def backward(dout, cache):
    xhat, inv, gamma = cache
    n, dxhat = len(dout), dout * gamma
    dx = inv / n * (n * dxhat - dxhat.sum(0) - xhat * (dxhat * xhat).sum(0))
    return dx, (dout * xhat).sum(0)
'''


def _write(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def test_cli_exit_codes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["verify", _write(tmp_path, "norm.py", NORM_FILE)]) == 0
    assert "cases: N=2 (MIN_BATCH), odd batch N=5" in capsys.readouterr().out
    no_min = NORM_FILE.replace("MIN_BATCH = 2\n", "")
    assert main(["verify", _write(tmp_path, "norm1.py", no_min)]) == 1
    out = capsys.readouterr().out
    assert "verdict: FAILED: your reference raised ValueError (case N=1)" in out
    assert main(["verify", str(CUSTOM / "softmax_labels_wrong.py")]) == 1
    assert "dx scaled" in capsys.readouterr().out
    big = NORM_FILE.replace('"x": ("N", 4)', '"x": ("N", 10**4, 10**3)')
    assert main(["verify", _write(tmp_path, "big.py", big)]) == 2
    captured = capsys.readouterr()
    err = captured.err.strip().splitlines()
    assert len(err) == 1 and "SHAPES['x']" in err[0] and "MAX_ELEMENTS" in err[0], err
    assert captured.out == ""
    assert main(["verify", _write(tmp_path, "mb.py", NORM_FILE.replace("= 2", "= 0"))]) == 2
    assert "MIN_BATCH: expected a positive int" in capsys.readouterr().err


def test_list_shows_the_custom_layer_forms(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["verify", "--list"]) == 0
    out = capsys.readouterr().out
    for form in ('("N", 5)', '("int", ("N",), 5)', '("const", {"eps": 1e-5})', "MIN_BATCH = 2",
                 "10,000,000"):
        assert form in out


def test_an_exception_in_a_forward_with_a_constant_shows_only_the_user_s_frames() -> None:
    def forward(x: np.ndarray, param: dict) -> tuple[Any, Any]:
        return x * param["missing"], None

    report = comparisons.verify(forward, lambda d, c: d, "scale", reference=lambda x, p: x,
                                shapes={"x": (3,), "param": ("const", {"k": 1})})
    assert report.error.startswith("your forward") and "KeyError: 'missing'" in report.error
    assert "verify/custom.py" not in report.error and "in forward" in report.error


class _Uncopyable:
    def __deepcopy__(self, memo: dict) -> Any:
        raise TypeError("no copies")


def test_a_constant_that_cannot_be_copied_is_refused_up_front() -> None:
    with pytest.raises(ValueError, match=r"SHAPES\['p'\]: expected a constant copy.deepcopy"):
        comparisons.verify(lambda x, p: (x, None), lambda d, c: d, "layer",
                           reference=lambda x, p: x, shapes={"x": (3,), "p": ("const",
                                                                          _Uncopyable())})
