# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
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

import comparisons
import handmade as hm
from comparisons.experiments.stability.compute import gradient_norm_run, matrix_product_growth, sigmoid_curve
from comparisons.labs.checks import check, check_value

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
# $\sigma(x) = 1/(1+e^{-x})$ has $\sigma'(x) = \sigma(x)\bigl(1-\sigma(x)\bigr)\le\frac14$, and
# $\sigma'(x)\to 0$ as $|x|$ grows: a unit pushed far from 0 passes almost no gradient back.
#
# ### Exercise 1: the sigmoid, forward and backward
#
# Return `(out, cache)` from the forward and `dx = dout * sigma'(x)` from the backward, using
# the output you cached (no second `exp`).

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
# matrices. Each factor stretches vectors by about 2 on average, so the entries grow
# geometrically, to around $10^{23}$ to $10^{26}$: no learning rate can cope with gradients
# like that.

# %%
logs = matrix_product_growth(np.random.default_rng(0))
plt.figure(figsize=(6, 3.2))
plt.plot(logs)
plt.xlabel("number of factors k")
plt.ylabel("log10 max |entry|")
plt.show()
print(f"after 100 factors: max |entry| = 1e{logs[-1]:.1f}")

# %% [markdown]
# ## 4. Xavier initialisation
#
# Take one linear layer $o_i = \sum_{j=1}^{n_\text{in}} w_{ij}x_j$ with independent weights of
# mean 0 and variance $\sigma^2$, and inputs of mean 0 and variance $\gamma^2$. Then
# $\mathbb{E}[o_i] = 0$ and $\operatorname{Var}[o_i] = n_\text{in}\sigma^2\gamma^2$: the forward
# signal keeps its variance when $n_\text{in}\sigma^2 = 1$. The backward pass multiplies by
# $\mathbf{W}^\top$, so gradients keep theirs when $n_\text{out}\sigma^2 = 1$. Both cannot hold
# unless $n_\text{in} = n_\text{out}$; Xavier (Glorot) takes the compromise
#
# $$\tfrac12(n_\text{in} + n_\text{out})\,\sigma^2 = 1 \quad\Longrightarrow\quad
# \sigma^2 = \frac{2}{n_\text{in} + n_\text{out}}.$$
#
# As a uniform distribution $U(-a, a)$, whose variance is $a^2/3$:
# $a = \sqrt{6/(n_\text{in} + n_\text{out})}$.
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
# The variance of a large draw against $2/(n_\text{in}+n_\text{out})$:

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
#
# **Take-aways.** Gradients are products over layers; saturating activations and badly scaled
# weights make them vanish or explode; choosing the weights' variance as
# $2/(n_\text{in}+n_\text{out})$ keeps forward and backward signals at a stable scale.
