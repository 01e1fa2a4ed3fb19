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
# # Lab 1: forward and backward through the two-layer network
#
# **What you learn.** How backpropagation computes every gradient of the book's two-layer
# network by the chain rule, one node at a time, in the book's order; why the minibatch
# formulas carry transposes; and how to *prove* a hand-written backward pass right (or learn
# exactly what is wrong with it) with `comparisons.verify`.
#
# **The network** (D2L, section "Forward propagation, backward propagation, and computational
# graphs"). One example $\mathbf{x}\in\mathbb{R}^d$, no biases, hidden activation $\phi$:
#
# | symbol | definition | shape |
# |---|---|---|
# | $\mathbf{z}$ | $\mathbf{W}^{(1)}\mathbf{x}$ | $h$ |
# | $\mathbf{h}$ | $\phi(\mathbf{z})$, elementwise | $h$ |
# | $\mathbf{o}$ | $\mathbf{W}^{(2)}\mathbf{h}$ | $q$ |
# | $L$ | $l(\mathbf{o}, \mathbf{y})$ | scalar |
# | $s$ | $\frac{\lambda}{2}\left(\lVert\mathbf{W}^{(1)}\rVert_F^2 + \lVert\mathbf{W}^{(2)}\rVert_F^2\right)$ | scalar |
# | $J$ | $L + s$ (the objective) | scalar |
#
# $\mathbf{W}^{(1)}$ is $h\times d$ and $\mathbf{W}^{(2)}$ is $q\times h$: the `(out, in)` layout
# of `torch.nn.Linear.weight`. In code, $\phi$ is ReLU and $l$ is the mean squared error
# (torch's `MSELoss`: the mean over all entries, no ½).
#
# **How the exercises work.** Each states the forward and what to compute; you derive the
# backward on paper, then write it. The formulas are in collapsed hints (click *Hint*) and in
# `solutions/`; the checks name what is wrong without printing the answer. For more help from
# the checks, change the `set_hint` line below to `"shape"` (the shape each gradient must
# have) or `"formula"` (the equations).

# %%
import numpy as np
import torch

import comparisons
import handmade as hm
import reference as ref
from comparisons.core.compare import compare
from comparisons.labs.checks import check, check_value, set_hint
from handmade.network import BOOK

set_hint("none")          # "shape" or "formula" show more of the answer in the checks
rng = np.random.default_rng(0)

# %% [markdown]
# ## 1. The forward pass, value by value
#
# `handmade.two_layer_forward` computes the objective and keeps every intermediate value in its
# cache, under the book's names. Its torch twin `reference.two_layer` builds the same values
# with torch ops. One example ($N = 1$), $d = 3$, $h = 4$, $q = 2$, $\lambda = 0.1$:

# %%
d, h, q, lam = 3, 4, 2, 0.1
x = rng.standard_normal((1, d))          # one example, stored as a row
y = rng.standard_normal((1, q))
W1 = 0.7 * rng.standard_normal((h, d))
W2 = 0.7 * rng.standard_normal((q, h))

J, cache = hm.two_layer_forward(x, y, W1, W2, lam)
for name in ("z", "h", "o", "L", "s", "J"):
    print(f"{name:>2} = {np.round(getattr(cache, name), 4)}")

# %% [markdown]
# The same values from torch (as leaves with `requires_grad=True`, so autograd can later walk
# back through them), compared with the project's one comparison helper:

# %%
t = {k: torch.tensor(v, requires_grad=k in ("W1", "W2"))
     for k, v in {"x": x, "y": y, "W1": W1, "W2": W2}.items()}
values = ref.two_layer(t["x"], t["y"], t["W1"], t["W2"], lam)
for name in ("z", "h", "o", "L", "s", "J"):
    c = compare(getattr(cache, name), values[name].detach().numpy(), name="forward",
                tensor=name, against="forward")
    print(f"{name:>2}: {'agrees' if c.passed else 'DIFFERS'} (max rel err {c.max_rel_err:.1e})")

# %% [markdown]
# ## 2. The backward pass, in the book's order
#
# Backpropagation walks the graph from $J$ back to the parameters. Each step multiplies the
# gradient arriving from above by the local derivative of one node (the chain rule); the
# shapes tell you where transposes go. The steps, each with the shape its result must have
# (one example, column vectors as in the book):
#
# | step | compute | from | shape |
# |---|---|---|---|
# | 1 | $\partial J/\partial L$, $\partial J/\partial s$ | $J = L + s$ | scalars |
# | 2 | $\partial J/\partial\mathbf{o}$ | $L = l(\mathbf{o}, \mathbf{y})$ and step 1 | $q$ |
# | 3 | $\partial s/\partial\mathbf{W}^{(1)}$, $\partial s/\partial\mathbf{W}^{(2)}$ | the penalty $s$ | $h\times d$, $q\times h$ |
# | 4 | $\partial J/\partial\mathbf{W}^{(2)}$ | $\mathbf{o} = \mathbf{W}^{(2)}\mathbf{h}$, steps 2-3 | $q\times h$ |
# | 5 | $\partial J/\partial\mathbf{h}$ | $\mathbf{o} = \mathbf{W}^{(2)}\mathbf{h}$, step 2 | $h$ |
# | 6 | $\partial J/\partial\mathbf{z}$ | $\mathbf{h} = \phi(\mathbf{z})$, step 5 | $h$ |
# | 7 | $\partial J/\partial\mathbf{W}^{(1)}$ | $\mathbf{z} = \mathbf{W}^{(1)}\mathbf{x}$, steps 3 and 6 | $h\times d$ |
#
# A parameter used twice ($\mathbf{W}^{(1)}$ feeds $\mathbf{z}$ and $s$) receives the sum of
# what both uses send back.
#
# <details><summary>Hint: the seven steps, one example</summary>
#
# 1. $\dfrac{\partial J}{\partial L} = 1$, $\dfrac{\partial J}{\partial s} = 1$
# 2. $\dfrac{\partial J}{\partial \mathbf{o}} = \dfrac{\partial L}{\partial \mathbf{o}}$
# 3. $\dfrac{\partial s}{\partial \mathbf{W}^{(1)}} = \lambda\mathbf{W}^{(1)}$, $\dfrac{\partial s}{\partial \mathbf{W}^{(2)}} = \lambda\mathbf{W}^{(2)}$
# 4. $\dfrac{\partial J}{\partial \mathbf{W}^{(2)}} = \dfrac{\partial J}{\partial \mathbf{o}}\,\mathbf{h}^\top + \lambda\mathbf{W}^{(2)}$
# 5. $\dfrac{\partial J}{\partial \mathbf{h}} = {\mathbf{W}^{(2)}}^\top\dfrac{\partial J}{\partial \mathbf{o}}$
# 6. $\dfrac{\partial J}{\partial \mathbf{z}} = \dfrac{\partial J}{\partial \mathbf{h}}\odot\phi'(\mathbf{z})$ (elementwise, because $\phi$ is)
# 7. $\dfrac{\partial J}{\partial \mathbf{W}^{(1)}} = \dfrac{\partial J}{\partial \mathbf{z}}\,\mathbf{x}^\top + \lambda\mathbf{W}^{(1)}$
#
# </details>
#
# **Minibatch, row-wise.** Code stores a minibatch $\mathbf{X}$ as $N\times d$, one example per
# row, so $\mathbf{Z} = \mathbf{X}{\mathbf{W}^{(1)}}^\top$ is $N\times h$ and every column vector
# above becomes a row. The outer products of step 4 and step 7, summed over the batch, become
# matrix products with the batch on the inside: write each one so that the shapes match.
# The loss is a mean over all $N q$ entries, $L = \frac{1}{Nq}\sum_{n,k}(o_{nk}-y_{nk})^2$:
# where does its $\frac{1}{Nq}$ go?
#
# <details><summary>Hint: the row-wise formulas</summary>
#
# $$\frac{\partial J}{\partial \mathbf{W}^{(2)}} = \left(\frac{\partial J}{\partial \mathbf{O}}\right)^{\!\top}\mathbf{H} + \lambda\mathbf{W}^{(2)},\qquad
# \frac{\partial J}{\partial \mathbf{H}} = \frac{\partial J}{\partial \mathbf{O}}\,\mathbf{W}^{(2)},\qquad
# \frac{\partial J}{\partial \mathbf{W}^{(1)}} = \left(\frac{\partial J}{\partial \mathbf{Z}}\right)^{\!\top}\mathbf{X} + \lambda\mathbf{W}^{(1)},$$
#
# and the mean puts its $\frac{1}{Nq}$ into $\partial J/\partial\mathbf{O} = \frac{2}{Nq}(\mathbf{O}-\mathbf{Y})$.
#
# </details>

# %% [markdown]
# ### Exercise 1 (warm-up): the linear layer
#
# `out = x @ W.T + b` with `x` $(N, D_{in})$, `W` $(D_{out}, D_{in})$, `b` $(D_{out},)$.
# Given the upstream gradient `dout` $(N, D_{out})$, return `(dx, dW, db)` with the shapes of
# `x`, `W` and `b`. Derive each from the shapes: `dW` must be $(D_{out}, D_{in})$ and the batch
# dimension $N$ has to disappear inside a product; `b` was added to every row.
#
# <details><summary>Hint: the formulas</summary>
#
# `dx = dout @ W`, `dW = dout.T @ x`, `db = dout.sum(axis=0)`.
#
# </details>

# %% tags=["exercise"] exercise="linear"
def linear_forward(x, W, b):
    out = x @ W.T + b
    return out, (x, W)


def linear_backward(dout, cache):
    x, W = cache
    # YOUR CODE HERE: replace the three zeros
    dx = np.zeros_like(x)
    dW = np.zeros_like(W)
    db = np.zeros(W.shape[0])
    return dx, dW, db


# %% tags=["check"] exercise="linear"
check(comparisons.verify(linear_forward, linear_backward, against="linear"), "linear")

# %% [markdown]
# `verify` ran your pair on awkward shapes ($N = 1$, non-square $W$, an odd batch,
# $D_{out} > D_{in}$), compared each gradient with torch autograd and with central finite
# differences of *your* forward, and named what is wrong when something is: `zero`,
# `transposed`, `scaled` (with the factor), `not_summed_over_batch`, ...

# %% [markdown]
# ### Exercise 2: the two-layer backward pass, step by step
#
# The forward is written for you in the book's notation (minibatch, row-wise). Fill in the
# backward, one line per step of the list above, and return the intermediate gradients too:
# `verify` checks each one against autograd (`retain_grad()` on z, h, o) and names the *first*
# wrong one in backward order. `dJ` is the upstream scalar (1 for the objective itself):
# multiply it in.
#
# The check reports step by step, the shape first, then the values, so you learn *which* step
# is wrong. Stuck halfway? `check(..., upto="dh")` judges steps 2-5 only (do, dW2, dh).

# %% tags=["exercise"] exercise="two_layer"
def two_layer_forward(X, Y, W1, W2, lam):
    z = X @ W1.T                      # (N, h)
    h = np.maximum(z, 0)              # (N, h)   phi = ReLU
    o = h @ W2.T                      # (N, q)
    L = np.mean((o - Y) ** 2)         # MSE: mean over all N*q entries, no 1/2
    s = lam / 2 * (np.sum(W1 ** 2) + np.sum(W2 ** 2))
    J = L + s
    return np.asarray(J), dict(X=X, Y=Y, W1=W1, W2=W2, lam=lam, z=z, h=h, o=o)


def two_layer_backward(dJ, cache):
    X, Y, W1, W2, lam = (cache[k] for k in ("X", "Y", "W1", "W2", "lam"))
    z, h, o = cache["z"], cache["h"], cache["o"]
    # YOUR CODE HERE: one line per step, replacing the zeros
    do = np.zeros_like(o)     # 2. dJ/do
    dW2 = np.zeros_like(W2)   # 3.-4. dJ/dW2
    dh = np.zeros_like(h)     # 5. dJ/dh
    dz = np.zeros_like(z)     # 6. dJ/dz
    dW1 = np.zeros_like(W1)   # 7. dJ/dW1
    return {"do": do, "dW2": dW2, "dh": dh, "dz": dz, "dW1": dW1}


# %% tags=["check"] exercise="two_layer"
check(comparisons.verify(two_layer_forward, two_layer_backward, against="two_layer"),
      "two_layer", steps=True)

# %% [markdown]
# ## 3. What a mistake looks like
#
# The project's own backward, `handmade.two_layer_backward`, passes. Forget the
# $\lambda\mathbf{W}^{(2)}$ term of step 4 and `verify` names the mistake instead of just saying
# "wrong" (the two lines below are the mistake, nothing more):

# %%
def forgot_weight_decay(dJ, cache):
    grads = hm.two_layer_backward(dJ, cache)
    penalty = cache.caches["pen2"]                 # holds W2 and lambda
    return {**grads, "dW2": grads["dW2"] - dJ * penalty.lam * penalty.W}


report = comparisons.verify(hm.two_layer_forward, forgot_weight_decay, against="two_layer")
print(report.verdict())
print(report.gradient("dW2").message)

# %% [markdown]
# ## 4. The intermediate gradients, in the book's order
#
# Autograd keeps `.grad` only for leaves, unless a non-leaf asks for it with `retain_grad()`;
# `reference.two_layer` does that for z, h, o, L, s. After `J.backward()`, every node's
# gradient can be set beside the hand-written one, walking back from $J$ (a minibatch of 5).
# The names and the order come from `handmade.network.BOOK`, the network's one description,
# which the project's backward, its torch twin, `verify` and the graph all read:

# %%
X = rng.standard_normal((5, d))
Y = rng.standard_normal((5, q))
J, cache = hm.two_layer_forward(X, Y, W1, W2, lam)
mine = hm.two_layer_backward(1.0, cache)

t = {k: torch.tensor(v, requires_grad=k in ("W1", "W2"))
     for k, v in {"X": X, "Y": Y, "W1": W1, "W2": W2}.items()}
values = ref.two_layer(t["X"], t["Y"], t["W1"], t["W2"], lam)
values["J"].backward()
for name, node in BOOK.gradient_nodes.items():  # do, dW2, dh, dz, dW1: the book's order
    theirs = (t[node] if node in t else values[node]).grad    # a leaf W, or a retained value
    c = compare(mine[name], theirs.numpy(), name="two_layer", tensor=name, against="autograd")
    print(f"{name:>3} {str(mine[name].shape):8} {'agrees' if c.passed else 'DIFFERS'}"
          f"  (max rel err {c.max_rel_err:.1e})")

# %% [markdown]
# ## 5. Minibatch versus single example: where the transposes come from
#
# For one example, step 7's data term is an outer product of two column vectors,
# $\boldsymbol{\delta}_z$ and $\mathbf{x}$. Stack the examples as rows and the sum of those outer
# products over the batch is one matrix product with the batch inside. Because the loss is a
# *mean*, the minibatch gradient of $L$ is the average of the per-example ones (the penalty
# $s$ is counted once, not per example):

# %%
N = X.shape[0]
per_example = []
for n in range(N):
    _, c1 = hm.two_layer_forward(X[n:n + 1], Y[n:n + 1], W1, W2, lam)
    g = hm.two_layer_backward(1.0, c1)
    dz_n, x_n = g["dz"][0], X[n]                     # column vectors in the book
    assert np.allclose(np.outer(dz_n, x_n), g["dz"].T @ X[n:n + 1])  # outer = row-wise form
    per_example.append(g["dW1"] - lam * W1)          # the loss part only
average = np.mean(per_example, axis=0) + lam * W1
c = compare(average, mine["dW1"], name="minibatch", tensor="dW1", against="autograd")
print(f"average of per-example gradients vs minibatch dW1: {'agree' if c.passed else 'DIFFER'}"
      f" (max rel err {c.max_rel_err:.1e})")

# %% [markdown]
# ## 6. The hidden bias $\mathbf{b}^{(1)}$ (book exercise)
#
# Give the hidden layer a bias: $\mathbf{z} = \mathbf{W}^{(1)}\mathbf{x} + \mathbf{b}^{(1)}$, with
# $\mathbf{b}^{(1)}\in\mathbb{R}^h$ (row-wise: $\mathbf{Z} = \mathbf{X}{\mathbf{W}^{(1)}}^\top + \mathbf{b}^{(1)}$,
# the same $\mathbf{b}^{(1)}$ added to every row). Which of the seven steps change, and what
# is $\partial J/\partial\mathbf{b}^{(1)}$? Draw the graph first (`backprop-lab graph --bias`
# draws it with the node $\mathbf{b}^{(1)}$): how many paths lead from $J$ to $\mathbf{b}^{(1)}$
# in a batch of $N$?
#
# ### Exercise 3: the hidden layer with its bias
#
# Write the hidden layer alone: `hidden_forward(X, W1, b1) -> (h, cache)` with
# $\mathbf{H} = \text{ReLU}(\mathbf{X}{\mathbf{W}^{(1)}}^\top + \mathbf{b}^{(1)})$, and
# `hidden_backward(dh, cache) -> (dX, dW1, db1)` for the upstream gradient `dh` of `h`
# $(N, h)$. `verify` checks it against torch's autograd of the same layer.
#
# <details><summary>Hint: the bias gradient</summary>
#
# Nothing before $\mathbf{z}$ changes: $\partial J/\partial\mathbf{z}$ is step 6. Each example's
# $\mathbf{z}_n$ received $\mathbf{b}^{(1)}$, so its gradient is the sum over the batch:
# $\partial J/\partial\mathbf{b}^{(1)} = \sum_n \partial J/\partial\mathbf{z}_n$ (`dz.sum(axis=0)`), of shape $h$.
#
# </details>

# %% tags=["exercise"] exercise="hidden_bias"
def hidden_forward(X, W1, b1):
    z = X @ W1.T + b1
    return np.maximum(z, 0), (X, W1, z)


def hidden_backward(dh, cache):
    X, W1, z = cache
    # YOUR CODE HERE: dz first, then the three gradients
    dX = np.zeros_like(X)
    dW1 = np.zeros_like(W1)
    db1 = np.zeros(W1.shape[0])
    return dX, dW1, db1


# %% tags=["check"] exercise="hidden_bias"
check(comparisons.verify(hidden_forward, hidden_backward, against="hidden_bias",
                         reference=lambda X, W1, b1: torch.relu(X @ W1.T + b1),
                         shapes={"X": ("N", 3), "W1": (4, 3), "b1": (4,)}),
      "hidden_bias")

# %% [markdown]
# The project's network takes the bias too (`b1=`), and its backward then returns `db1`
# after `dW1`; against torch's autograd of the same network:

# %%
b1 = 0.1 * rng.standard_normal(h)
J, cache = hm.two_layer_forward(X, Y, W1, W2, lam, b1=b1)
mine = hm.two_layer_backward(1.0, cache)
tb = torch.tensor(b1, requires_grad=True)
values = ref.two_layer(t["X"], t["Y"], t["W1"], t["W2"], lam, b1=tb)
values["J"].backward()
c = compare(mine["db1"], tb.grad.numpy(), name="two_layer", tensor="db1", against="autograd")
print("gradients:", list(mine), "| db1 against autograd:", "agrees" if c.passed else "DIFFERS")

# %% [markdown]
# ## 7. The shape of a gradient (book exercise)
#
# A scalar function $f$ of a matrix input $\mathbf{X}\in\mathbb{R}^{n\times m}$: what is the
# shape of $\partial f/\partial\mathbf{X}$? Think of what one entry of it means.
#
# ### Exercise 4: the shape of $\partial f/\partial\mathbf{X}$
#
# Return the shape as a tuple of ints. The check asks torch: it computes the gradient of a
# scalar function of a $5\times 3$ matrix and compares its shape with yours.
#
# <details><summary>Hint</summary>
#
# Entry $(i, j)$ of the gradient is $\partial f/\partial x_{ij}$: one number per entry of
# $\mathbf{X}$, so the gradient has the shape of $\mathbf{X}$, $n\times m$. Every gradient
# `verify` checks obeys this: `dW` has `W`'s shape.
#
# </details>

# %% tags=["exercise"] exercise="grad_shape"
def grad_shape(n, m):
    # YOUR CODE HERE: the shape of df/dX for an n-by-m X
    return (0, 0)


# %% tags=["check"] exercise="grad_shape"
Xt = torch.randn(5, 3, dtype=torch.float64, requires_grad=True)
(torch.sin(Xt) ** 2).sum().backward()                        # any scalar f of X
check(check_value(grad_shape, (5, 3), np.array(Xt.grad.shape), name="shape"), "grad_shape")

# %% [markdown]
# ## An open question
#
# If the loss were the *sum* of the squared errors instead of their mean, which of the seven
# steps would change, and by what factor? Predict it, then test your prediction: multiply
# your exercise-2 `do` by your factor (inside a copy of `two_layer_backward`) and run
# `comparisons.verify` against `"two_layer"`. `verify` judges against the mean, so it should
# report `scaled` with exactly your factor, named by what it equals (`N·q`, ...), and say
# which gradients inherit it.

# %%
# your experiment here

# %% [markdown]
# **Take-aways.** Each gradient has the shape of what it differentiates; the batch dimension
# is summed away inside a matrix product ($\boldsymbol{\Delta}^\top\mathbf{X}$); the mean's $1/N$
# enters once, at the loss; the penalty adds $\lambda\mathbf{W}$ to the weight gradients only.
# Next lab: the same computation drawn as a graph, and what PyTorch builds behind the scenes.
