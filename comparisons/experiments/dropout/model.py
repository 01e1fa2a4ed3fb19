"""The dropout experiment's network, data and lockstep problem (D2L section 4).

Network (the book's, widths configurable): ``Linear(d, h1) -> ReLU -> Dropout(p1) -> Linear(h1,
h2) -> ReLU -> Dropout(p2) -> Linear(h2, 10)``, softmax cross-entropy (mean over the batch), plain
SGD. The book uses d = 784, h1 = h2 = 256, p1 = 0.2, p2 = 0.5 (lower dropout near the input).
Inverted dropout: ``h -> h * mask / (1 - p)`` with P(mask = 1) = 1 - p while training, identity
at evaluation. The run "without dropout" keeps the Dropout layers with p = 0 (identities), so
both runs have the same parameter names ("0.weight", "0.bias", "3.weight", ..., "6.bias").

Both engines draw their masks from one :class:`comparisons.lockstep.train.MaskRecorder`, keyed by
the layer index ("2" and "5"), so in float64 their curves agree to rounding at every step.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray
from torch import nn

import handmade as hm
import reference
from comparisons.data.digits import load_digits_split
from comparisons.data.fashion_mnist import load_fashion_mnist
from comparisons.lockstep.train import (
    BuildContext,
    EngineView,
    LossObjective,
    OptimizerSpec,
    Problem,
    torch_loss_objective,
)
from handmade.checks import check_probability
from handmade.losses import softmax_cross_entropy_forward

DROPOUT_KEYS = ("2", "5")
"""Index of each Dropout layer in the Sequential, used as its mask-stream key."""


@dataclass(frozen=True)
class ImageData:
    """Flattened images in [0, 1] (N, D) and int64 labels (N,) for training and testing."""

    X_train: NDArray
    y_train: NDArray
    X_test: NDArray
    y_test: NDArray
    name: str


@dataclass(frozen=True)
class DropoutSettings:
    """Hyperparameters of one run (the digits defaults are tuned so the net overfits).

    ``train_size``: training rows kept (None = all); a small set overfits quickly.
    """

    hidden: tuple[int, int] = (256, 256)
    p: tuple[float, float] = (0.2, 0.5)
    lr: float = 0.2
    batch_size: int = 32
    epochs: int = 40
    train_size: int | None = 600
    eval_every: int = 1

    def __post_init__(self) -> None:
        for i, p in enumerate(self.p):
            check_probability(f"p[{i}]", p)
        if self.lr <= 0:
            raise ValueError(f"lr: expected a positive learning rate, got {self.lr}")
        if self.train_size is not None and self.train_size < 10:
            raise ValueError(f"train_size: expected at least 10 rows, got {self.train_size}")


def load_data(rng: np.random.Generator, data_dir: str | Path | None = None,
              train_size: int | None = None) -> ImageData:
    """Digits (stratified 75/25 split drawn from ``rng``) or Fashion-MNIST from ``data_dir``.

    With ``train_size`` only the first ``train_size`` rows of a ``rng`` permutation of the
    training part are kept (the test part is untouched).
    """
    if data_dir is None:
        split = load_digits_split(rng)
        data = ImageData(split.X_train, split.y_train, split.X_test, split.y_test, "digits")
    else:
        X_tr, y_tr = load_fashion_mnist(data_dir, "train")
        X_te, y_te = load_fashion_mnist(data_dir, "t10k")
        data = ImageData(X_tr, y_tr, X_te, y_te, "fashion-mnist")
    if train_size is None or train_size >= len(data.y_train):
        return data
    keep = rng.permutation(len(data.y_train))[:train_size]
    return ImageData(data.X_train[keep], data.y_train[keep], data.X_test, data.y_test, data.name)


class MaskTally:
    """Counts kept units per (engine, dropout layer) of every mask a run used.

    ``wrap(engine, key, source)`` returns a mask source that forwards ``source``'s masks and adds
    ``mask.sum()`` to ``kept`` and ``mask.size`` to ``total``.
    """

    def __init__(self) -> None:
        self.kept: dict[tuple[str, str], int] = {}
        self.total: dict[tuple[str, str], int] = {}

    def wrap(self, engine: str, key: str, source: Any) -> Any:
        def counted(shape: tuple[int, ...]) -> NDArray:
            mask = source(shape)
            self.kept[(engine, key)] = self.kept.get((engine, key), 0) + int(mask.sum())
            self.total[(engine, key)] = self.total.get((engine, key), 0) + int(mask.size)
            return mask

        return counted

    def summary(self, engine: str, ps: tuple[float, float]) -> list[dict[str, Any]]:
        """Per layer: p, masks' units, kept fraction, 1 - p and the z-score of the difference.

        z = (kept/total - (1 - p)) / sqrt(p (1 - p) / total) (binomial standard error).
        """
        rows = []
        for key, p in zip(DROPOUT_KEYS, ps):
            n, k = self.total.get((engine, key), 0), self.kept.get((engine, key), 0)
            frac = k / n if n else None
            se = (p * (1 - p) / n) ** 0.5 if n and 0 < p else None
            z = None if frac is None or not se else (frac - (1 - p)) / se
            rows.append({"layer": key, "p": p, "units": n, "kept_fraction": frac,
                         "expected": 1 - p, "z": z})
        return rows


def _source(ctx: BuildContext, key: str, p: float, tally: MaskTally | None) -> Any:
    """The shared mask stream of layer ``key``, counted by ``tally`` when given."""
    source = ctx.mask_source(key, p)
    return source if tally is None else tally.wrap(ctx.engine, key, source)


def handmade_net(ctx: BuildContext, d_in: int, settings: DropoutSettings, dropout: bool,
                 tally: MaskTally | None = None) -> hm.Sequential:
    """The handmade network; Dropout p from ``settings`` (or 0 when ``dropout`` is False)."""
    (h1, h2), ps = settings.hidden, settings.p if dropout else (0.0, 0.0)
    kw: dict[str, Any] = {"rng": ctx.rng, "dtype": ctx.dtype}
    return hm.Sequential(
        hm.Linear(d_in, h1, **kw), hm.ReLU(),
        hm.Dropout(ps[0], mask_source=_source(ctx, DROPOUT_KEYS[0], ps[0], tally)),
        hm.Linear(h1, h2, **kw), hm.ReLU(),
        hm.Dropout(ps[1], mask_source=_source(ctx, DROPOUT_KEYS[1], ps[1], tally)),
        hm.Linear(h2, 10, **kw),
    )


def torch_net(ctx: BuildContext, d_in: int, settings: DropoutSettings, dropout: bool,
              tally: MaskTally | None = None) -> Any:
    """The torch twin (torch.nn layers, ``reference.Dropout`` on the shared mask stream)."""
    (h1, h2), ps = settings.hidden, settings.p if dropout else (0.0, 0.0)
    return nn.Sequential(
        nn.Linear(d_in, h1), nn.ReLU(),
        reference.Dropout(ps[0], mask_source=_source(ctx, DROPOUT_KEYS[0], ps[0], tally)),
        nn.Linear(h1, h2), nn.ReLU(),
        reference.Dropout(ps[1], mask_source=_source(ctx, DROPOUT_KEYS[1], ps[1], tally)),
        nn.Linear(h2, 10),
    )


def accuracy_and_loss(logits: NDArray, y: NDArray) -> tuple[float, float]:
    """``mean(argmax logits == y)`` and the mean softmax cross-entropy (float64)."""
    loss, _ = softmax_cross_entropy_forward(logits.astype(np.float64), y)
    return float(np.mean(logits.argmax(axis=1) == y)), float(loss)


def _metrics(data: ImageData) -> Any:
    """Per-epoch metrics (eval mode, dropout off): train/test accuracy and loss."""
    def metrics(view: EngineView) -> dict[str, float]:
        tr_acc, tr_loss = accuracy_and_loss(view.predict(data.X_train), data.y_train)
        te_acc, te_loss = accuracy_and_loss(view.predict(data.X_test), data.y_test)
        return {"train_acc": tr_acc, "test_acc": te_acc, "train_loss": tr_loss,
                "test_loss": te_loss}

    return metrics


def make_problem(data: ImageData, settings: DropoutSettings, dropout: bool,
                 tally: MaskTally | None = None) -> Problem:
    """The lockstep problem of one run (with or without dropout); ``tally`` counts masks."""
    d_in = data.X_train.shape[1]
    return Problem(
        handmade_model=lambda ctx: handmade_net(ctx, d_in, settings, dropout, tally),
        torch_model=lambda ctx: torch_net(ctx, d_in, settings, dropout, tally),
        handmade_objective=lambda: LossObjective(hm.CrossEntropyLoss()),
        torch_objective=lambda: torch_loss_objective(nn.CrossEntropyLoss()),
        optimizer=OptimizerSpec("sgd", {"lr": settings.lr}),
        X=data.X_train, y=data.y_train, batch_size=settings.batch_size,
        epochs=settings.epochs, metrics=_metrics(data), eval_every=settings.eval_every,
    )
