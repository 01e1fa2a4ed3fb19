"""House-price configurations and targets (no torch, no handmade modules: cheap to import).

A :class:`HouseConfig` is one trained configuration. Targets (what the MSE loss
``mean((f(x) - t)^2)``, no 1/2, is taken against):

* ``price`` (the book's baseline): ``t = y`` and the prediction is ``ŷ = f(x)``;
* ``log``: ``t = log y - μ`` with μ the mean log price of the training rows, and
  ``ŷ = exp(clip(f(x) + μ, log y_min, log y_max))``: predictions stay within the training price
  range (``clip=True``), so a linear extrapolation on an extreme house (Ames has five with more
  than 4000 sq ft, three of them partial sales near $170k) cannot run away.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from typing import Any

import numpy as np
from numpy.typing import NDArray

MODELS = ("linear", "mlp")
TARGETS = ("price", "log")


@dataclass(frozen=True)
class HouseConfig:
    """One trained configuration; ``weight_decay`` is λ, ``dropout`` is p (MLP only),
    ``eps`` Adam's ε (1e-4 for the log models, torch's 1e-8 for the baseline: see
    :func:`comparisons.experiments.house_prices.models.optimizer_spec`)."""

    model: str = "linear"
    target: str = "log"
    lr: float = 0.001
    eps: float = 1e-4
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
        if not (self.lr > 0 and self.eps > 0 and self.weight_decay >= 0
                and 0 <= self.dropout < 1):
            raise ValueError(f"config: expected lr > 0, eps > 0, weight_decay >= 0, "
                             f"0 <= dropout < 1, got {self.lr}, {self.eps}, "
                             f"{self.weight_decay}, {self.dropout}")

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
                "optimizer": f"Adam(lr={self.lr:g}, eps={self.eps:g}, "
                             f"weight_decay={self.weight_decay:g}, decayed: {decayed})"}


def book_baseline(epochs: int = 100) -> HouseConfig:
    """The book's model: linear, MSE on raw prices, Adam lr 5, λ = 0, batch 64, 100 epochs."""
    return HouseConfig("linear", "price", lr=5.0, eps=1e-8, weight_decay=0.0, batch_size=64,
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
