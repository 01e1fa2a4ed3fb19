"""handmade.optim against torch.optim: identical gradients in, identical trajectories out.

Each lockstep test runs a small least-squares problem (J = mean((X w + b - y)^2)) for many steps;
the gradient is computed once per step from the handmade parameters and fed to both optimisers,
so any difference comes from the update rule alone.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import torch

from comparisons.core.compare import compare
from handmade.module import Parameter
from handmade.optim import SGD, Adam

STEPS = 50
N, D = 24, 6


def _problem(seed: int, dtype: Any = np.float64) -> tuple[np.ndarray, ...]:
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(N, D)).astype(dtype)
    y = rng.normal(size=N).astype(dtype)
    return X, y, rng.normal(size=D).astype(dtype), rng.normal(size=1).astype(dtype)


def _lsq_grads(X: np.ndarray, y: np.ndarray, w: np.ndarray, b: np.ndarray) -> tuple[Any, Any]:
    """Gradients of mean((X w + b - y)^2) with respect to w (D,) and b (1,)."""
    r = X @ w + b - y
    scale = X.dtype.type(2.0 / len(y))
    return scale * (X.T @ r), scale * np.sum(r, keepdims=True)


def _lockstep(
    make_ours: Callable[[Parameter, Parameter], Any],
    make_torch: Callable[[torch.Tensor, torch.Tensor], torch.optim.Optimizer],
    *,
    seed: int = 0,
    dtype: Any = np.float64,
    skip_bias_until: int = 0,
) -> tuple[Parameter, Parameter, torch.Tensor, torch.Tensor]:
    """Run both optimisers STEPS times; the bias has no gradient before ``skip_bias_until``."""
    X, y, w0, b0 = _problem(seed, dtype)
    w, b = Parameter(w0.copy()), Parameter(b0.copy())
    tw = torch.tensor(w0, requires_grad=True)
    tb = torch.tensor(b0, requires_grad=True)
    ours, theirs = make_ours(w, b), make_torch(tw, tb)
    for k in range(STEPS):
        gw, gb = _lsq_grads(X, y, w.data, b.data)
        w.grad, tw.grad = gw, torch.tensor(gw)
        has_b = k >= skip_bias_until
        b.grad, tb.grad = (gb, torch.tensor(gb)) if has_b else (None, None)
        ours.step()
        theirs.step()
    return w, b, tw, tb


def _assert_close(w: Parameter, b: Parameter, tw: torch.Tensor, tb: torch.Tensor) -> None:
    for name, ours, theirs in (("weight", w.data, tw), ("bias", b.data, tb)):
        check = compare(ours, theirs, name="optim", tensor=name, against="lockstep")
        assert check.passed, check.message


SGD_CONFIGS = [
    dict(lr=0.05),
    dict(lr=0.05, weight_decay=0.3),
    dict(lr=0.02, momentum=0.9),
    dict(lr=0.02, momentum=0.9, dampening=0.3, weight_decay=0.1),
    dict(lr=0.02, momentum=0.8, nesterov=True, weight_decay=0.2),
]


@pytest.mark.parametrize("cfg", SGD_CONFIGS, ids=lambda c: ",".join(c))
def test_sgd_matches_torch(cfg: dict[str, Any]) -> None:
    out = _lockstep(lambda w, b: SGD([w, b], **cfg), lambda w, b: torch.optim.SGD([w, b], **cfg))
    _assert_close(*out)


ADAM_CONFIGS = [
    dict(),
    dict(lr=0.05),
    dict(lr=0.05, weight_decay=0.4),
    dict(lr=0.1, betas=(0.3, 0.8), eps=1e-3),  # beta1 < 0.5: lerp's second branch
]


@pytest.mark.parametrize("cfg", ADAM_CONFIGS, ids=lambda c: ",".join(c) or "defaults")
def test_adam_matches_torch(cfg: dict[str, Any]) -> None:
    out = _lockstep(lambda w, b: Adam([w, b], **cfg), lambda w, b: torch.optim.Adam([w, b], **cfg))
    _assert_close(*out)


@pytest.mark.parametrize("name", ["SGD", "Adam"])
def test_param_groups_match_torch(name: str) -> None:
    ours_cls, torch_cls = {"SGD": (SGD, torch.optim.SGD), "Adam": (Adam, torch.optim.Adam)}[name]
    extra = {"momentum": 0.5} if name == "SGD" else {}

    def groups(w: Any, b: Any) -> list[dict[str, Any]]:
        return [{"params": [w], "weight_decay": 0.7}, {"params": [b], "lr": 0.01}]

    out = _lockstep(
        lambda w, b: ours_cls(groups(w, b), lr=0.03, **extra),
        lambda w, b: torch_cls(groups(w, b), lr=0.03, **extra),
    )
    _assert_close(*out)


@pytest.mark.parametrize("name", ["SGD", "Adam"])
def test_param_without_grad_is_skipped_like_torch(name: str) -> None:
    ours_cls, torch_cls = {"SGD": (SGD, torch.optim.SGD), "Adam": (Adam, torch.optim.Adam)}[name]
    extra = {"momentum": 0.9} if name == "SGD" else {}
    out = _lockstep(
        lambda w, b: ours_cls([w, b], lr=0.03, **extra),
        lambda w, b: torch_cls([w, b], lr=0.03, **extra),
        skip_bias_until=STEPS // 2,
    )
    _assert_close(*out)


@pytest.mark.parametrize("name", ["SGD", "Adam"])
def test_float32_stays_float32_and_matches_torch(name: str) -> None:
    ours_cls, torch_cls = {"SGD": (SGD, torch.optim.SGD), "Adam": (Adam, torch.optim.Adam)}[name]
    w, b, tw, tb = _lockstep(
        lambda w, b: ours_cls([w, b], lr=0.01, weight_decay=0.1),
        lambda w, b: torch_cls([w, b], lr=0.01, weight_decay=0.1),
        dtype=np.float32,
    )
    assert w.data.dtype == np.float32 and b.data.dtype == np.float32
    _assert_close(w, b, tw, tb)


@pytest.mark.parametrize("cls", [SGD, Adam])
def test_group_with_zero_weight_decay_is_not_decayed(cls: type) -> None:
    rng = np.random.default_rng(1)
    w0, b0 = rng.normal(size=(3, 4)), rng.normal(size=3)
    w, b = Parameter(w0.copy()), Parameter(b0.copy())
    opt = cls([{"params": [w], "weight_decay": 0.5}, {"params": [b], "weight_decay": 0.0}], lr=0.1)
    for _ in range(10):
        w.grad, b.grad = np.zeros_like(w0), np.zeros_like(b0)  # only decay could move them
        opt.step()
    np.testing.assert_array_equal(b.data, b0)
    assert np.linalg.norm(w.data) < np.linalg.norm(w0)  # the decayed group did shrink


def test_sgd_weight_decay_shrinks_by_one_minus_lr_lambda() -> None:
    """With a zero loss gradient, w_k = (1 - lr * wd)^k w_0 (D2L's update rule)."""
    w0 = np.random.default_rng(2).normal(size=5)
    w = Parameter(w0.copy())
    opt = SGD([w], lr=0.1, weight_decay=3.0)
    for _ in range(7):
        w.grad = np.zeros(5)
        opt.step()
    check = compare(w.data, (1 - 0.1 * 3.0) ** 7 * w0, name="SGD", tensor="w", against="forward")
    assert check.passed, check.message


def test_step_does_not_modify_grad() -> None:
    rng = np.random.default_rng(3)
    params = [Parameter(rng.normal(size=4)) for _ in range(2)]
    grads = [rng.normal(size=4) for _ in range(2)]
    for opt in (SGD(params, lr=0.1, momentum=0.9, weight_decay=0.2),
                Adam(params, weight_decay=0.2)):
        for p, g in zip(params, grads):
            p.grad = g.copy()
        opt.step()
        opt.step()
        for p, g in zip(params, grads):
            np.testing.assert_array_equal(p.grad, g)


@pytest.mark.parametrize("cls", [SGD, Adam])
def test_zero_grad(cls: type) -> None:
    p = Parameter(np.ones(3))
    opt = cls([p], lr=0.1)
    p.grad = np.full(3, 2.0)
    opt.zero_grad()
    assert p.grad is None
    grad = np.full(3, 2.0)
    p.grad = grad
    opt.zero_grad(set_to_none=False)
    assert p.grad is grad and not np.any(grad)


BAD_ARGS = [
    (SGD, dict(lr=-0.1), "lr"),
    (SGD, dict(lr=0.1, weight_decay=-1.0), "weight_decay"),
    (SGD, dict(lr=0.1, momentum=-0.5), "momentum"),
    (SGD, dict(lr=0.1, nesterov=True), "nesterov"),
    (SGD, dict(lr=float("nan")), "lr"),
    (Adam, dict(lr=-1e-3), "lr"),
    (Adam, dict(weight_decay=-0.1), "weight_decay"),
    (Adam, dict(betas=(1.0, 0.999)), r"betas\[0\]"),
    (Adam, dict(betas=(0.9, -0.1)), r"betas\[1\]"),
    (Adam, dict(betas=(0.9,)), "betas"),
    (Adam, dict(eps=-1.0), "eps"),
]


@pytest.mark.parametrize("cls,kwargs,arg", BAD_ARGS)
def test_bad_hyperparameters_name_the_argument(cls: type, kwargs: dict[str, Any], arg: str) -> None:
    with pytest.raises(ValueError, match=f"^{arg}: expected"):
        cls([Parameter(np.ones(2))], **kwargs)


def test_bad_group_hyperparameter_is_rejected() -> None:
    w, b = Parameter(np.ones(2)), Parameter(np.ones(1))
    with pytest.raises(ValueError, match="^weight_decay: expected"):
        SGD([{"params": [w]}, {"params": [b], "weight_decay": -1}], lr=0.1)
    with pytest.raises(ValueError, match="^param_groups: .*'wd'"):
        SGD([{"params": [w], "wd": 0.1}], lr=0.1)


def test_bad_params_are_rejected() -> None:
    p = Parameter(np.ones(2))
    with pytest.raises(ValueError, match="^params: .*non-empty"):
        SGD([], lr=0.1)
    with pytest.raises(ValueError, match="^params: .*Parameter"):
        SGD(p, lr=0.1)
    with pytest.raises(ValueError, match="^params: .*duplicate"):
        SGD([p, p], lr=0.1)
    with pytest.raises(ValueError, match=r"^params\[0\]: .*ndarray"):
        SGD([torch.ones(2)], lr=0.1)


def test_grad_of_wrong_shape_is_rejected() -> None:
    p = Parameter(np.ones((2, 3)))
    opt = Adam([p])
    p.grad = np.ones((3, 2))
    with pytest.raises(ValueError, match=r"^params\[0\]\.grad: expected .*\(2, 3\).*\(3, 2\)"):
        opt.step()
