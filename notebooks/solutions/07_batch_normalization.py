# Solutions of notebooks/07_batch_normalization.ipynb: each block replaces the exercise cell
# with the same id (tests/test_notebooks.py runs the notebook with them substituted).

# %% solution node_y
# answer: dx̂ = dy ⊙ γ
# answer: dγ = Σₙ dy ⊙ x̂
# answer: dβ = Σₙ dy
def node_y_backward(dy, c):
    dxhat = dy * c["gamma"]                    # y = gamma * xhat + beta, elementwise
    dgamma = (dy * c["xhat"]).sum(axis=0)      # gamma was broadcast over the N rows
    dbeta = dy.sum(axis=0)                     # so was beta
    return dxhat, dgamma, dbeta

# %% solution node_sigma
# answer: dσ = −Σₙ dx̂ ⊙ (x − μ) / σ²
# answer: dσ² = dσ / (2σ)
def node_sigma_backward(dxhat, c):
    # xhat = xc / std: d(xhat)/d(std) = -xc / std**2, summed over the rows std was broadcast to
    dstd = -(dxhat * c["xc"]).sum(axis=0) / c["std"] ** 2
    dvar = dstd / (2 * c["std"])               # std = sqrt(var + eps)
    return dstd, dvar

# %% solution node_xc
# answer: d(x−μ) = dx̂ / σ + 2 (x − μ) ⊙ dσ² / N
def node_xc_backward(dxhat, dvar, c):
    # through xhat = xc / std, plus through var = mean(xc ** 2) (d/dxc = 2 xc / N)
    dxc = dxhat / c["std"] + 2 * c["xc"] * dvar / c["N"]
    return dxc

# %% solution node_mu
# answer: dμ = −Σₙ d(x−μ)
# answer: dx = d(x−μ) + dμ / N
def node_mu_backward(dxc, c):
    dmu = -dxc.sum(axis=0)                     # xc = x - mu, mu broadcast over the rows
    dx = dxc + dmu / c["N"]                    # directly, plus through mu = mean(x)
    return dmu, dx

# %% solution compact
# answer: dx = (g − meanₙ(g) − x̂ ⊙ meanₙ(g ⊙ x̂)) / σ
def compact_forward(x, gamma, beta, eps=1e-5):
    xc = x - x.mean(axis=0)
    std = np.sqrt((xc ** 2).mean(axis=0) + eps)
    xhat = xc / std
    return gamma * xhat + beta, dict(gamma=gamma, xhat=xhat, std=std)


def compact_backward(dy, c):
    gamma, xhat, std = c["gamma"], c["xhat"], c["std"]
    g = dy * gamma                             # dJ/dxhat
    # direct path, minus the path through mu, minus the path through var
    dx = (g - g.mean(axis=0) - xhat * (g * xhat).mean(axis=0)) / std
    dgamma = (dy * xhat).sum(axis=0)
    dbeta = dy.sum(axis=0)
    return dx, dgamma, dbeta

# %% solution running
# answer: r ← (1 − m) r + m s
def update_running_stats(running_mean, running_var, x, momentum):
    # momentum weights the new batch; the running variance is the unbiased one (ddof=1)
    new_mean = (1 - momentum) * running_mean + momentum * x.mean(axis=0)
    new_var = (1 - momentum) * running_var + momentum * x.var(axis=0, ddof=1)
    return new_mean, new_var

# %% solution eval_backward
# answer: dx = dy ⊙ γ / √(running_var + eps)
def eval_backward(dy, c):
    # the running statistics are constants: y is an affine map of x per feature
    dx = dy * c["gamma"] / np.sqrt(c["running_var"] + c["eps"])
    return dx

# %% solution unbiased
# answer: x̂ ⊙ Σₙ(g ⊙ x̂) / (N − 1)
def unbiased_forward(x, gamma, beta, eps=1e-5):
    xc = x - x.mean(axis=0)
    std = np.sqrt((xc ** 2).sum(axis=0) / (x.shape[0] - 1) + eps)
    xhat = xc / std
    return gamma * xhat + beta, dict(gamma=gamma, xhat=xhat, std=std)


def unbiased_backward(dy, c):
    gamma, xhat, std = c["gamma"], c["xhat"], c["std"]
    n = xhat.shape[0]
    g = dy * gamma
    # only var's local derivative changes: d var / d xc = 2 xc / (N - 1), so the last term's
    # mean over N becomes a sum over N - 1 (the mean through mu keeps its 1/N)
    dx = (g - g.mean(axis=0) - xhat * (g * xhat).sum(axis=0) / (n - 1)) / std
    dgamma = (dy * xhat).sum(axis=0)
    dbeta = dy.sum(axis=0)
    return dx, dgamma, dbeta
