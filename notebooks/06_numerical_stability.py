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
# # Lab 6: numerical stability and initialisation
#
# **What you learn.** Backpropagation multiplies one local Jacobian per layer, so in a deep
# network gradients are long products that can shrink to nothing (*vanishing*) or blow up
# (*exploding*). You will see a saturating sigmoid kill its gradient, a product of random
# matrices explode, the per-layer gradients of a 10-layer network at initialisation under two
# initialisations, and derive and implement Xavier initialisation, which keeps the variance of
# signals and gradients roughly constant from layer to layer.

# %%
import matplotlib.pyplot as plt
import numpy as np
import torch

import comparisons
import handmade as hm
from comparisons.experiments.stability.compute import gradient_norm_run, matrix_product_growth, sigmoid_curve
from comparisons.labs.checks import check, check_value, set_hint

set_hint("none")          # "shape" or "formula" show more of the answer in the checks
# %matplotlib inline

# %% [markdown]
# ## 1. Gradients multiply
#
# For a network $\mathbf{h}^{(l)} = f_l(\mathbf{h}^{(l-1)})$, $\mathbf{o} = \mathbf{h}^{(L)}$, the
# gradient with respect to the parameters of layer $l$ is
#
# $$\partial_{\mathbf{W}^{(l)}}\mathbf{o} = \underbrace{\partial_{\mathbf{h}^{(L-1)}}\mathbf{h}^{(L)}
# \cdots\partial_{\mathbf{h}^{(l)}}\mathbf{h}^{(l+1)}}_{L-l\ \text{Jacobians}}\;
# \partial_{\mathbf{W}^{(l)}}\mathbf{h}^{(l)}.$$
#
# A product of $L-l$ matrices: if they tend to shrink vectors, the early layers get vanishing
# gradients; if they tend to stretch them, exploding ones.
#
# ## 2. Vanishing: the sigmoid saturates
#
# $\sigma(x) = 1/(1+e^{-x})$. Its derivative can be written with $\sigma(x)$ alone: derive it
# (differentiate $(1+e^{-x})^{-1}$, then express $e^{-x}$ through $\sigma$). It is at most
# $\frac14$, and it tends to 0 as $|x|$ grows: a unit pushed far from 0 passes almost no
# gradient back.
#
# ### Exercise 1: the sigmoid, forward and backward
#
# Return `(out, cache)` from the forward and `dx = dout * sigma'(x)` from the backward, using
# the output you cached (no second `exp`).
#
# <details><summary>Hint: the derivative</summary>
#
# $\sigma'(x) = \dfrac{e^{-x}}{(1+e^{-x})^2} = \sigma(x)\bigl(1-\sigma(x)\bigr)$, largest at
# $x = 0$ where $\sigma = \frac12$.
#
# </details>

# %% tags=["exercise"] exercise="sigmoid"
def sigmoid_forward(x):
    out = 1 / (1 + np.exp(-x))
    return out, out


def sigmoid_backward(dout, cache):
    out = cache
    # YOUR CODE HERE
    dx = np.zeros_like(dout)
    return dx


# %% tags=["check"] exercise="sigmoid"
check(comparisons.verify(sigmoid_forward, sigmoid_backward, against="sigmoid"), "sigmoid")

# %% [markdown]
# The book's picture: $\sigma$ and $\sigma'$ on $[-8, 8)$, computed by the project's
# `handmade.sigmoid_forward`/`sigmoid_backward`:

# %%
curve, _ = sigmoid_curve(("handmade",))
plt.figure(figsize=(6, 3.2))
plt.plot(curve["x"], curve["sigmoid"], label="sigmoid")
plt.plot(curve["x"], curve["grad"], label="gradient")
plt.legend()
plt.show()
print(f"max sigma' = {curve['grad_max']:.3f}; at |x| = 8: {curve['grad_at_edges']:.1e}")

# %% [markdown]
# ## 3. Exploding: a product of random matrices
#
# The book multiplies a $4\times4$ matrix with entries $\mathcal{N}(0,1)$ by 100 more such
# matrices. The entries grow geometrically: no learning rate can cope with gradients like
# that.

# %%
logs = matrix_product_growth(np.random.default_rng(0))
plt.figure(figsize=(6, 3.2))
plt.plot(logs)
plt.xlabel("number of factors k")
plt.ylabel("log10 max |entry|")
plt.show()
print(f"after 100 factors: max |entry| = 1e{logs[-1]:.1f}")

# %% [markdown]
# How fast, per factor? The typical growth of a long product is $e^{\lambda_1}$ per factor,
# where $\lambda_1$, the top Lyapunov exponent, is the average of $\log\lVert\mathbf{M}\mathbf{v}\rVert$
# over random factors $\mathbf{M}$ for a unit vector $\mathbf{v}$ (renormalised after each step).
# For $4\times4$ standard normal matrices it is known exactly:
# $\lambda_1 = \frac12\bigl(\ln 2 + \psi(2)\bigr)$, with $\psi(2) = 1 - \gamma$ (Euler's
# $\gamma$). Measured over 20 000 factors, against the formula, and what it predicts for 100
# (one product of 100 scatters around that typical value by a few powers of ten):

# %%
factors = np.random.default_rng(1).standard_normal((20_000, 4, 4))
v, log_norms = np.full(4, 0.5), []
for M in factors:
    v = M @ v
    log_norms.append(np.log(np.linalg.norm(v)))
    v /= np.linalg.norm(v)
lyapunov = np.mean(log_norms)
exact = 0.5 * (np.log(2) + 1 - np.euler_gamma)
print(f"lambda_1: measured {lyapunov:.3f}, exact {exact:.3f}; growth per factor "
      f"e^lambda_1 = {np.exp(lyapunov):.2f}")
print(f"after 100 factors: e^(100 lambda_1) = 1e{100 * exact / np.log(10):.1f} "
      f"(the product above: 1e{logs[-1]:.1f})")

# %% [markdown]
# ## 4. Xavier initialisation
#
# Take one linear layer $o_i = \sum_{j=1}^{n_\text{in}} w_{ij}x_j$ with independent weights of
# mean 0 and variance $\sigma^2$, and inputs of mean 0 and variance $\gamma^2$, independent of
# the weights. Derive, step by step:
#
# 1. $\mathbb{E}[o_i]$ and $\operatorname{Var}[o_i]$; for which $\sigma^2$ does the forward signal
#    keep its variance?
# 2. The backward pass multiplies by $\mathbf{W}^\top$: for which $\sigma^2$ do gradients keep
#    theirs?
# 3. Both cannot hold unless $n_\text{in} = n_\text{out}$. Xavier (Glorot) asks for the average
#    of the two conditions: which $\sigma^2$?
# 4. A uniform $U(-a, a)$ with that variance: which $a$?
#
# <details><summary>Hint for step 1</summary>
#
# $\mathbb{E}[o_i] = 0$ and $\operatorname{Var}[o_i] = \sum_j \mathbb{E}[w_{ij}^2]\,\mathbb{E}[x_j^2] = n_\text{in}\sigma^2\gamma^2$:
# the variance is kept when $n_\text{in}\sigma^2 = 1$ (and for step 2, the same argument with
# $n_\text{out}$ terms per sum gives $n_\text{out}\sigma^2 = 1$).
#
# </details>
#
# <details><summary>Hint for steps 3 and 4</summary>
#
# $$\tfrac12(n_\text{in} + n_\text{out})\,\sigma^2 = 1 \quad\Longrightarrow\quad
# \sigma^2 = \frac{2}{n_\text{in} + n_\text{out}},$$
#
# and $U(-a, a)$ has variance $a^2/3$, so $a = \sqrt{6/(n_\text{in} + n_\text{out})}$.
#
# </details>
#
# ### Exercise 2: Xavier uniform
#
# `shape` is a weight's shape in torch's layout, `(fan_out, fan_in)`. Compute the bound $a$ and
# return `rng.uniform(-a, a, size=shape)` (one call, so that the check can replay the same
# random numbers and compare with `handmade.init.xavier_uniform`).

# %% tags=["exercise"] exercise="xavier"
def xavier_uniform(shape, rng):
    fan_out, fan_in = shape
    # YOUR CODE HERE: the bound a
    a = 0.0
    return rng.uniform(-a, a, size=shape)


# %% tags=["check"] exercise="xavier"
shape = (30, 50)
expected = hm.init.xavier_uniform(shape, np.random.default_rng(0))
check(check_value(xavier_uniform, (shape, np.random.default_rng(0)), expected, name="W"),
      "xavier")

# %% [markdown]
# The variance of a large draw against the variance step 3 asked for:

# %%
W = hm.init.xavier_uniform((400, 600), np.random.default_rng(1))
print(f"variance {W.var():.6f}  vs  2/(n_in + n_out) = {2 / (400 + 600):.6f}")

# %% [markdown]
# ## 5. Ten layers at initialisation: Xavier versus $\mathcal{N}(0, 0.01^2)$
#
# A network of 10 linear layers ($64\to128\to\dots\to128\to10$) with tanh or sigmoid between
# them and softmax cross-entropy on top, one backward pass on 256 digits, weights from Xavier
# uniform or from $\mathcal{N}(0, 0.01^2)$ (the book's default for small networks). Per layer,
# the norm of the weight gradient $\lVert\partial L/\partial\mathbf{W}^{(l)}\rVert$ and of the
# signal reaching the layer's input $\lVert\partial L/\partial\mathbf{h}^{(l-1)}\rVert$:

# %%
rows = [gradient_norm_run(0, act, init, ("handmade",))[0]
        for act in ("tanh", "sigmoid") for init in ("xavier_uniform", "normal")]
fig, axes = plt.subplots(1, 2, figsize=(12, 3.6), sharey=True)
for ax, key in zip(axes, ("weight_grad_norms", "input_grad_norms")):
    for r in rows:
        ax.semilogy(range(1, len(r[key]) + 1), r[key], "o-",
                    label=f"{r['activation']}, {r['init']}")
    ax.set(title=key, xlabel="layer (1 = input side)")
axes[0].legend(fontsize=8)
plt.show()

# %% [markdown]
# With $\mathcal{N}(0, 0.01^2)$ each layer multiplies the backward signal by about
# $\phi'\cdot 0.01\cdot\sqrt{128}\ll 1$: it vanishes towards the input (and with tanh the
# forward signal vanishes too, so every weight gradient is tiny). With Xavier and tanh
# ($\phi'(0) = 1$, the derivation's assumption) every layer gets gradients of the same order.
# With sigmoid, $\phi' \le \frac14$ still shrinks the signal about 4× per layer even under
# Xavier: the initialisation must match the activation (He initialisation does so for ReLU).

# %% [markdown]
# ## 6. He initialisation for ReLU
#
# Xavier's derivation assumed $\phi'(0) = 1$ and a signal symmetric about 0. ReLU breaks
# both: it zeroes every negative input. Redo step 1 of section 4 for a layer whose inputs are
# the ReLU outputs of the previous layer, $x_j = \max(z_j, 0)$ with $z_j$ symmetric about 0
# and of variance $v$: what is $\mathbb{E}[x_j^2]$ now, and which $\sigma^2$ keeps the
# variance of $z$ the same from layer to layer? (He et al. keep the forward condition only,
# with $n_\text{in}$.)
#
# <details><summary>Hint: half of the second moment</summary>
#
# By symmetry, half of $z_j$'s second moment lies above 0: $\mathbb{E}[x_j^2] = \frac12 v$. So
# $\operatorname{Var}[o_i] = n_\text{in}\sigma^2\cdot\frac12 v$, kept when $\sigma^2 = 2/n_\text{in}$: a
# normal with standard deviation `np.sqrt(2 / fan_in)` (torch's `kaiming_normal_` with
# `nonlinearity="relu"`: gain $\sqrt2$ over $\sqrt{n_\text{in}}$).
#
# </details>
#
# ### Exercise 3: He normal
#
# Return weights of shape `(fan_out, fan_in)` drawn from $\mathcal{N}(0, \sigma^2)$ with He's
# $\sigma$, in one call `rng.normal(0.0, std, size=shape)` (the check replays it against the
# standard deviation torch's `kaiming_normal_` uses for ReLU).

# %% tags=["exercise"] exercise="he_init"
def he_normal(shape, rng):
    fan_out, fan_in = shape
    # YOUR CODE HERE: the standard deviation
    std = 0.0
    return rng.normal(0.0, std, size=shape)


# %% tags=["check"] exercise="he_init"
shape = (40, 50)
torch_std = torch.nn.init.calculate_gain("relu") / np.sqrt(shape[1])   # kaiming_normal_'s
expected = np.random.default_rng(0).normal(0.0, torch_std, size=shape)
check(check_value(he_normal, (shape, np.random.default_rng(0)), expected, name="W"), "he_init")

# %% [markdown]
# Ten ReLU layers of width 256 on standard normal inputs: the standard deviation of each
# layer's pre-activation $\mathbf{z}$, under Xavier uniform and under your `he_normal`:

# %%
def relu_stack_scales(init, depth=10, width=256):
    g = np.random.default_rng(3)
    x, scales = g.standard_normal((512, width)), []
    for _ in range(depth):
        z = x @ init((width, width), g).T
        scales.append(z.std())
        x = np.maximum(z, 0)
    return scales


for label, init in (("xavier_uniform", hm.init.xavier_uniform), ("he_normal", he_normal)):
    print(f"{label:>14}:", " ".join(f"{v:.2f}" for v in relu_stack_scales(init)))

# %% [markdown]
# Under Xavier (here $\sigma^2 = 1/n$, equal fans) every ReLU layer halves the variance: the
# scale shrinks by $1/\sqrt2$ per layer. He's factor 2 puts back what ReLU removes.
#
# ## 7. Symmetry: why the weights must start different
#
# If every hidden unit starts with the same weights, each computes the same value, receives
# the same gradient, takes the same step, and stays a copy of the others: $h$ hidden units
# that act as one. Below, lab 1's network (ReLU, MSE, no penalty) is trained for 200 SGD steps
# on a random regression task, once from a constant start and once from your `he_normal`;
# the number of distinct hidden units is the number of distinct rows of $\mathbf{W}^{(1)}$:

# %%
def distinct_hidden_units(W1, W2, steps=200, lr=0.05):
    g = np.random.default_rng(2)
    X, Y = g.standard_normal((32, 4)), g.standard_normal((32, 1))
    W1, W2 = W1.copy(), W2.copy()
    for _ in range(steps):
        _, cache = hm.two_layer_forward(X, Y, W1, W2, 0.0)
        grads = hm.two_layer_backward(1.0, cache)
        W1 -= lr * grads["dW1"]
        W2 -= lr * grads["dW2"]
    return len(np.unique(W1.round(10), axis=0))


g = np.random.default_rng(4)
print("constant start :", distinct_hidden_units(np.full((6, 4), 0.3), np.full((1, 6), 0.3)),
      "distinct hidden units of 6")
print("he_normal start:", distinct_hidden_units(he_normal((6, 4), g), he_normal((1, 6), g)),
      "distinct hidden units of 6")

# %% [markdown]
# Gradient descent cannot break the tie: nothing in the update tells two identical units
# apart. A random start breaks it once and for all (dropout, which drops units differently,
# would break it too).
#
# ## An open question
#
# He's derivation keeps the *forward* signal. Does it keep the backward one too? Extend
# `relu_stack_scales` with a backward pass (start from a standard normal $\partial L/\partial\mathbf{z}$
# at the top; each layer multiplies by $\mathbf{W}$ and by the ReLU mask of the layer below) and
# compare the norms of $\partial L/\partial\mathbf{z}$ per layer under Xavier and under He.
# Predict the factor per layer first.

# %%
# your experiment here

# %% [markdown]
# **Take-aways.** Gradients are products over layers; saturating activations and badly scaled
# weights make them vanish or explode; choosing the weights' variance from the layer's fans
# (Xavier for tanh, He for ReLU) keeps forward and backward signals at a stable scale; and
# the weights must start different, or the hidden units stay copies of each other.
