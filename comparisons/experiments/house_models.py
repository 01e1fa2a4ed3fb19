"""House-price models for both engines: configurations, targets, networks, the lockstep problem.

Models (parameter names as ``torch.nn.Sequential``, so state dicts map one-to-one):

* ``linear``: ``Linear(F, 1)`` (``0.weight`` (1, F), ``0.bias`` (1,));
* ``mlp``: ``Linear(F, h) -> ReLU -> Dropout(p) -> Linear(h, 1)`` (``0.*``, ``3.*``); inverted
  dropout ``a -> a * mask / (1 - p)``, P(mask = 1) = 1 - p, identity at evaluation. Both engines
  take their masks from the lockstep run's shared mask stream (key ``"2"``).

Targets (what the MSE loss ``mean((f(x) - t)^2)``, no 1/2, is taken against):

* ``price`` (the book's baseline): ``t = y`` and the prediction is ``ŷ = f(x)``;
* ``log``: ``t = log y - μ`` with μ the mean log price of the training rows, and
  ``ŷ = exp(clip(f(x) + μ, log y_min, log y_max))``: predictions stay within the training price
  range (``clip=True``), so a linear extrapolation on an extreme house (Ames has five with more
  than 4000 sq ft, three of them partial sales near $170k) cannot run away.

Optimiser: Adam (``torch.optim.Adam`` and ``handmade.optim.Adam``) with classic L2 weight decay
``g <- g + λ θ``; the baseline decays nothing (λ = 0, the book), the log models decay the weights
only (biases, including the mean-price intercept, are left free).

Judged by the log RMSE ``sqrt(mean((log max(ŷ, 1) - log y)^2))``: the handmade engine computes it
with ``handmade.log_rmse_forward``, the torch engine with ``reference.log_rmse``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from typing import Any

import numpy as np
from numpy.typing import NDArray

import handmade as hm
from comparisons.lockstep import (
    BuildContext,
    EngineView,
    LossObjective,
    OptimizerSpec,
    Problem,
    torch_loss_objective,
)

MODELS = ("linear", "mlp")
TARGETS = ("price", "log")
DROPOUT_KEY = "2"
"""Index of the MLP's Dropout layer in the Sequential: its mask-stream key."""


@dataclass(frozen=True)
class HouseConfig:
    """One trained configuration; ``weight_decay`` is λ, ``dropout`` is p (MLP only)."""

    model: str = "linear"
    target: str = "log"
    lr: float = 0.001
    weight_decay: float = 0.0
    dropout: float = 0.0
    hidden: int = 64
    batch_size: int = 64
    epochs: int = 100
    clip: bool = True

    def __post_init__(self) -> None:
        if self.model not in MODELS:
            raise ValueError(f"model: expected one of {MODELS}, got {self.model!r}")
        if self.target not in TARGETS:
            raise ValueError(f"target: expected one of {TARGETS}, got {self.target!r}")
        if self.model == "linear" and self.dropout != 0:
            raise ValueError(f"--dropout: expected 0 for the linear model (it has no hidden "
                             f"layer to drop), got {self.dropout:g}")
        if not (self.lr > 0 and self.weight_decay >= 0 and 0 <= self.dropout < 1):
            raise ValueError(f"config: expected lr > 0, weight_decay >= 0, 0 <= dropout < 1, "
                             f"got {self.lr}, {self.weight_decay}, {self.dropout}")

    @property
    def name(self) -> str:
        """A short label: ``"baseline"`` for the book's settings, else model and λ (and p)."""
        if self == book_baseline(self.epochs):
            return "baseline"
        parts = [f"{self.model}-{self.target}", f"wd={self.weight_decay:g}"]
        if self.model == "mlp":
            parts.append(f"p={self.dropout:g}")
        return " ".join(parts)

    def to_json(self) -> dict[str, Any]:
        """Every field plus the name and the optimiser as a reader would write it."""
        decayed = "none" if self.weight_decay == 0 else "weights only"
        return {"name": self.name, **asdict(self), "loss": f"MSE on {self.target}",
                "optimizer": f"Adam(lr={self.lr:g}, weight_decay={self.weight_decay:g}, "
                             f"decayed: {decayed})"}


def book_baseline(epochs: int = 100) -> HouseConfig:
    """The book's model: linear, MSE on raw prices, Adam lr 5, λ = 0, batch 64, 100 epochs."""
    return HouseConfig("linear", "price", lr=5.0, weight_decay=0.0, batch_size=64,
                       epochs=epochs, clip=False)


def sweep(base: HouseConfig, weight_decays: list[float],
          dropouts: list[float]) -> list[HouseConfig]:
    """The grid ``weight_decays x dropouts`` around ``base`` (λ outer, p inner)."""
    return [replace(base, weight_decay=wd, dropout=p) for wd in weight_decays for p in dropouts]


@dataclass(frozen=True)
class Target:
    """Prices <-> training targets for one training set (see the module docstring)."""

    kind: str
    mu: float
    lo: float
    hi: float
    clip: bool

    @classmethod
    def fit(cls, config: HouseConfig, prices: NDArray) -> Target:
        """μ = mean log price and the log price range of the training rows."""
        logs = np.log(prices)
        return cls(config.target, float(logs.mean()), float(logs.min()), float(logs.max()),
                   config.clip)

    def encode(self, prices: NDArray) -> NDArray:
        """(N,) prices -> (N, 1) targets t."""
        t = prices if self.kind == "price" else np.log(prices) - self.mu
        return np.asarray(t, dtype=np.float64).reshape(-1, 1)

    def decode(self, out: NDArray) -> NDArray:
        """(N, 1) model outputs -> (N,) predicted prices ŷ (float64)."""
        out = np.asarray(out, dtype=np.float64).reshape(-1)
        if self.kind == "price":
            return out
        logs = out + self.mu
        with np.errstate(over="ignore"):
            return np.exp(np.clip(logs, self.lo, self.hi) if self.clip else logs)


def handmade_model(ctx: BuildContext, n_features: int, config: HouseConfig) -> hm.Sequential:
    """The handmade network of ``config`` in ``ctx.dtype``, initialised from ``ctx.rng``."""
    kw: dict[str, Any] = {"rng": ctx.rng, "dtype": ctx.dtype}
    if config.model == "linear":
        return hm.Sequential(hm.Linear(n_features, 1, **kw))
    p = config.dropout
    return hm.Sequential(
        hm.Linear(n_features, config.hidden, **kw), hm.ReLU(),
        hm.Dropout(p, mask_source=ctx.mask_source(DROPOUT_KEY, p)),
        hm.Linear(config.hidden, 1, **kw),
    )


def torch_model(ctx: BuildContext, n_features: int, config: HouseConfig) -> Any:
    """The torch twin (torch.nn layers, ``reference.Dropout`` on the shared mask stream)."""
    from torch import nn

    import reference

    if config.model == "linear":
        return nn.Sequential(nn.Linear(n_features, 1))
    p = config.dropout
    return nn.Sequential(
        nn.Linear(n_features, config.hidden), nn.ReLU(),
        reference.Dropout(p, mask_source=ctx.mask_source(DROPOUT_KEY, p)),
        nn.Linear(config.hidden, 1),
    )


def optimizer_spec(config: HouseConfig) -> OptimizerSpec:
    """Adam with λ on the weights only (no groups when λ = 0, as the book)."""
    opts = {"lr": config.lr}
    if config.weight_decay == 0:
        return OptimizerSpec("adam", opts)
    layers = ("0",) if config.model == "linear" else ("0", "3")
    groups = [{"params": [f"{i}.weight" for i in layers], "weight_decay": config.weight_decay},
              {"params": [f"{i}.bias" for i in layers], "weight_decay": 0.0}]
    return OptimizerSpec("adam", opts, groups=groups)


def log_rmse(engine: str, pred: NDArray, prices: NDArray) -> float:
    """Log RMSE of predicted prices (N,) against prices (N,), by the engine's own code."""
    if engine == "torch":
        import torch

        import reference

        return float(reference.log_rmse(torch.from_numpy(pred), torch.from_numpy(prices)))
    return float(hm.log_rmse_forward(pred, prices)[0])


def log_rmse_metrics(target: Target, X_train: NDArray, y_train: NDArray,
                     X_valid: NDArray | None, y_valid: NDArray | None) -> Any:
    """Per-epoch metrics: ``train_log_rmse`` (and ``valid_log_rmse`` when a fold is held out)."""
    def metrics(view: EngineView) -> dict[str, float]:
        out = {"train_log_rmse": log_rmse(view.name, target.decode(view.predict(X_train)),
                                          y_train)}
        if X_valid is not None and y_valid is not None:
            pred = target.decode(view.predict(X_valid))
            out["valid_log_rmse"] = log_rmse(view.name, pred, y_valid)
        return out

    return metrics


def make_problem(config: HouseConfig, X_train: NDArray, y_train: NDArray,
                 X_valid: NDArray | None = None, y_valid: NDArray | None = None) -> Problem:
    """The lockstep problem of one fold: train on (X_train, prices y_train), watch the fold."""
    from torch import nn

    target = Target.fit(config, y_train)
    n_features = X_train.shape[1]
    return Problem(
        handmade_model=lambda ctx: handmade_model(ctx, n_features, config),
        torch_model=lambda ctx: torch_model(ctx, n_features, config),
        handmade_objective=lambda: LossObjective(hm.MSELoss()),
        torch_objective=lambda: torch_loss_objective(nn.MSELoss()),
        optimizer=optimizer_spec(config), X=X_train, y=target.encode(y_train),
        batch_size=config.batch_size, epochs=config.epochs,
        metrics=log_rmse_metrics(target, X_train, y_train, X_valid, y_valid),
    )
