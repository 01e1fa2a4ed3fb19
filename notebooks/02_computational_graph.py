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
# # Lab 2: the computational graph
#
# **What you learn.** Backpropagation is a walk over a graph: the forward pass builds it and
# stores a value in every node, the backward pass visits it in reverse and stores a gradient
# in every node. You will draw the book's graph of the two-layer network, see the (larger)
# graph PyTorch records behind a tensor, and meet what that graph implies in practice: leaves
# and `grad_fn`, `retain_grad`, gradients that *accumulate*, `torch.no_grad`, `detach`, and
# why a tensor used twice receives the *sum* of two gradients.

# %%
import numpy as np
import torch

import comparisons
import handmade as hm
import reference as ref
from comparisons.graph.draw import draw_side_by_side, new_graph_figure
from comparisons.graph.outputs import run_graphs
from comparisons.graph.record import make_network
from comparisons.graph.torch_graph import extract_torch_graph, grads_after_repeated_backward
from comparisons.labs.checks import check, check_value, set_hint

set_hint("none")          # "shape" or "formula" show more of the answer in the checks
# %matplotlib inline

# %% [markdown]
# ## 1. The book's graph: forward values
#
# For the network of lab 1,
# $\mathbf{z} = \mathbf{W}^{(1)}\mathbf{x}$, $\mathbf{h} = \phi(\mathbf{z})$,
# $\mathbf{o} = \mathbf{W}^{(2)}\mathbf{h}$, $L = l(\mathbf{o}, \mathbf{y})$,
# $s = \frac{\lambda}{2}(\lVert\mathbf{W}^{(1)}\rVert_F^2 + \lVert\mathbf{W}^{(2)}\rVert_F^2)$,
# $J = L + s$, the graph has one node per quantity and an edge from every input of an
# operation to its output: $\mathbf{x}, \mathbf{W}^{(1)} \to \mathbf{z} \to \mathbf{h}$;
# $\mathbf{h}, \mathbf{W}^{(2)} \to \mathbf{o}$; $\mathbf{o}, \mathbf{y} \to L$;
# $\mathbf{W}^{(1)}, \mathbf{W}^{(2)} \to s$; $L, s \to J$.
#
# `run_graphs` runs the hand-written `TwoLayerMLP` once, forward and backward, on a seeded
# minibatch ($N = 4$, $d = 3$, $h = 5$, $q = 2$, ReLU, $\lambda = 0.1$) and records that graph.
# Each box shows the node's shape and its value (norm and first entries):

# %%
run = run_graphs(seed=0)
fig, _ = new_graph_figure(run.hand, annotate="value", title="forward pass: values")
fig

# %% [markdown]
# ## 2. The backward pass: the same graph, gradients in the nodes
#
# Backward visits the nodes in reverse topological order; each node receives
# $\partial J/\partial(\text{node})$ from its consumers and passes it on to its inputs through
# its local derivative. A node with two consumers ($\mathbf{W}^{(1)}$ feeds both $\mathbf{z}$
# and $s$) adds what they send (lab 1's step 7). The data $\mathbf{x}, \mathbf{y}$ get no
# gradient.
#
# To compute $\partial J/\partial\mathbf{W}^{(1)}$ the backward pass needs $\mathbf{x}$ and
# $\phi'(\mathbf{z})$, values of the *forward* pass: training keeps every intermediate value
# alive until backward has used it, which is why training needs more memory than prediction.

# %%
fig, _ = new_graph_figure(run.hand, annotate="grad", title="backward pass: dJ/d(node)")
fig

# %% [markdown]
# ### The memory cost of backprop, measured
#
# How much does the forward keep for the backward? For the handmade engine, the bytes of the
# arrays in the forward's cache that are not the inputs or parameters themselves; for torch,
# the tensors autograd saves for backward (`torch.autograd.graph.saved_tensors_hooks` sees
# each one), again without the inputs and parameters. For prediction only, neither keeps
# anything: each intermediate can be freed once the next one is computed (under
# `torch.no_grad()` autograd saves nothing). A wide network ($d = 64$, $h = 256$, $q = 10$),
# float64:

# %%
def handmade_kept_bytes(cache, given):
    """Bytes of the distinct arrays in ``cache`` sharing no memory with the ``given`` ones."""
    seen, stack, total = set(), [cache], 0
    while stack:
        obj = stack.pop()
        if isinstance(obj, np.ndarray):
            if id(obj) not in seen and not any(np.shares_memory(obj, g) for g in given):
                seen.add(id(obj))
                total += obj.nbytes
        elif isinstance(obj, dict):
            stack.extend(obj.values())
        elif isinstance(obj, tuple | list):
            stack.extend(obj)
    return total


def torch_kept_bytes(forward, given):
    """Bytes of the distinct storages autograd saves while ``forward()`` runs, inputs
    excluded; and what it saves under ``torch.no_grad()``."""
    def measure():
        saved = {}
        skip = {g.untyped_storage().data_ptr() for g in given}
        def pack(t):
            storage = t.untyped_storage()
            if storage.data_ptr() not in skip:
                saved[storage.data_ptr()] = storage.nbytes()
            return t
        with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
            forward()
        return sum(saved.values())
    training = measure()
    with torch.no_grad():
        return training, measure()


gen = np.random.default_rng(1)
for N in (64, 256):
    X, Y = gen.standard_normal((N, 64)), gen.standard_normal((N, 10))
    W1, W2 = 0.1 * gen.standard_normal((256, 64)), 0.1 * gen.standard_normal((10, 256))
    _, cache = hm.two_layer_forward(X, Y, W1, W2, 0.1)
    mine = handmade_kept_bytes(cache, (X, Y, W1, W2))
    tt = [torch.tensor(a, requires_grad=k >= 2) for k, a in enumerate((X, Y, W1, W2))]
    theirs, predicting = torch_kept_bytes(lambda: ref.two_layer(*tt, 0.1), tt)
    print(f"N = {N:3}: kept for backward: handmade {mine:7,} B, torch {theirs:7,} B | "
          f"prediction only: 0 B, torch under no_grad {predicting} B")

# %% [markdown]
# Both grow in proportion to $N$: the activations of every example are kept. Torch saves only
# what its backward formulas read: ReLU's output $\mathbf{h}$ (read by ReLU's backward and by
# the product with $\mathbf{W}^{(2)}$) and $\mathbf{o} - \mathbf{Y}$, about $N(h + q)$ numbers.
# The handmade cache keeps about three times as much, because it also stores every value under
# the book's name for inspection: $\mathbf{z}$, $\mathbf{h}$, a copy of $\mathbf{h}$ for the
# (here inactive) dropout, $\mathbf{o}$ and $\mathbf{o} - \mathbf{Y}$.

# %% [markdown]
# ## 3. What PyTorch builds
#
# Autograd records a graph of *backward functions* as the forward runs: every non-leaf tensor
# points to the function that made it (`grad_fn`, e.g. `MmBackward0`), and every leaf that
# requires a gradient ends in an `AccumulateGrad` node. Below, the hand-written graph (top) and
# the one autograd recorded for `reference.two_layer` on the same numbers (bottom); dashed
# lines join the nodes holding the same tensor. Autograd has extra nodes (`TBackward0` for
# $\mathbf{W}^\top$, the pieces of the penalty) and none for $\mathbf{x}, \mathbf{y}$: they do
# not require a gradient, so nothing is recorded for them.

# %%
fig, _, _ = draw_side_by_side(run.hand, run.twin.graph, run.twin.correspondence,
                              annotate="grad")
fig

# %% [markdown]
# Every hand-written node gradient against autograd's gradient of the same tensor:

# %%
for c in run.checks:
    print(f"{c.tensor:>2}: {'agrees' if c.passed else 'DIFFERS'} (max rel err {c.max_rel_err:.1e})")

# %% [markdown]
# ## 4. Leaves, `grad_fn` and `retain_grad`
#
# A *leaf* is a tensor you created (not computed from tensors that require grad). Only leaves
# with `requires_grad=True` get `.grad` filled by `backward()`. Intermediate tensors get one
# only if they ask for it with `retain_grad()` before backward (`reference.two_layer` does,
# to show $\partial J/\partial\mathbf{z}$ and friends); otherwise their gradient is used and
# thrown away, and torch warns when you read it.

# %%
gen = torch.Generator().manual_seed(0)
x = torch.randn(4, 3, generator=gen, dtype=torch.float64)                   # data: no grad
W = torch.randn(2, 3, generator=gen, dtype=torch.float64, requires_grad=True)
z = x @ W.T
h = torch.relu(z)
h.retain_grad()
loss = (h ** 2).mean()
print("leaves:", x.is_leaf, W.is_leaf, "| z is a leaf:", z.is_leaf)
print("z.grad_fn =", z.grad_fn, "->", z.grad_fn.next_functions)
loss.backward()
print("W.grad shape:", tuple(W.grad.shape), "| h.grad retained:", h.grad is not None,
      "| z.grad:", z.grad)

# %% [markdown]
# ## 5. Gradients accumulate across `backward()` calls
#
# `AccumulateGrad` *adds* into `.grad`. Call backward twice without clearing and you get twice
# the gradient: that is why every training loop calls `optimizer.zero_grad()` (or sets
# `.grad = None`) before each backward. (The handmade modules overwrite instead; their
# `zero_grad()` exists to mirror torch's API.)

# %%
W.grad = None
snapshots = grads_after_repeated_backward(lambda: (torch.relu(x @ W.T) ** 2).mean(),
                                          {"W": W}, repeats=3)
first = snapshots[0]["W"]
for k, snap in enumerate(snapshots, start=1):
    print(f"after backward #{k}: W.grad = {np.linalg.norm(snap['W']) / np.linalg.norm(first):.0f}"
          f" x the first gradient")

# %% [markdown]
# ## 6. `torch.no_grad()` and `detach()`
#
# Inside `torch.no_grad()` nothing is recorded: results have no `grad_fn` and do not require a
# gradient (use it for evaluation and for parameter updates). `t.detach()` returns the same
# numbers *cut from the graph*: gradients do not flow through it. Compare
# $f(\mathbf{w}) = \sum_i w_i^2$ with a version where one factor is detached:

# %%
w = torch.tensor([1.0, -2.0, 3.0], dtype=torch.float64, requires_grad=True)
with torch.no_grad():
    frozen = (w * w).sum()
print("under no_grad: requires_grad =", frozen.requires_grad, "| grad_fn =", frozen.grad_fn)

(w * w).sum().backward()
print("d/dw sum(w * w)          =", w.grad.tolist(), "(2w: both factors)")
w.grad = None
(w.detach() * w).sum().backward()
print("d/dw sum(w.detach() * w) =", w.grad.tolist(), "(w: one factor is a constant)")

# %% [markdown]
# ## 7. A tensor used twice
#
# In $f(\mathbf{x}) = \mathbf{x}\odot\sigma(\mathbf{x})$ (the SiLU activation) the input is used
# twice: once as a factor, once inside the sigmoid. The graph has two edges leaving
# $\mathbf{x}$, and the multivariable chain rule *adds* the two paths: $\partial f_i/\partial x_i$
# is (the derivative through the factor) + (the derivative through the sigmoid).
#
# Autograd's graph of it, with `x` named:

# %%
xt = torch.linspace(-2, 2, 5, dtype=torch.float64, requires_grad=True)
out = (xt * torch.sigmoid(xt)).sum()
out.backward()
graph = extract_torch_graph(out, {"x": xt})
print("edges leaving x:", [e for e in graph.edges if e[0] == "x"])
fig, _ = new_graph_figure(graph, annotate="grad", title="f(x) = sum(x * sigmoid(x))")
fig

# %% [markdown]
# ### Exercise 1: SiLU forward and backward by hand
#
# Write `silu_forward(x) -> (out, cache)` with `out = x * sigmoid(x)` elementwise and
# `silu_backward(dout, cache) -> dx`, adding the gradients of *both* uses of `x`: derive each
# path's local derivative (the sigmoid's own derivative is one you can write with $\sigma$
# alone). `verify` checks it against autograd of the torch function on batches of shape
# $(N, 4)$. (Forget one path and the diagnosis will say the gradient is wrong everywhere, not
# by a simple factor.)
#
# <details><summary>Hint: the two paths</summary>
#
# $$\frac{\partial f_i}{\partial x_i} = \underbrace{\sigma(x_i)}_{\text{through the factor}}
# + \underbrace{x_i\,\sigma(x_i)\bigl(1-\sigma(x_i)\bigr)}_{\text{through the sigmoid}},$$
#
# times `dout` (elementwise): `dx = dout * (s + x * s * (1 - s))`.
#
# </details>

# %% tags=["exercise"] exercise="silu"
def silu_forward(x):
    s = 1 / (1 + np.exp(-x))
    return x * s, (x, s)


def silu_backward(dout, cache):
    x, s = cache
    # YOUR CODE HERE: dx through the factor x, plus dx through sigmoid(x)
    dx = np.zeros_like(x)
    return dx


# %% tags=["check"] exercise="silu"
check(comparisons.verify(silu_forward, silu_backward, against="silu",
                         reference=lambda x: x * torch.sigmoid(x), shapes={"x": ("N", 4)}),
      "silu")

# %% [markdown]
# ## 8. Finding the first wrong node
#
# A wrong gradient poisons everything computed from it further back. Give `run_graphs` a set of
# gradients and it colours the nodes: green agrees, red is wrong, and the darkest red is the
# *first divergence*, the first wrong node (walking backward) whose own inputs were right,
# i.e. where to look. Here the mistake is forgetting $\phi'(\mathbf{z})$ in step 6
# ($\partial J/\partial\mathbf{z} = \partial J/\partial\mathbf{h}$), which also spoils
# $\partial J/\partial\mathbf{W}^{(1)}$:

# %%
model, X, Y = make_network(np.random.default_rng(0))       # the network run_graphs(seed=0) uses
J, cache = hm.two_layer_forward(X, Y, model.W1.data, model.W2.data, model.lam)
grads = hm.two_layer_backward(1.0, cache)
forgot_relu = {**grads, "dz": grads["dh"],                  # the mistake, and what follows
               "dW1": grads["dh"].T @ X + model.lam * model.W1.data}
coloured = run_graphs(seed=0, user_grads=forgot_relu)
print("first divergence:", coloured.colouring.first_divergence)
fig, _ = new_graph_figure(coloured.hand, annotate="grad", title="coloured by your gradients")
fig

# %% [markdown]
# ## 9. Differentiating a gradient: `create_graph=True`
#
# `torch.autograd.grad(y, x)` returns $\partial y/\partial x$ as a plain tensor: the backward
# pass that computed it was not recorded, so it cannot be differentiated again. With
# `create_graph=True` autograd records the backward pass too, as a graph of its own, and the
# gradient can be differentiated like any other tensor (this is how gradient penalties and
# Hessian-vector products are computed).
#
# ### Exercise 2: a second derivative
#
# For an elementwise $f$ and a 1-d tensor `x` (with `requires_grad=True`), return
# $f''(x_i)$ for every $i$: differentiate $\sum_i f(x_i)$ once, keeping the graph, then
# differentiate the sum of that gradient again. (Why does summing work? $\partial/\partial x_j$
# of $\sum_i f(x_i)$ is $f'(x_j)$: each entry depends on its own $x_j$ only.) The check uses
# SiLU, against `torch.func`'s nested `grad`.
#
# <details><summary>Hint: the two calls</summary>
#
# `(g,) = torch.autograd.grad(f(x).sum(), x, create_graph=True)`, then
# `(g2,) = torch.autograd.grad(g.sum(), x)`; return `g2`. Without `create_graph=True` the
# second call raises: `g` has no `grad_fn`.
#
# </details>

# %% tags=["exercise"] exercise="second_derivative"
def second_derivative(f, x):
    # YOUR CODE HERE: two calls of torch.autograd.grad
    return torch.zeros_like(x)


# %% tags=["check"] exercise="second_derivative"
silu_t = lambda v: v * torch.sigmoid(v)                      # noqa: E731
xs = torch.linspace(-3, 3, 13, dtype=torch.float64, requires_grad=True)
exact = torch.func.vmap(torch.func.grad(torch.func.grad(silu_t)))(xs.detach())
check(check_value(lambda: second_derivative(silu_t, xs).detach().numpy(), (), exact.numpy(),
                  name="f''(x)"), "second_derivative")

# %% [markdown]
# ## An open question
#
# SiLU is not monotone: its derivative is negative for some $x < 0$, so it has a minimum.
# Where? Find the $x$ where your `silu_backward` (with `dout = 1`) changes sign, to 3 digits
# (bisection on a few calls is enough), and confirm with your `second_derivative` that
# $f'' > 0$ there (a minimum, not a maximum).

# %%
# your experiment here

# %% [markdown]
# **Take-aways.** The forward pass builds the graph and keeps its values; the backward pass
# walks it in reverse, summing over every path; autograd records it for you, fills `.grad` of
# leaves only, accumulates, and records nothing under `no_grad` or through `detach`.
