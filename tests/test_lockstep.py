"""The lockstep trainer: agreement, determinism, shared masks, planted divergences, bad input."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np
import pytest
import torch

import handmade as hm
import reference
from comparisons.core.tolerances import tolerance
from comparisons.lockstep.plots import plot_lockstep
from comparisons.lockstep.train import (
    LossObjective,
    MaskRecorder,
    OptimizerSpec,
    Problem,
    run_lockstep,
    torch_loss_objective,
)

SGD_GROUPS = OptimizerSpec("sgd", {"lr": 0.1, "momentum": 0.9}, groups=[
    {"params": ["0.weight", "3.weight"], "weight_decay": 1e-2}, {"params": ["0.bias", "3.bias"]}])
ADAM = OptimizerSpec("adam", {"lr": 1e-2, "weight_decay": 1e-3})


def _data(n: int = 30) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(7)
    X = rng.normal(size=(n, 4))
    return X, (X[:, 0] + X[:, 1] ** 2 > 1).astype(np.int64) + (X[:, 2] > 0)


def mlp_problem(optimizer: OptimizerSpec = SGD_GROUPS, p: float = 0.5, epochs: int = 3,
                batch_size: int = 8) -> Problem:
    """4 -> 8 -> ReLU -> dropout -> 3, cross-entropy; metrics: accuracy and loss on all data."""
    X, y = _data()

    def handmade_model(ctx: Any) -> hm.Sequential:
        return hm.Sequential(hm.Linear(4, 8, rng=ctx.rng, dtype=ctx.dtype), hm.ReLU(),
                             hm.Dropout(p, mask_source=ctx.mask_source("drop", p)),
                             hm.Linear(8, 3, rng=ctx.rng, dtype=ctx.dtype))

    def torch_model(ctx: Any) -> torch.nn.Sequential:
        return torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU(),
                                   reference.Dropout(p, mask_source=ctx.mask_source("drop", p)),
                                   torch.nn.Linear(8, 3))

    def metrics(view: Any) -> dict[str, float]:
        logits = view.predict(X)
        loss, _ = hm.softmax_cross_entropy_forward(logits, y)
        return {"accuracy": float(np.mean(logits.argmax(1) == y)), "loss": float(loss)}

    return Problem(handmade_model, torch_model, lambda: LossObjective(hm.CrossEntropyLoss()),
                   lambda: torch_loss_objective(torch.nn.CrossEntropyLoss()), optimizer, X, y,
                   batch_size=batch_size, epochs=epochs, metrics=metrics)


@pytest.mark.parametrize("optimizer", [SGD_GROUPS, ADAM], ids=["sgd-groups", "adam"])
def test_engines_agree_at_every_step_with_dropout(optimizer: OptimizerSpec) -> None:
    r = run_lockstep(mlp_problem(optimizer), seed=1)
    tol = tolerance("lockstep", np.float64)
    assert r.engines == ("handmade", "torch")
    assert r.first_divergent_step is None and r.agreed
    assert r.max_rel_diff is not None and r.max_rel_diff <= tol.rtol
    assert np.all(r.step_rel_diff <= tol.rtol)
    assert r.metric_max_rel_diff is not None and r.metric_max_rel_diff <= tol.rtol
    assert r.steps_per_epoch == [4, 4, 4] and len(r.step_loss["torch"]) == 12
    assert r.eval_epochs == [1, 2, 3] and set(r.metrics["torch"]) == {"accuracy", "loss"}
    assert r.step_loss["handmade"][0] != r.step_loss["handmade"][-1]


def test_same_seed_gives_bit_identical_curves_and_single_engines_match_both() -> None:
    problem = mlp_problem()
    a, b = run_lockstep(problem, seed=5), run_lockstep(problem, seed=5)
    for engine in ("handmade", "torch"):
        assert np.array_equal(a.step_loss[engine], b.step_loss[engine])
        assert a.metrics[engine] == b.metrics[engine]
    assert np.array_equal(a.param_drift, b.param_drift)
    for engine in ("handmade", "torch"):
        alone = run_lockstep(problem, seed=5, engine=engine)
        assert alone.engines == (engine,) and alone.max_rel_diff is None
        assert np.array_equal(alone.step_loss[engine], a.step_loss[engine])
    other = run_lockstep(problem, seed=6, engine="handmade")
    assert not np.array_equal(other.step_loss["handmade"], a.step_loss["handmade"])


def test_float32_runs_agree_within_the_float32_tolerance() -> None:
    r = run_lockstep(mlp_problem(ADAM), seed=2, dtype=np.float32)
    assert r.dtype == "float32" and r.first_divergent_step is None
    assert r.max_rel_diff <= tolerance("lockstep", np.float32).rtol


def test_a_perturbed_learning_rate_diverges_at_the_first_step() -> None:
    problem = mlp_problem(OptimizerSpec("sgd", {"lr": 0.1}))
    assert run_lockstep(problem, seed=3).first_divergent_step is None
    bumped = _with_handmade_lr(problem, 0.1 * (1 + 1e-6))
    r = run_lockstep(bumped, seed=3)
    assert r.first_divergent_step == 0
    assert r.max_rel_diff > tolerance("lockstep", np.float64).rtol


def _with_handmade_lr(problem: Problem, lr: float) -> Problem:
    """Plain SGD on the handmade side steps as with ``lr`` (its gradients are scaled by
    lr / spec lr); torch keeps the spec's lr. A planted bug."""
    class Scaled(LossObjective):
        def backward(self, model: hm.Module) -> None:
            super().backward(model)
            for p in model.parameters():
                p.grad = p.grad * (lr / problem.optimizer.options["lr"])

    return replace(problem, handmade_objective=lambda: Scaled(hm.CrossEntropyLoss()))


@pytest.mark.parametrize("k", [2, 7])
def test_a_bug_from_step_k_on_is_reported_at_step_k(k: int) -> None:
    problem = mlp_problem(OptimizerSpec("sgd", {"lr": 0.1}))

    class LateBug(LossObjective):
        calls = 0

        def backward(self, model: hm.Module) -> None:
            super().backward(model)
            if LateBug.calls >= k:
                model.parameters()[0].grad = model.parameters()[0].grad * (1 + 1e-7)
            LateBug.calls += 1

    r = run_lockstep(replace(problem, handmade_objective=lambda: LateBug(hm.CrossEntropyLoss())),
                     seed=4)
    assert r.first_divergent_step == k
    assert np.all(r.step_rel_diff[:k] <= r.tolerance.rtol)
    assert r.step_rel_diff[k] > r.tolerance.rtol


def test_mask_recorder_draws_once_and_hands_the_same_mask_to_both() -> None:
    rec = MaskRecorder(np.random.default_rng(0), ("handmade", "torch"))
    h, t = rec.source("handmade", "a", 0.5), rec.source("torch", "a", 0.5)
    m1, m2 = h((3, 4)), h((3, 4))
    assert rec.drawn == 2 and m1.dtype == np.bool_
    assert t((3, 4)) is m1 and t((3, 4)) is m2 and rec.drawn == 2
    t((3, 4))  # torch asks first this time: it draws the third mask
    with pytest.raises(ValueError, match="shape"):
        h((2, 2))
    with pytest.raises(ValueError, match="p="):
        rec.source("torch", "a", 0.2)


def test_dropout_masks_are_shared_and_drawn_once_per_step() -> None:
    problem = mlp_problem(epochs=1)
    r = run_lockstep(problem, seed=0)
    rr = run_lockstep(replace(problem, torch_model=lambda ctx: torch.nn.Sequential(
        torch.nn.Linear(4, 8), torch.nn.ReLU(),
        reference.Dropout(0.5, mask_source=lambda shape: np.ones(shape, bool)),
        torch.nn.Linear(8, 3))), seed=0)
    assert r.first_divergent_step is None
    assert rr.first_divergent_step == 0  # torch without the shared masks parts at once


def test_bad_problems_are_one_line_value_errors() -> None:
    problem = mlp_problem()
    with pytest.raises(ValueError, match="batch_size"):
        replace(problem, batch_size=0)
    with pytest.raises(ValueError, match="parameters"):
        run_lockstep(replace(problem, torch_model=lambda ctx: torch.nn.Linear(4, 3)), seed=0)
    bad_group = OptimizerSpec("sgd", {"lr": 0.1}, groups=[{"params": ["nope"]}])
    with pytest.raises(ValueError, match="optimizer groups"):
        run_lockstep(replace(problem, optimizer=bad_group), seed=0)
    with pytest.raises(ValueError, match="engine"):
        run_lockstep(problem, seed=0, engine="jax")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="kind"):
        OptimizerSpec("rmsprop")


def test_plot_writes_png_and_svg(tmp_path) -> None:
    problem = mlp_problem(epochs=1)
    runs = {"both": run_lockstep(problem, seed=0),
            "one": run_lockstep(problem, seed=0, engine="handmade")}
    paths = plot_lockstep(runs, tmp_path, "lk", "title")
    assert [p.suffix for p in paths] == [".png", ".svg"] and all(p.stat().st_size for p in paths)


def test_predict_input_is_a_read_only_view_not_a_copy() -> None:
    from comparisons.lockstep.engines import _readonly_input

    X = np.arange(6.0).reshape(2, 3)
    view = _readonly_input(X, np.dtype(np.float64))
    assert np.shares_memory(view, X) and not view.flags.writeable
    assert X.flags.writeable  # the caller's array keeps its own flag
    with pytest.raises(ValueError, match="read-only"):
        view[0, 0] = 1.0
    as32 = _readonly_input(X, np.dtype(np.float32))
    assert as32.dtype == np.float32 and not np.shares_memory(as32, X)
    np.testing.assert_array_equal(as32, X.astype(np.float32))
