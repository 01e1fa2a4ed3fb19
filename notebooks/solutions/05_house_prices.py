# Solutions of notebooks/05_house_prices.ipynb: each block replaces the exercise cell with the
# same id (tests/test_notebooks.py runs the notebook with them substituted).
# A line "# answer: TEXT" names how the answer is written in the lab's hints: the test checks
# that TEXT is inside a collapsed <details> hint and nowhere in the lab's visible markdown.

# %% solution train_statistics
def standardise(train, valid):
    mu = np.nanmean(train, axis=0)                 # the training rows only: no leak
    sd = np.nanstd(train, axis=0, ddof=1)          # pandas' std divides by n - 1
    return tuple(np.nan_to_num((a - mu) / sd, nan=0.0) for a in (train, valid))
# answer: `sd = np.nanstd(train, axis=0, ddof=1)`

# %% solution bool_dummies
def design_matrix(numeric, categorical):
    dummies = pd.get_dummies(categorical, dummy_na=True)
    return pd.concat([numeric, dummies], axis=1).to_numpy(dtype=np.float64)  # bool -> 0.0/1.0
# answer: `.astype(np.float64)`

# %% solution log_rmse
def log_rmse_forward(pred, target):
    r = np.log(np.maximum(pred, 1.0)) - np.log(target)
    loss = np.sqrt(np.mean(r ** 2))
    return np.asarray(loss), (pred, r, loss)


def log_rmse_backward(dloss, cache):
    pred, r, loss = cache
    kept = pred >= 1.0                             # the clamp passes the gradient at pred == 1
    if loss == 0:                                  # sqrt has no derivative at 0: take 0
        return np.zeros_like(pred)
    safe = np.where(kept, pred, 1.0)               # mask before dividing: no inf, no warning
    return np.where(kept, dloss * r / (r.size * loss * safe), 0.0)  # sqrt, mean, then log
# answer: \frac{r_i}{n\,\ell\,\hat y_i}

# %% solution folds
def fold_indices(n, k, i):
    size = n // k                                  # the last n % k rows are in no fold
    valid = np.arange(i * size, (i + 1) * size)
    train = np.setdiff1d(np.arange(k * size), valid)
    return train, valid
# answer: `size = n // k`
