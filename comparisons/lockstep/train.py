"""Lockstep training: the handmade and the torch engine trained side by side, step for step.

Both engines start from the same parameters (the handmade model's initial ``state_dict`` copied
into the torch model by name, one-to-one), see the same minibatches in the same order (one seeded
permutation per epoch, shared), the same dropout masks (one :class:`MaskRecorder` feeding both)
and run the same optimiser (``handmade.optim`` vs ``torch.optim``, same hyperparameters and
parameter groups). After every step the trainer compares, with the one helper ``compare`` and
``tolerance("lockstep", dtype)``, the step loss (before the update) and every parameter (after
it); step ``k`` (0-based, counted over all epochs) *diverges* when a comparison fails there
(rule and relative differences: :mod:`comparisons.lockstep.log`).

A :class:`Problem` says what to train (model and objective factories for both engines, the
optimiser, data, batch size, epochs, per-epoch metrics); :func:`run_lockstep` trains it.
Random streams: ``SeedSequence(seed).spawn(3)`` gives the generators of the handmade
initialisation, the epoch permutations and the dropout masks, in that order, so the same seed
gives bit-identical curves, and a single-engine run equals its half of a ``"both"`` run.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from numpy.typing import DTypeLike, NDArray

from comparisons.core.tolerances import Tolerance, dtype_name, tolerance
from comparisons.data.batches import iterate_minibatches
from comparisons.lockstep.engines import EngineView, build_engines
from comparisons.lockstep.log import StepLog, metric_rel_diff
from comparisons.lockstep.spec import (
    BuildContext,
    HandmadeObjective,
    LossObjective,
    MaskRecorder,
    OptimizerSpec,
    TorchObjective,
    torch_loss_objective,
)

__all__ = [
    "ENGINES", "ENGINE_CHOICES", "BuildContext", "EngineView", "HandmadeObjective",
    "LockstepResult", "LossObjective", "MaskRecorder", "OptimizerSpec", "Problem",
    "TorchObjective", "engines_for", "run_lockstep", "torch_loss_objective",
]

ENGINES: tuple[str, str] = ("handmade", "torch")
ENGINE_CHOICES: tuple[str, ...] = ("handmade", "torch", "both")
EngineChoice = Literal["handmade", "torch", "both"]
Metrics = Callable[[EngineView], Mapping[str, float]]


@dataclass(frozen=True)
class Problem:
    """Everything a lockstep run needs; factories are called once per run.

    ``handmade_model(ctx)`` builds the handmade Module in ``ctx.dtype`` from ``ctx.rng`` (its
    initial parameters are the run's); ``torch_model(ctx)`` builds a torch.nn.Module with the same
    parameter names (its own initial values are overwritten). ``handmade_objective()`` and
    ``torch_objective()`` give the training objective of each side (see :class:`LossObjective`
    and :func:`torch_loss_objective` for a plain loss; any :class:`HandmadeObjective` for a
    custom one written with the pure pairs, e.g. D2L's scratch weight decay in
    ``comparisons.experiments.weight_decay.model``). ``X`` (N, ...) and ``y`` (N, ...) are the
    training arrays (floating arrays are cast to the run's dtype, integer labels kept).
    ``metrics(view)`` is called on each engine after epochs ``eval_every, 2 eval_every, ...`` and
    the last, in eval mode; it returns named floats (e.g. train and test loss).
    """

    handmade_model: Callable[[BuildContext], Any]
    torch_model: Callable[[BuildContext], Any]
    handmade_objective: Callable[[], HandmadeObjective]
    torch_objective: Callable[[], TorchObjective]
    optimizer: OptimizerSpec
    X: NDArray
    y: NDArray
    batch_size: int
    epochs: int
    metrics: Metrics | None = None
    eval_every: int = 1
    shuffle: bool = True

    def __post_init__(self) -> None:
        for name in ("batch_size", "epochs", "eval_every"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
                raise ValueError(f"{name}: expected an integer >= 1, got {value!r}")
        if len(self.X) != len(self.y) or len(self.X) == 0:
            raise ValueError(f"X, y: expected the same non-zero number of rows, got "
                             f"{len(self.X)} and {len(self.y)}")


@dataclass
class LockstepResult:
    """What a run recorded. Arrays over steps have one entry per optimiser step (S in all).

    ``step_loss[engine]``: objective of each step, before its update. With both engines (else
    None): ``loss_rel_diff`` ``|Δloss| / |loss_t|``, ``param_drift`` (max over parameters of
    ``max|Δθ| / max|θ_t|``), ``step_rel_diff`` (envelope-relative, the larger of loss and
    parameters; <= rtol exactly when the step passes; see :mod:`comparisons.lockstep.log`).
    ``first_divergent_step``: the first failing step (0-based) or None; ``max_rel_diff``: the
    largest ``step_rel_diff``; ``max_plain_rel_diff``: the largest plain one;
    ``metric_max_rel_diff``: envelope-relative, over the per-epoch metrics.
    ``param_drift_limit``: the largest ``param_drift`` the rule allowed at each step (``rtol +
    atol / max|θ_t|`` of the parameter that drifted most; the loss's is ``rtol + atol / |loss_t|``).
    ``eval_epochs``: 1-based epochs at which ``metrics[engine][name]`` were evaluated.
    """

    engines: tuple[str, ...]
    dtype: str
    tolerance: Tolerance
    steps_per_epoch: list[int]
    step_loss: dict[str, NDArray]
    loss_rel_diff: NDArray | None
    param_drift: NDArray | None
    step_rel_diff: NDArray | None
    eval_epochs: list[int]
    metrics: dict[str, dict[str, list[float]]]
    final_state: dict[str, dict[str, NDArray]]
    first_divergent_step: int | None
    max_rel_diff: float | None
    max_plain_rel_diff: float | None = None
    metric_max_rel_diff: float | None = None
    param_drift_limit: NDArray | None = None

    @property
    def primary(self) -> str:
        """The engine whose numbers an experiment reports: handmade when it ran."""
        return self.engines[0]

    @property
    def agreed(self) -> bool:
        """True when both engines ran and never parted beyond the tolerance."""
        return len(self.engines) == 2 and self.first_divergent_step is None

    def curve(self, metric: str, engine: str | None = None) -> list[float]:
        """One metric over ``eval_epochs`` for ``engine`` (default: the primary one)."""
        return self.metrics[engine or self.primary][metric]

    def epoch_loss(self, engine: str | None = None) -> NDArray:
        """Mean step objective of each epoch (E,) for ``engine`` (default: the primary one)."""
        ends = np.cumsum(self.steps_per_epoch)
        losses = self.step_loss[engine or self.primary]
        return np.array([losses[e - n:e].mean() for e, n in zip(ends, self.steps_per_epoch)])

    def final(self, metric: str, engine: str | None = None) -> float:
        """The metric after the last epoch."""
        return self.curve(metric, engine)[-1]

    def lockstep_json(self) -> dict[str, Any]:
        """``{"max_rel_diff": float | None, "first_divergent_step": int | None}``."""
        return {"max_rel_diff": self.max_rel_diff,
                "first_divergent_step": self.first_divergent_step}

    def to_json(self) -> dict[str, Any]:
        """Every recorded number as JSON-ready lists (final parameters left out)."""
        def listed(a: NDArray | None) -> list[float] | None:
            return None if a is None else [float(v) for v in a]

        return {
            "engines": list(self.engines), "dtype": self.dtype,
            "tolerance": {"rtol": self.tolerance.rtol, "atol": self.tolerance.atol},
            "steps_per_epoch": self.steps_per_epoch,
            "step_loss": {k: listed(v) for k, v in self.step_loss.items()},
            "epoch_loss": {k: listed(self.epoch_loss(k)) for k in self.engines},
            "loss_rel_diff": listed(self.loss_rel_diff),
            "param_drift": listed(self.param_drift),
            "param_drift_limit": listed(self.param_drift_limit),
            "step_rel_diff": listed(self.step_rel_diff),
            "eval_epochs": self.eval_epochs, "metrics": self.metrics,
            "max_plain_rel_diff": self.max_plain_rel_diff,
            "metric_max_rel_diff": self.metric_max_rel_diff, **self.lockstep_json(),
        }


def engines_for(engine: str) -> tuple[str, ...]:
    """``"both"`` -> ("handmade", "torch"); a single engine -> (engine,); else ValueError."""
    if engine not in ENGINE_CHOICES:
        raise ValueError(f"engine: expected one of {list(ENGINE_CHOICES)}, got {engine!r}")
    return ENGINES if engine == "both" else (engine,)


def run_lockstep(
    problem: Problem,
    *,
    seed: int | Sequence[int],
    engine: EngineChoice = "both",
    dtype: DTypeLike = np.float64,
    progress: bool = False,
    desc: str = "lockstep",
) -> LockstepResult:
    """Train ``problem`` with one or both engines in lockstep; see the module docstring.

    ``seed``: an int or a sequence of ints (e.g. ``(seed, fit_index)``) for ``SeedSequence``.
    ``progress``: show a tqdm bar over epochs (callers pass ``not quiet and stderr.isatty()``).
    """
    names = engines_for(engine)
    dt = np.dtype(dtype_name(dtype))
    init_ss, order_ss, mask_ss = np.random.SeedSequence(seed).spawn(3)
    recorder = MaskRecorder(np.random.default_rng(mask_ss), names)
    engines = build_engines(problem, names, dt, np.random.default_rng(init_ss), recorder)
    order_rng = np.random.default_rng(order_ss)
    log = StepLog(names, tolerance("lockstep", dt))
    metrics: dict[str, dict[str, list[float]]] = {n: {} for n in names}
    eval_epochs: list[int] = []
    steps_per_epoch: list[int] = []
    for epoch in _epochs(problem.epochs, progress, desc):
        batches = iterate_minibatches(len(problem.X), problem.batch_size, order_rng,
                                      problem.shuffle)
        for idx in batches:
            log.record({e.name: e.step(idx) for e in engines}, engines)
        steps_per_epoch.append(len(batches))
        if problem.metrics and (epoch % problem.eval_every == 0 or epoch == problem.epochs):
            eval_epochs.append(epoch)
            for e in engines:
                for key, value in problem.metrics(e).items():
                    metrics[e.name].setdefault(key, []).append(float(value))
    both = len(names) == 2

    def arr(values: list[float]) -> NDArray | None:
        return np.asarray(values) if both else None

    def worst(*values: list[float]) -> float | None:
        return float(max(max(v, default=0.0) for v in values)) if both else None

    return LockstepResult(
        names, dt.name, log.tol, steps_per_epoch,
        {k: np.asarray(v) for k, v in log.losses.items()}, arr(log.loss_rel), arr(log.drift),
        arr(log.envelope), eval_epochs, metrics, {e.name: e.state_dict() for e in engines},
        log.first, worst(log.envelope), worst(log.loss_rel, log.drift),
        metric_rel_diff(metrics, log.tol), arr(log.drift_limit),
    )


def _epochs(epochs: int, progress: bool, desc: str) -> Any:
    """``range(1, epochs + 1)``, wrapped in a tqdm bar when ``progress``."""
    if not progress:
        return range(1, epochs + 1)
    from tqdm.auto import tqdm  # only when a bar is shown: tqdm.auto probes for a notebook

    return tqdm(range(1, epochs + 1), desc=desc, unit="epoch", leave=False)
