"""K-fold cross-validation of house-price configurations, each fold trained in lockstep.

Folds: ``kfold_indices(N, K)`` on the (already shuffled) rows, contiguous as the book, the last
``N mod K`` rows in no fold. Standardisation statistics (and the one-hot categories):
``stats="train"`` fits a ``Preprocessor`` on each fold's training rows only (leak-free, the
default); ``stats="all"`` fits one on every training row plus the test file's rows (the book's).

Per fold, the lockstep run's seed is ``(seed, fold)``: every configuration sees the same
minibatch order on a fold, and the same seed reproduces every number. The numbers reported are
the primary engine's (handmade when it ran); ``lockstep`` holds the agreement of both engines.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from numpy.typing import NDArray

from comparisons.data.house_prices import HouseData, Preprocessor, kfold_indices
from comparisons.experiments.common import ExperimentContext, combine_lockstep
from comparisons.experiments.house_prices.config import HouseConfig, Target
from comparisons.experiments.house_prices.models import handmade_model, make_problem, torch_model
from comparisons.lockstep.train import BuildContext, MaskRecorder, run_lockstep


@dataclass(frozen=True)
class Fold:
    """One fold's arrays: X (rows, F) float64 features, y (rows,) prices, ids (rows,)."""

    index: int
    X_train: NDArray
    y_train: NDArray
    X_valid: NDArray
    y_valid: NDArray
    ids_valid: NDArray


@dataclass
class CVResult:
    """One configuration cross-validated: per-fold rows (JSON-ready), runs, held-out predictions.

    ``predictions`` maps row id -> predicted price of that row by the fold that validated it.
    """

    config: HouseConfig
    folds: list[dict[str, Any]] = field(default_factory=list)
    runs: dict[str, Any] = field(default_factory=dict)
    predictions: dict[int, float] = field(default_factory=dict)

    @property
    def avg_valid(self) -> float:
        """Mean over folds of the final validation log RMSE."""
        return float(np.mean([f["valid_log_rmse"] for f in self.folds]))

    def to_json(self) -> dict[str, Any]:
        """``{"config", "folds", "avg_train_log_rmse", "avg_valid_log_rmse", "lockstep", ...}``."""
        valid = [f["valid_log_rmse"] for f in self.folds]
        lockstep = combine_lockstep(self.runs)
        diffs = [r.metric_max_rel_diff for r in self.runs.values()
                 if r.metric_max_rel_diff is not None]
        lockstep["metric_max_rel_diff"] = max(diffs) if diffs else None
        return {"config": self.config.to_json(), "folds": self.folds,
                "avg_train_log_rmse": float(np.mean([f["train_log_rmse"] for f in self.folds])),
                "avg_valid_log_rmse": float(np.mean(valid)),
                "std_valid_log_rmse": float(np.std(valid)), "lockstep": lockstep}


def check_folds(k: int, n: int) -> None:
    """UsageError-style ValueError unless 2 <= K <= N (rows)."""
    if not 2 <= k <= n:
        raise ValueError(f"--folds: expected 2 <= K <= {n} (the number of training rows), "
                         f"got {k}")


def make_folds(data: HouseData, k: int, stats: str) -> list[Fold]:
    """The K folds of ``data`` (rows in their given order) under ``stats`` (see the docstring)."""
    check_folds(k, len(data.prices))
    shared = None
    if stats == "all":
        pre = Preprocessor("all").fit(data.features, data.test_features)
        shared = pre.transform(data.features)
    folds = []
    for i, (tr, va) in enumerate(kfold_indices(len(data.prices), k)):
        if shared is None:
            train, valid = data.features.iloc[tr], data.features.iloc[va]
            pre = Preprocessor("train").fit(train)
            X_tr, X_va = pre.transform(train), pre.transform(valid)
        else:
            X_tr, X_va = shared[tr], shared[va]
        folds.append(Fold(i, X_tr, data.prices[tr], X_va, data.prices[va], data.ids[va]))
    return folds


def predict_prices(config: HouseConfig, target: Target, state: dict[str, NDArray],
                   X: NDArray, engine: str) -> NDArray:
    """(N,) prices predicted by trained parameters ``state`` with the engine's own model."""
    recorder = MaskRecorder(np.random.default_rng(0), (engine,))
    ctx = BuildContext(engine, np.random.default_rng(0), np.dtype(np.float64), recorder)
    if engine == "handmade":
        model = handmade_model(ctx, X.shape[1], config)
        model.load_state_dict(state)
        model.eval()
        return target.decode(model(X))

    net = torch_model(ctx, X.shape[1], config).double()
    net.load_state_dict({k: torch.from_numpy(v) for k, v in state.items()})
    net.eval()
    with torch.no_grad():
        return target.decode(net(torch.from_numpy(X)).numpy())


@dataclass
class FoldRun:
    """One configuration trained on one fold: its JSON row, the run, held-out predictions."""

    row: dict[str, Any]
    run: Any
    predictions: dict[int, float]


def train_fold(config: HouseConfig, fold: Fold, engine: str, dtype: str, seed: int,
               progress: bool = False) -> FoldRun:
    """Train ``config`` on one fold with ``engine`` (``"both"``: lockstep), seed ``(seed, fold)``.

    Depends on its arguments only (no context, no worker): a worker process computes the same
    bits as this one (see :mod:`comparisons.experiments.parallel`)."""
    problem = make_problem(config, fold.X_train, fold.y_train, fold.X_valid, fold.y_valid)
    run = run_lockstep(problem, seed=(seed, fold.index), engine=engine,  # type: ignore[arg-type]
                       dtype=dtype, progress=progress, desc=f"fold {fold.index + 1}")
    state = run.final_state[run.primary]
    pred = predict_prices(config, Target.fit(config, fold.y_train), state, fold.X_valid,
                          run.primary)
    row = {
        "fold": fold.index + 1, "train_rows": len(fold.y_train), "valid_rows": len(fold.y_valid),
        "train_log_rmse": run.final("train_log_rmse"),
        "valid_log_rmse": run.final("valid_log_rmse"),
        "epochs": run.eval_epochs, "train_curve": run.curve("train_log_rmse"),
        "valid_curve": run.curve("valid_log_rmse"), "lockstep": run.lockstep_json(),
    }
    return FoldRun(row, run, dict(zip(fold.ids_valid.tolist(), pred.tolist())))


def add_fold(result: CVResult, done: FoldRun) -> None:
    """Append one trained fold to ``result`` (its row, its run, its predictions)."""
    result.runs[f"{result.config.name} fold {done.row['fold']}"] = done.run
    result.predictions.update(done.predictions)
    result.folds.append(done.row)


def run_fold(config: HouseConfig, fold: Fold, ctx: ExperimentContext, seed: int,
             result: CVResult) -> None:
    """Train ``config`` on one fold with ``ctx.engine``; append its row and predictions."""
    add_fold(result, train_fold(config, fold, ctx.engine, ctx.dtype, seed, ctx.progress))


def cross_validate(config: HouseConfig, folds: list[Fold], ctx: ExperimentContext,
                   seed: int) -> CVResult:
    """Every fold of one configuration (a tqdm bar over folds when ``ctx.progress``)."""
    result = CVResult(config)
    for fold in _bar(folds, ctx.progress, config.name):
        run_fold(config, fold, ctx, seed, result)
    return result


def fit_all_and_predict(config: HouseConfig, data: HouseData, stats: str,
                        ctx: ExperimentContext, seed: int,
                        engine: str | None = None) -> tuple[NDArray, Any]:
    """Train on every training row (the book's ``train_and_pred``); predict the test rows.

    Returns (M,) predicted test prices and the lockstep run (seed ``(seed, 1000000)``, a fold
    index no fold has) of ``engine`` (default ``ctx.engine``).
    """
    if data.test_features is None:
        raise ValueError("test_csv: expected a test file to predict, got none")
    pre = Preprocessor(stats).fit(data.features, data.test_features)
    X, X_test = pre.transform(data.features), pre.transform(data.test_features)
    run = run_lockstep(make_problem(config, X, data.prices), seed=(seed, 1_000_000),
                       engine=engine or ctx.engine,  # type: ignore[arg-type]
                       dtype=ctx.dtype, progress=ctx.progress, desc="all rows")
    target = Target.fit(config, data.prices)
    return predict_prices(config, target, run.final_state[run.primary], X_test,
                          run.primary), run


def _bar(folds: list[Fold], progress: bool, desc: str) -> Any:
    """``folds``, wrapped in a tqdm bar over folds when ``progress``."""
    if not progress:
        return folds
    from tqdm.auto import tqdm

    return tqdm(folds, desc=desc, unit="fold", leave=False)
