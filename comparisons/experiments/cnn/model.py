"""The cnn experiment's settings, data and lockstep problems.

Networks (:mod:`comparisons.check.cnn_checks`, the ones ``backprop-lab check`` trains):
"conv" = Conv2d(1, C, 3, padding=1) -> ReLU -> MaxPool2d(2) -> Flatten -> Linear(16 C, 10) and
"conv-bn" = the same up to Flatten, then Linear(16 C, H) -> BatchNorm1d(H) -> ReLU ->
Linear(H, 10); softmax cross-entropy (mean over the batch), plain SGD.

Data: scikit-learn's 8x8 digits as images (N, 1, 8, 8) in [0, 1], the stratified 75/25 split
drawn from the seed (450 test digits), then ``train_size`` of the 1347 training digits kept (a
permutation drawn from the same generator). Each epoch, both engines evaluate the train and test
accuracy and loss in evaluation mode: batch norm normalises with its running statistics there.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from comparisons.check.cnn_checks import MODELS, as_images, check_model, cnn_problem, eval_metrics
from comparisons.data.digits import load_digits_split
from comparisons.experiments.cnn import options
from comparisons.lockstep.train import Problem

TRAIN_ROWS = 1347
"""Training digits of the 75/25 split (1797 - 450)."""
MIN_TRAIN = 10


@dataclass(frozen=True)
class CNNSettings:
    """One run's settings (defaults: :mod:`comparisons.experiments.cnn.options`)."""

    models: tuple[str, ...] = MODELS
    epochs: int = options.EPOCHS
    lr: float = options.LR
    batch_size: int = options.BATCH_SIZE
    train_size: int = options.TRAIN_SIZE
    channels: int = options.CHANNELS
    hidden: int = options.HIDDEN

    def __post_init__(self) -> None:
        for model in self.models:
            check_model(model)
        if not MIN_TRAIN <= self.train_size <= TRAIN_ROWS:
            raise ValueError(f"train_size: expected {MIN_TRAIN}..{TRAIN_ROWS} training digits, "
                             f"got {self.train_size}")
        if not (np.isfinite(self.lr) and self.lr > 0):
            raise ValueError(f"lr: expected a positive learning rate, got {self.lr}")
        if "conv-bn" in self.models and self.train_size % self.batch_size == 1:
            raise ValueError(f"batch_size: expected a size that leaves no last batch of one "
                             f"digit (batch norm needs 2) of {self.train_size}, got "
                             f"{self.batch_size}")


@dataclass(frozen=True)
class DigitImages:
    """Images (N, 1, 8, 8) in [0, 1] and int64 labels (N,), for training and testing."""

    X_train: NDArray
    y_train: NDArray
    X_test: NDArray
    y_test: NDArray


def load_images(seed: int, train_size: int, dtype: str = "float64") -> DigitImages:
    """The seed's split (``default_rng(seed)``), ``train_size`` training digits kept."""
    rng = np.random.default_rng(seed)
    split = load_digits_split(rng, dtype=dtype)
    keep = rng.permutation(len(split.y_train))[:train_size]
    return DigitImages(as_images(split.X_train[keep]), split.y_train[keep],
                       as_images(split.X_test), split.y_test)


def make_problem(model: str, data: DigitImages, settings: CNNSettings) -> Problem:
    """The lockstep problem of one network, evaluated every epoch on both sets."""
    metrics = eval_metrics({"train": (data.X_train, data.y_train),
                            "test": (data.X_test, data.y_test)})
    return cnn_problem(model, data.X_train, data.y_train, channels=settings.channels,
                       hidden=settings.hidden, lr=settings.lr, batch_size=settings.batch_size,
                       epochs=settings.epochs, metrics=metrics)
