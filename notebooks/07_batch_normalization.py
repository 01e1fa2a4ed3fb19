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
# # Lab 7: batch normalization, node by node
#
# **What you learn.** Batch norm is the first layer of the course whose output for one example
# depends on every other example of the batch, and that is exactly what makes its backward
# hard. You will draw its forward pass as a computational graph, derive the backward one node
# at a time (each step checked on its own), then collapse the steps into the one expression
# libraries use; see why a test with $\gamma = 1$ lets a real bug through; and match
# training and evaluation mode, running statistics included, to `torch.nn.BatchNorm1d`.
#
# **The layer** (training mode). A minibatch $\mathbf{X}$ of shape $(N, D)$, a scale
# $\boldsymbol{\gamma}$ and a shift $\boldsymbol{\beta}$ of shape $(D,)$, a small
# $\varepsilon = 10^{-5}$; every statistic is per feature, over the batch (axis 0):
#
# | node | definition | shape |
# |---|---|---|
# | $\boldsymbol{\mu}$ | $\frac{1}{N}\sum_n \mathbf{x}_n$ | $(D,)$ |
# | $\mathbf{x}-\boldsymbol{\mu}$ | $\mathbf{X} - \boldsymbol{\mu}$ (broadcast over the rows) | $(N, D)$ |
# | $\boldsymbol{\sigma}^2$ | $\frac{1}{N}\sum_n (\mathbf{x}_n-\boldsymbol{\mu})^2$ (biased, as torch in training mode) | $(D,)$ |
# | $\boldsymbol{\sigma}$ | $\sqrt{\boldsymbol{\sigma}^2 + \varepsilon}$ | $(D,)$ |
# | $\hat{\mathbf{x}}$ | $(\mathbf{X}-\boldsymbol{\mu}) / \boldsymbol{\sigma}$ | $(N, D)$ |
# | $\mathbf{y}$ | $\boldsymbol{\gamma}\odot\hat{\mathbf{x}} + \boldsymbol{\beta}$ | $(N, D)$ |

# %%
import numpy as np
import torch

import comparisons
import handmade as hm
from comparisons.core.compare import compare
from comparisons.graph.draw import new_graph_figure
from comparisons.labs import batchnorm as bn
from comparisons.labs import batchnorm_modes as modes
from comparisons.labs.checks import check, set_hint

set_hint("none")  # checks show diagnoses, not formulas (the hints below are collapsed)
# %matplotlib inline

# %% [markdown]
# ## 1. The forward pass as a graph
#
# One line per node, and the cache keeps every node's value (the backward will need them).
# The lab's batch has $N = 5$, $D = 3$, $\boldsymbol{\gamma} \ne 1$ (half of it negative) and
# $\boldsymbol{\beta} \ne 0$:

# %%
def batchnorm_forward(x, gamma, beta, eps=1e-5):
    N = x.shape[0]
    mu = x.mean(axis=0)               # (D,)   one mean per feature, over the batch
    xc = x - mu                       # (N, D) the node x - mu
    var = (xc ** 2).mean(axis=0)      # (D,)   biased: divides by N
    std = np.sqrt(var + eps)          # (D,)
    xhat = xc / std                   # (N, D)
    y = gamma * xhat + beta           # (N, D)
    cache = dict(x=x, gamma=gamma, beta=beta, eps=eps, N=N, mu=mu, xc=xc, var=var, std=std,
                 xhat=xhat, y=y)
    return y, cache


x, gamma, beta, dy = bn.lab_batch()
y, cache = batchnorm_forward(x, gamma, beta)
theirs = torch.nn.functional.batch_norm(torch.tensor(x), None, None, torch.tensor(gamma),
                                        torch.tensor(beta), training=True, eps=1e-5)
c = compare(y, theirs.numpy(), name="forward", tensor="y", against="forward")
print(f"y against torch's F.batch_norm(training=True): {'agrees' if c.passed else 'DIFFERS'}"
      f" (max rel err {c.max_rel_err:.1e})")

# %% [markdown]
# The graph of those lines: an edge from every input of an operation to its output, each box
# holding its node's shape and value. Two nodes have **two consumers**: $\mathbf{x}$ feeds
# $\boldsymbol{\mu}$ and $\mathbf{x}-\boldsymbol{\mu}$, and $\mathbf{x}-\boldsymbol{\mu}$ feeds
# $\boldsymbol{\sigma}^2$ and $\hat{\mathbf{x}}$. Lab 2's rule applies: a node with two
# consumers receives the *sum* of what they send back.

# %%
fig, _ = new_graph_figure(bn.batchnorm_graph(x, gamma, beta), annotate="value",
                          title="batch norm, training mode: forward values")
fig

# %% [markdown]
# ## 2. The backward pass, node by node
#
# Walk the graph from $\mathbf{y}$ back to $\mathbf{x}$. Each step gets the gradients arriving
# at its node(s) from above and the cache, and returns the gradients of the node's inputs.
# Two facts do most of the work:
#
# * a $(D,)$ statistic was *broadcast* over the $N$ rows: its gradient is $(D,)$ and collects
#   a contribution from every row it touched;
# * a node with two consumers receives the sum of both.
#
# Each check feeds your step the *correct* upstream gradients (torch autograd with
# `retain_grad()` on every node), so a step is judged on its own: a mistake in step 2 does not
# make step 3 look wrong. The checks print shapes and diagnoses, never the formula; the
# collapsed hints have the formulas if you are stuck.

# %% [markdown]
# ### Exercise 1: the node $\mathbf{y} = \boldsymbol{\gamma}\odot\hat{\mathbf{x}} + \boldsymbol{\beta}$
#
# Given `dy` $= \partial J/\partial\mathbf{y}$ of shape $(N, D)$, return `(dxhat, dgamma,
# dbeta)` of shapes $(N, D)$, $(D,)$, $(D,)$.
#
# <details><summary>Hint (the formulas)</summary>
#
# `dx̂ = dy ⊙ γ`, `dγ = Σₙ dy ⊙ x̂`, `dβ = Σₙ dy` (Σₙ: the sum over the batch, axis 0).
# </details>

# %% tags=["exercise"] exercise="node_y"
def node_y_backward(dy, c):
    # YOUR CODE HERE: replace the three zeros
    dxhat = np.zeros_like(c["xhat"])
    dgamma = np.zeros_like(c["gamma"])
    dbeta = np.zeros_like(c["beta"])
    return dxhat, dgamma, dbeta


# %% tags=["check"] exercise="node_y"
check(bn.step_check(node_y_backward, "y"), "node_y")

# %% [markdown]
# ### Exercise 2: the nodes $\boldsymbol{\sigma}$ and $\boldsymbol{\sigma}^2$
#
# $\boldsymbol{\sigma}$ has one consumer, $\hat{\mathbf{x}} = (\mathbf{x}-\boldsymbol{\mu}) /
# \boldsymbol{\sigma}$, and $\boldsymbol{\sigma}^2$ one, $\boldsymbol{\sigma} =
# \sqrt{\boldsymbol{\sigma}^2+\varepsilon}$. Given `dxhat` $(N, D)$, return `(dstd, dvar)`,
# both $(D,)$.
#
# <details><summary>Hint (the formulas)</summary>
#
# `dσ = −Σₙ dx̂ ⊙ (x − μ) / σ²` (σ² here the square of the node σ) and `dσ² = dσ / (2σ)`.
# </details>

# %% tags=["exercise"] exercise="node_sigma"
def node_sigma_backward(dxhat, c):
    # YOUR CODE HERE
    dstd = np.zeros_like(c["std"])
    dvar = np.zeros_like(c["var"])
    return dstd, dvar


# %% tags=["check"] exercise="node_sigma"
check(bn.step_check(node_sigma_backward, "sigma"), "node_sigma")

# %% [markdown]
# ### Exercise 3: the node $\mathbf{x}-\boldsymbol{\mu}$ (two consumers)
#
# $\mathbf{x}-\boldsymbol{\mu}$ feeds $\hat{\mathbf{x}}$ and $\boldsymbol{\sigma}^2 =
# \frac{1}{N}\sum_n(\mathbf{x}_n-\boldsymbol{\mu})^2$. Given `dxhat` $(N, D)$ and `dvar` $(D,)$,
# return `dxc` $(N, D)$.
#
# <details><summary>Hint (the formula)</summary>
#
# `d(x−μ) = dx̂ / σ + 2 (x − μ) ⊙ dσ² / N`: the path through x̂ plus the path through σ².
# </details>

# %% tags=["exercise"] exercise="node_xc"
def node_xc_backward(dxhat, dvar, c):
    # YOUR CODE HERE: both paths
    dxc = np.zeros_like(c["xc"])
    return dxc


# %% tags=["check"] exercise="node_xc"
check(bn.step_check(node_xc_backward, "xc"), "node_xc")

# %% [markdown]
# ### Exercise 4: the nodes $\boldsymbol{\mu}$ and $\mathbf{x}$ (two consumers again)
#
# $\mathbf{x}-\boldsymbol{\mu}$ has the inputs $\mathbf{x}$ and $\boldsymbol{\mu}$, and
# $\boldsymbol{\mu} = \frac{1}{N}\sum_n\mathbf{x}_n$. Given `dxc` $(N, D)$, return
# `(dmu, dx)` of shapes $(D,)$ and $(N, D)$.
#
# <details><summary>Hint (the formulas)</summary>
#
# `dμ = −Σₙ d(x−μ)` and `dx = d(x−μ) + dμ / N` (dμ broadcast over the rows).
# </details>

# %% tags=["exercise"] exercise="node_mu"
def node_mu_backward(dxc, c):
    # YOUR CODE HERE
    dmu = np.zeros_like(c["mu"])
    dx = np.zeros_like(c["x"])
    return dmu, dx


# %% tags=["check"] exercise="node_mu"
check(bn.step_check(node_mu_backward, "mu"), "node_mu")

# %% [markdown]
# ### The whole layer
#
# Chained, your four steps are batch norm's backward. `verify` runs it on its own awkward
# cases ($N = 2$, $D = 1$, an odd batch, always $\boldsymbol{\gamma}\ne 1$ and
# $\boldsymbol{\beta}\ne 0$) against torch autograd and finite differences of your forward:

# %%
def every_node_gradient(dy, c):
    dxhat, dgamma, dbeta = node_y_backward(dy, c)
    dstd, dvar = node_sigma_backward(dxhat, c)
    dxc = node_xc_backward(dxhat, dvar, c)
    dmu, dx = node_mu_backward(dxc, c)
    return dict(dy=dy, dxhat=dxhat, dgamma=dgamma, dbeta=dbeta, dstd=dstd, dvar=dvar,
                dxc=dxc, dmu=dmu, dx=dx)


def batchnorm_backward_steps(dy, c):
    grads = every_node_gradient(dy, c)
    return grads["dx"], grads["dgamma"], grads["dbeta"]


# %% tags=["check"] exercise="node_mu"
check(comparisons.verify(batchnorm_forward, batchnorm_backward_steps, against="batchnorm"),
      "node_mu")

# %% [markdown]
# Your gradients on the graph: green where a node's gradient agrees with autograd's, red where
# it does not, the darkest red the *first* wrong node walking backward (where to look).
# The arrows show the forward data flow; gradients flow against them.

# %%
fig, _ = new_graph_figure(bn.coloured_graph(every_node_gradient), annotate="grad",
                          title="backward: dJ/d(node), coloured by your steps")
fig

# %% [markdown]
# ## 3. The backward in one expression
#
# Libraries do not keep every intermediate: substitute the steps into each other and
# $\partial J/\partial\mathbf{x}$ can be written with $\hat{\mathbf{x}}$, $\boldsymbol{\sigma}$
# and $\mathbf{dxhat} = \partial J/\partial\hat{\mathbf{x}}$ alone, three terms (the direct
# path, the path through $\boldsymbol{\mu}$, the path through $\boldsymbol{\sigma}^2$).
#
# ### Exercise 5: the compact backward
#
# The forward below caches only $\boldsymbol{\gamma}$, $\hat{\mathbf{x}}$ and
# $\boldsymbol{\sigma}$. Derive $\partial J/\partial\mathbf{x}$ from the steps of section 2 and
# write it in one expression (plus `dgamma` and `dbeta`).
#
# <details><summary>Hint (the formula)</summary>
#
# With `g = dy ⊙ γ` and meanₙ the mean over the batch:
# `dx = (g − meanₙ(g) − x̂ ⊙ meanₙ(g ⊙ x̂)) / σ`; `dγ` and `dβ` as in Exercise 1.
# </details>

# %% tags=["exercise"] exercise="compact"
def compact_forward(x, gamma, beta, eps=1e-5):
    xc = x - x.mean(axis=0)
    std = np.sqrt((xc ** 2).mean(axis=0) + eps)
    xhat = xc / std
    return gamma * xhat + beta, dict(gamma=gamma, xhat=xhat, std=std)


def compact_backward(dy, c):
    gamma, xhat, std = c["gamma"], c["xhat"], c["std"]
    # YOUR CODE HERE: dx in one expression, and dgamma, dbeta
    dx = np.zeros_like(xhat)
    dgamma = np.zeros_like(gamma)
    dbeta = np.zeros_like(gamma)
    return dx, dgamma, dbeta


# %% tags=["check"] exercise="compact"
check(comparisons.verify(compact_forward, compact_backward, against="batchnorm"), "compact")

# %% [markdown]
# What the two caches cost besides the inputs: the node-by-node one holds three $(N, D)$
# arrays and three $(D,)$ ones, the compact one a single $(N, D)$ array and one $(D,)$. For a
# batch of 256 examples of 1024 features, in bytes:

# %%
big = np.random.default_rng(1).standard_normal((256, 1024))
ones, zeros = np.ones(1024), np.zeros(1024)
kept = {"node by node": batchnorm_forward(big, ones, zeros)[1],
        "compact": compact_forward(big, ones, zeros)[1]}
for name, c in kept.items():
    size = sum(v.nbytes for k, v in c.items() if isinstance(v, np.ndarray)
               and k not in ("x", "gamma", "beta"))
    print(f"{name:>12}: {size:>9,} bytes beside the inputs")

# %% [markdown]
# ## 4. Why $\gamma = 1$ hides bugs
#
# `torch.nn.BatchNorm1d` starts with $\boldsymbol{\gamma} = 1$ and $\boldsymbol{\beta} = 0$, so
# the obvious test of a hand-written batch norm uses them. Two mistakes below are built from
# the project's correct pair `handmade.batchnorm_backward` with one thing changed each:
#
# * `forgot_gamma`: $\partial J/\partial\hat{\mathbf{x}}$ taken as $\mathbf{dy}$ (the local
#   derivative of $\mathbf{y}$ with respect to $\hat{\mathbf{x}}$ forgotten);
# * `dgamma_from_y`: $\partial J/\partial\boldsymbol{\gamma}$ computed from the output
#   $\mathbf{y}$ where $\hat{\mathbf{x}}$ belongs (with $\gamma = 1$, $\beta = 0$ they are equal).

# %%
def forgot_gamma(dy, cache):                # dx as if gamma were 1
    dx, _, _ = hm.batchnorm_backward(dy, cache._replace(gamma=np.ones_like(cache.gamma)))
    _, dgamma, dbeta = hm.batchnorm_backward(dy, cache)
    return dx, dgamma, dbeta


def forward_keeping_y(x, gamma, beta):
    y, cache = hm.batchnorm_forward(x, gamma, beta)
    return y, (cache, y)


def dgamma_from_y(dy, cache):               # y where x-hat belongs in dgamma
    c, y = cache
    dx, _, dbeta = hm.batchnorm_backward(dy, c)
    _, dgamma, _ = hm.batchnorm_backward(dy, c._replace(xhat=y))
    return dx, dgamma, dbeta


def keep_cache(dy, cache):                  # the correct pair, on forward_keeping_y's cache
    return hm.batchnorm_backward(dy, cache[0])


for name, fwd, bwd in (("correct", forward_keeping_y, keep_cache),
                       ("forgot_gamma", forward_keeping_y, lambda dy, c: forgot_gamma(dy, c[0])),
                       ("dgamma_from_y", forward_keeping_y, dgamma_from_y)):
    one = modes.gamma_one_checks(fwd, bwd, gamma_one=True)
    report = comparisons.verify(fwd, bwd, against="batchnorm")
    print(f"{name:>14}: test with gamma = 1, beta = 0: "
          f"{'passes' if all(c.passed for c in one) else 'fails '} | verify: "
          f"{report.verdict().removeprefix('verdict: ')}")

# %% [markdown]
# Both mistakes pass the $\gamma = 1$, $\beta = 0$ test on every gradient, and `verify`
# fails both: its batch-norm inputs always have $\boldsymbol{\gamma}\ne 1$ (half of it
# negative) and $\boldsymbol{\beta}\ne 0$. It names the first, `missing_gamma`; the second
# is none of its known mistakes (`unknown`: wrong, with no name for how). A published
# batch-norm implementation carried the first mistake unnoticed for exactly this reason. The general lesson: a test input equal to a
# multiplicative or additive identity makes a whole family of wrong derivations agree.

# %% [markdown]
# ## 5. Training mode and evaluation mode
#
# In training mode the output of an example depends on the rest of its batch: the same
# example normalised in two different batches comes out differently.

# %%
other, _, _, _ = bn.lab_batch(seed=7)
same_row = np.vstack([x[:1], other[1:]])            # row 0 of x, with other batch-mates
y_other, _ = batchnorm_forward(same_row, gamma, beta)
print("row 0 in its own batch:  ", np.round(y[0], 4))
print("row 0 among other rows:  ", np.round(y_other[0], 4))

# %% [markdown]
# At evaluation time there may be a single example, so the layer normalises with *running*
# estimates of the mean and variance, `running_mean` and `running_var`, updated at every
# training step with a `momentum` (torch's default 0.1), and frozen by `eval()`.
#
# ### Exercise 6: torch's running statistics, found by experiment
#
# Find out what one training step of `torch.nn.BatchNorm1d` does to its buffers (make one
# with `dtype=torch.float64`, set `running_mean` and `running_var`, feed it a batch under
# `torch.no_grad()`, read them back; try a batch whose variance you know). Then write the
# update: given the buffers, a batch `x` $(N, D)$ and the momentum, return the new
# `(running_mean, running_var)`. The check starts from buffers that are not torch's initial
# zeros and ones.
#
# <details><summary>Hint (the formulas)</summary>
#
# `r ← (1 − m) r + m s`, with m the momentum (the weight of the *new* batch) and s the batch's
# statistic; for `running_var`, s is the *unbiased* variance (÷ (N − 1)), although the batch
# itself is normalised with the biased one (÷ N).
# </details>

# %% tags=["exercise"] exercise="running"
def update_running_stats(running_mean, running_var, x, momentum):
    # YOUR CODE HERE (experiment with torch.nn.BatchNorm1d first)
    new_mean = np.zeros_like(running_mean)
    new_var = np.zeros_like(running_var)
    return new_mean, new_var


# %% tags=["check"] exercise="running"
check(modes.running_update_check(update_running_stats), "running")

# %% [markdown]
# The project's `handmade.BatchNorm1d` against `torch.nn.BatchNorm1d`, the same $\gamma$ and
# $\beta$, four training steps on batches of mean 2 and standard deviation 3: the outputs and
# both buffers after every step.

# %%
for step, r_mean, r_var, checks in modes.running_rows(steps=4):
    verdict = ", ".join(f"{c.tensor} {'agrees' if c.passed else 'DIFFERS'}" for c in checks)
    print(f"step {step}: running_mean {np.round(r_mean, 3)}, running_var {np.round(r_var, 3)}"
          f" | {verdict}")

# %% [markdown]
# ### Exercise 7: the backward in evaluation mode
#
# In evaluation mode $\mathbf{y} = \boldsymbol{\gamma}\odot(\mathbf{x} - \mathbf{r}_\mu) /
# \sqrt{\mathbf{r}_{\sigma^2} + \varepsilon} + \boldsymbol{\beta}$ with the running buffers
# $\mathbf{r}_\mu$, $\mathbf{r}_{\sigma^2}$. Derive $\partial J/\partial\mathbf{x}$: which
# nodes of the training graph are still there? The cache holds `x`, `gamma`, `running_mean`,
# `running_var` and `eps`.
#
# <details><summary>Hint (the formula)</summary>
#
# The statistics are constants now, no path through μ or σ² is left:
# `dx = dy ⊙ γ / √(running_var + eps)`.
# </details>

# %% tags=["exercise"] exercise="eval_backward"
def eval_backward(dy, c):
    # YOUR CODE HERE
    dx = np.zeros_like(c["x"])
    return dx


# %% tags=["check"] exercise="eval_backward"
check(modes.eval_backward_check(eval_backward), "eval_backward")

# %% [markdown]
# The most common *training-mode* mistake (the paths through $\boldsymbol{\mu}$ and
# $\boldsymbol{\sigma}^2$ left out, `verify`'s `missing_statistics_paths`) is the right
# evaluation-mode backward. After the four training steps above, both layers in evaluation
# mode on a new batch, the output and $\partial J/\partial\mathbf{x}$:

# %%
for c in modes.eval_rows(steps=4):
    print(f"eval {c.tensor:>3}: {'agrees' if c.passed else 'DIFFERS'} (max rel err "
          f"{c.max_rel_err:.1e})")

# %% [markdown]
# ## 6. The $N - 1$ variance
#
# Backprop ninja (Karpathy's "Building makemore part 4") normalises with the *unbiased*
# batch variance, $\boldsymbol{\sigma}^2 = \frac{1}{N-1}\sum_n(\mathbf{x}_n-\boldsymbol{\mu})^2$,
# arguing that a small batch is a sample of the data.
#
# ### Exercise 8: batch norm with the $N - 1$ variance
#
# Which node's local derivative changes, and what becomes of the compact expression of
# Exercise 5? Write the backward (the forward is given); `modes.verify_unbiased` verifies the
# pair against autograd of the $N - 1$ layer.
#
# <details><summary>Hint (where it changes)</summary>
#
# Only the local derivative of σ² changes: through σ², `x − μ` now gets `2 (x − μ) / (N − 1)`.
# In the compact form the last term becomes `x̂ ⊙ Σₙ(g ⊙ x̂) / (N − 1)`; the mean through μ
# keeps its 1/N.
# </details>

# %% tags=["exercise"] exercise="unbiased"
def unbiased_forward(x, gamma, beta, eps=1e-5):
    xc = x - x.mean(axis=0)
    std = np.sqrt((xc ** 2).sum(axis=0) / (x.shape[0] - 1) + eps)
    xhat = xc / std
    return gamma * xhat + beta, dict(gamma=gamma, xhat=xhat, std=std)


def unbiased_backward(dy, c):
    gamma, xhat, std = c["gamma"], c["xhat"], c["std"]
    # YOUR CODE HERE
    dx = np.zeros_like(xhat)
    dgamma = np.zeros_like(gamma)
    dbeta = np.zeros_like(gamma)
    return dx, dgamma, dbeta


# %% tags=["check"] exercise="unbiased"
check(modes.verify_unbiased(unbiased_forward, unbiased_backward), "unbiased")

# %% [markdown]
# ## 7. An open question
#
# Ask `verify` with `against="batchnorm"` (torch's $\div N$) about your $N - 1$ pair: what
# does it call it, and is that the right call? Then measure how the two layers differ as the
# batch grows: for $N = 4, 16, 64, 256$ (one seeded batch each, the same $\gamma$), run both
# forwards and both backwards (`compact_*` and `unbiased_*`) and print the largest relative
# difference of the outputs and of $\partial J/\partial\mathbf{x}$. Does it shrink like
# $1/N$? Is the $N$ versus $N - 1$ choice something a test at $N = 256$ could still see?

# %%
# your experiment here

# %% [markdown]
# **Take-aways.** Batch norm's graph has two nodes with two consumers, and each of them adds
# a path to $\partial J/\partial\mathbf{x}$: forget them and you get the most common bug. The
# three paths collapse into one expression in $\hat{\mathbf{x}}$ and $\boldsymbol{\sigma}$,
# which is what libraries cache. Test with $\boldsymbol{\gamma}\ne 1$ and
# $\boldsymbol{\beta}\ne 0$, or whole families of mistakes pass. In evaluation mode the
# statistics are constants and the layer is an affine map per feature; torch's running
# variance is the unbiased one, while the batch is normalised with the biased one.
