"""The house-price sweep over ``--jobs`` worker processes, and where lockstep is spent.

Every (configuration, fold) is one task of :func:`comparisons.experiments.parallel.parallel_map`
(seed ``(seed, fold)``: the same whatever process trains it), so the numbers do not depend on
``--jobs``. ``--engine`` says which engines train what:

* ``checked`` (the default): the sweep trains on the handmade engine alone, except the book's
  baseline and the ``--lockstep-also`` configurations, known before the sweep, which train on
  both engines in lockstep from the start; then the best configuration, unless it already ran in
  lockstep, is re-run on both engines in lockstep. A single-engine run equals its half of a
  lockstep run (same seeds, same streams), so the re-run's handmade numbers must equal the
  sweep's bit for bit (``rerun_reproduced_sweep``); its lockstep result replaces the sweep's.
* ``both``: every configuration in lockstep (the numbers reported are the handmade engine's).
* ``handmade`` / ``torch``: that engine alone, nothing compared.
"""

from __future__ import annotations

from dataclasses import dataclass

from comparisons.core.errors import UsageError
from comparisons.experiments.common import ExperimentContext
from comparisons.experiments.house_prices.config import HouseConfig
from comparisons.experiments.house_prices.cv import CVResult, Fold, FoldRun, add_fold, train_fold
from comparisons.experiments.parallel import WorkerPool

CHECKED = "checked"


@dataclass(frozen=True)
class SweepData:
    """What every task shares (sent once per worker): the folds, the seed, the dtype."""

    folds: list[Fold]
    seed: int
    dtype: str


@dataclass(frozen=True)
class FoldTask:
    """One task: ``config`` on fold ``fold`` (0-based) with ``engine``."""

    config: HouseConfig
    fold: int
    engine: str


@dataclass
class Sweep:
    """The cross-validated configurations (in the given order), the best one, and what ran in
    lockstep: ``checked`` names -> ``"in the sweep"`` or ``"re-run after the sweep"``."""

    results: list[CVResult]
    best: CVResult
    checked: dict[str, str]
    rerun_reproduced_sweep: bool | None
    workers: int


def fold_task(shared: SweepData, task: FoldTask) -> FoldRun:
    """A worker's job: train one configuration on one fold (module level, picklable)."""
    return train_fold(task.config, shared.folds[task.fold], task.engine, shared.dtype,
                      shared.seed)


def sweep_engine(mode: str) -> str:
    """The engine of the runs not in lockstep (and of the all-rows fit for a test file):
    handmade under ``checked``, else ``mode`` itself."""
    return "handmade" if mode == CHECKED else mode


def lockstep_names(configs: list[HouseConfig], also: list[str] | None, mode: str) -> set[str]:
    """Names trained in lockstep from the start: every one (``both``), none (one engine), or
    the baseline and ``--lockstep-also`` (``checked``); an unknown name is a UsageError."""
    names = [c.name for c in configs]
    unknown = [n for n in also or [] if n not in names]
    if unknown:
        raise UsageError(f"--lockstep-also: expected configuration names among "
                         f"{', '.join(repr(n) for n in names)}, got {unknown[0]!r}")
    if also and mode not in (CHECKED, "both"):
        raise UsageError(f"--lockstep-also: expected --engine checked or both, got "
                         f"--engine {mode}")
    if mode == "both":
        return set(names)
    return {"baseline", *(also or [])} & set(names) if mode == CHECKED else set()


def cross_validate_all(pool: WorkerPool, configs: list[HouseConfig], engines: list[str],
                       ctx: ExperimentContext, desc: str) -> list[CVResult]:
    """Every fold of every configuration (``engines[i]`` trains ``configs[i]``) over ``pool``,
    whose shared :class:`SweepData` holds the folds."""
    folds = pool.shared.folds
    tasks = [FoldTask(c, f.index, e) for c, e in zip(configs, engines) for f in folds]
    done = ctx.map_in(pool, fold_task, tasks, desc=desc)
    results = [CVResult(c) for c in configs]
    for i, fold_run in enumerate(done):
        add_fold(results[i // len(folds)], fold_run)
    return results


def run_sweep(configs: list[HouseConfig], folds: list[Fold], ctx: ExperimentContext,
              seed: int, also: list[str] | None) -> Sweep:
    """Cross-validate ``configs`` under ``ctx.engine`` (see the module docstring)."""
    in_lockstep = lockstep_names(configs, also, ctx.engine)
    engines = ["both" if c.name in in_lockstep else sweep_engine(ctx.engine) for c in configs]
    with ctx.pool(SweepData(folds, seed, ctx.dtype)) as pool:
        results = cross_validate_all(pool, configs, engines, ctx, "house-prices sweep")
        checked = {c.name: "in the sweep" for c in configs if c.name in in_lockstep}
        best_index = min(range(len(results)), key=lambda i: results[i].avg_valid)
        best, reproduced = results[best_index], None
        if ctx.engine == CHECKED and best.config.name not in checked:
            ctx.log(f"{best.config.name} (best): re-run on both engines in lockstep")
            rerun = cross_validate_all(pool, [best.config], ["both"], ctx, "best in lockstep")[0]
            reproduced = same_numbers(best, rerun)
            results[best_index] = best = rerun
            checked[best.config.name] = "re-run after the sweep"
    return Sweep(results, best, checked, reproduced, ctx.workers(len(configs) * len(folds)))


def same_numbers(sweep: CVResult, rerun: CVResult) -> bool:
    """True when the re-run's numbers (its primary engine's) equal the sweep's bit for bit."""
    keys = ("train_log_rmse", "valid_log_rmse", "train_curve", "valid_curve")
    rows = all(a[k] == b[k] for a, b in zip(sweep.folds, rerun.folds) for k in keys)
    return rows and sweep.predictions == rerun.predictions


def engine_mode(mode: str) -> str:
    """What ``--engine mode`` trained, in words (the JSON's ``engine_mode``)."""
    return {
        CHECKED: "sweep on the handmade engine alone; the baseline, the best configuration and "
                 "--lockstep-also on both engines in lockstep",
        "both": "every configuration on both engines in lockstep",
    }.get(mode, f"every configuration on the {mode} engine alone; nothing compared")


def summary_line(sweep: Sweep, mode: str) -> str:
    """The line that says how many processes trained and what ran in lockstep."""
    where = "; ".join(f"{n} ({how})" for n, how in sweep.checked.items()) or "none"
    again = {None: "", True: "; the re-run reproduced the sweep's numbers bit for bit",
             False: "; the re-run did NOT reproduce the sweep's numbers"}
    return (f"workers: {sweep.workers} process(es); --engine {mode}: {engine_mode(mode)}; "
            f"in lockstep: {where}{again[sweep.rerun_reproduced_sweep]}")
