"""Two small convolutional networks, handmade and torch.nn twins, trained in lockstep on digits.

On 8x8 images x (N, 1, 8, 8), C channels, H hidden units, ten classes:

* ``"conv"``: Conv2d(1, C, 3, padding=1) -> ReLU -> MaxPool2d(2) -> Flatten -> Linear(16 C, 10);
  shapes (N, C, 8, 8) -> (N, C, 4, 4) -> (N, 16 C) -> logits (N, 10);
* ``"conv-bn"``: the same up to Flatten, then Linear(16 C, H) -> BatchNorm1d(H) -> ReLU ->
  Linear(H, 10). Batch norm uses the batch statistics in training mode (and updates its running
  statistics, torch's momentum 0.1 and unbiased running variance), the running statistics in
  evaluation mode (``predict``: the test numbers).

Both sides are ``Sequential`` with torch's names ("0.weight", "0.bias", "4.weight", ...,
"5.running_mean", "5.num_batches_tracked"), so the handmade ``state_dict`` (parameters and
buffers) is copied one-to-one into the torch twin. Objective: softmax cross-entropy, mean over
the batch; plain SGD. :func:`cnn_checks` trains both networks a few steps on a few digits with
:func:`comparisons.lockstep.train.run_lockstep` and reports rows for ``backprop-lab check``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
from numpy.typing import DTypeLike, NDArray
from torch import nn

import handmade as hm
from comparisons.core.compare import Check, compare
from comparisons.data.digits import load_digits_split
from comparisons.lockstep.train import (
    EngineView,
    LockstepResult,
    LossObjective,
    OptimizerSpec,
    Problem,
    run_lockstep,
    torch_loss_objective,
)
from handmade.losses import softmax_cross_entropy_forward

MODELS: tuple[str, ...] = ("conv", "conv-bn")
IMAGE = (1, 8, 8)
"""Channels, height, width of one digit."""
CLASSES = 10
CHECK_ROWS, CHECK_BATCH, CHECK_EPOCHS, CHECK_LR = 48, 16, 2, 0.2
"""The suite's run: 3 steps an epoch, 2 epochs (6 steps), evaluated after each epoch."""


def handmade_cnn(model: str, rng: np.random.Generator, dtype: DTypeLike, channels: int,
                 hidden: int) -> hm.Sequential:
    """The handmade network ``model`` ("conv" or "conv-bn"), initialised from ``rng``."""
    conv = [hm.Conv2d(1, channels, 3, padding=1, rng=rng, dtype=dtype), hm.ReLU(),
            hm.MaxPool2d(2), hm.Flatten()]
    width = channels * 16
    if model == "conv":
        return hm.Sequential(*conv, hm.Linear(width, CLASSES, rng=rng, dtype=dtype))
    check_model(model)
    return hm.Sequential(*conv, hm.Linear(width, hidden, rng=rng, dtype=dtype),
                         hm.BatchNorm1d(hidden, dtype=dtype), hm.ReLU(),
                         hm.Linear(hidden, CLASSES, rng=rng, dtype=dtype))


def torch_cnn(model: str, channels: int, hidden: int) -> nn.Sequential:
    """The torch.nn twin of :func:`handmade_cnn` (its initial values are overwritten)."""
    conv = [nn.Conv2d(1, channels, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten()]
    width = channels * 16
    if model == "conv":
        return nn.Sequential(*conv, nn.Linear(width, CLASSES))
    check_model(model)
    return nn.Sequential(*conv, nn.Linear(width, hidden), nn.BatchNorm1d(hidden), nn.ReLU(),
                         nn.Linear(hidden, CLASSES))


def check_model(model: str) -> str:
    """``model`` if it is one of :data:`MODELS`, else ValueError."""
    if model not in MODELS:
        raise ValueError(f"model: expected one of {list(MODELS)}, got {model!r}")
    return model


def as_images(X: NDArray) -> NDArray:
    """Flat digits (N, 64) as images (N, 1, 8, 8) (a view)."""
    return np.asarray(X).reshape(-1, *IMAGE)


def accuracy_and_loss(logits: NDArray, y: NDArray) -> tuple[float, float]:
    """``mean(argmax logits == y)`` and the mean softmax cross-entropy (in float64)."""
    loss, _ = softmax_cross_entropy_forward(logits.astype(np.float64), y)
    return float(np.mean(logits.argmax(axis=1) == y)), float(loss)


def eval_metrics(sets: Mapping[str, tuple[NDArray, NDArray]]) -> Callable[[EngineView],
                                                                          dict[str, float]]:
    """Per-epoch metrics in evaluation mode: ``{name}_acc`` and ``{name}_loss`` of each set."""
    def metrics(view: EngineView) -> dict[str, float]:
        out = {}
        for name, (X, y) in sets.items():
            out[f"{name}_acc"], out[f"{name}_loss"] = accuracy_and_loss(view.predict(X), y)
        return out

    return metrics


def cnn_problem(model: str, X: NDArray, y: NDArray, *, channels: int, hidden: int, lr: float,
                batch_size: int, epochs: int, metrics: Any = None) -> Problem:
    """The lockstep problem of network ``model`` on images X (N, 1, 8, 8), labels y (N,).

    A batch of one row is refused for "conv-bn" (batch norm's training mode needs N >= 2).
    """
    check_model(model)
    if model == "conv-bn" and len(X) % batch_size == 1:
        raise ValueError(f"batch_size: expected a size that leaves no last batch of 1 row for "
                         f"batch norm ({len(X)} rows), got {batch_size}")
    return Problem(
        handmade_model=lambda ctx: handmade_cnn(model, ctx.rng, ctx.dtype, channels, hidden),
        torch_model=lambda ctx: torch_cnn(model, channels, hidden),
        handmade_objective=lambda: LossObjective(hm.CrossEntropyLoss()),
        torch_objective=lambda: torch_loss_objective(nn.CrossEntropyLoss()),
        optimizer=OptimizerSpec("sgd", {"lr": lr}), X=X, y=y, batch_size=batch_size,
        epochs=epochs, metrics=metrics,
    )


def lockstep_rows(name: str, r: LockstepResult) -> list[Check]:
    """Rows of one run: every step within the tolerance (loss, parameters and buffers after
    each update), the step losses, every final tensor, and the evaluation-mode test loss."""
    steps = int(sum(r.steps_per_epoch))
    first = r.first_divergent_step
    rows = [Check(name, "steps", r.dtype, [steps], "lockstep", None, r.max_rel_diff,
                  first is None and r.max_rel_diff is not None,
                  "" if first is None else f"diverged at step {first}")]
    rows.append(compare(r.step_loss["handmade"], r.step_loss["torch"], name=name, tensor="loss",
                        against="lockstep", tol=r.tolerance))
    hm_state, pt_state = r.final_state["handmade"], r.final_state["torch"]
    rows += [compare(hm_state[k], pt_state[k], name=name, tensor=k, against="lockstep",
                     tol=r.tolerance) for k in pt_state]
    for key in ("test_loss", "test_acc"):
        rows.append(compare(np.asarray(r.metrics["handmade"][key]),
                            np.asarray(r.metrics["torch"][key]), name=name,
                            tensor=f"eval {key}", against="lockstep", tol=r.tolerance))
    return rows


def cnn_checks(dtype: str, rng: np.random.Generator) -> list[Check]:
    """Both networks trained :data:`CHECK_EPOCHS` epochs on :data:`CHECK_ROWS` digits, both
    engines in lockstep (seeded from ``rng``), test numbers on as many held-out digits."""
    split = load_digits_split(rng, dtype=dtype)
    X, y = as_images(split.X_train[:CHECK_ROWS]), split.y_train[:CHECK_ROWS]
    test = (as_images(split.X_test[:CHECK_ROWS]), split.y_test[:CHECK_ROWS])
    rows: list[Check] = []
    for model in MODELS:
        problem = cnn_problem(model, X, y, channels=4, hidden=16, lr=CHECK_LR,
                              batch_size=CHECK_BATCH, epochs=CHECK_EPOCHS,
                              metrics=eval_metrics({"test": test}))
        r = run_lockstep(problem, seed=int(rng.integers(2**31 - 1)), dtype=dtype)
        rows += lockstep_rows(f"CNN[{model}] lockstep", r)
    return rows
