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
# # Lab 3: overfitting and weight decay
#
# **What you learn.** How model capacity shows up in training and test loss (polynomial
# fits that underfit, fit and overfit); what weight decay is, both as an $L_2$ term added to
# the objective and as a setting of the optimiser, and why the two are the same update; how
# the regularisation strength $\lambda$ trades training fit for test fit; and the two small
# conventions (the ½ and mean versus sum) that change gradients by constant factors.
#
# Everything trains with the hand-written engine (`handmade`); the experiment modules of
# `comparisons.experiments` hold the book's data, models and settings.

# %%
import matplotlib.pyplot as plt
import numpy as np
import torch

import comparisons
import handmade as hm
from comparisons.data.synthetic import high_dim_linear_data, polynomial_data
from comparisons.experiments.overfitting import experiment as overfitting
from comparisons.experiments.weight_decay import model as weight_decay_model
from comparisons.experiments.threads import single_threaded
from comparisons.lockstep.train import run_lockstep
from comparisons.labs.checks import check, check_value, set_hint
from comparisons.verification.diagnose import DiagnosisContext, diagnose
from comparisons.core.tolerances import tolerance
from handmade.optim import SGD

set_hint("none")          # "shape" or "formula" show more of the answer in the checks
# %matplotlib inline

# %% [markdown]
# ## 1. Polynomial regression: underfitting and overfitting
#
# The book draws $x\sim\mathcal{N}(0,1)$ and
#
# $$y = 5 + 1.2x - 3.4\frac{x^2}{2!} + 5.6\frac{x^3}{3!} + \epsilon,\qquad
# \epsilon\sim\mathcal{N}(0, 0.1^2),$$
#
# with features $x^i/i!$ for $i = 0,\dots,19$ (the true weights are $[5, 1.2, -3.4, 5.6]$ then
# zeros) and 100 training and 100 test examples. A linear layer without bias is fitted by SGD
# (learning rate 0.01, batch 10) to the MSE on the first 4 features (the right capacity),
# the first 2 (too little: a line) and all 20 (too much).
#
# The book trains 400 epochs (1500 for the 20-feature fit); this lab uses `EPOCHS` to stay
# quick. Raise it to see the 20-feature fit's training loss keep falling.

# %%
EPOCHS = 300
data = polynomial_data(np.random.default_rng(0), 100, 100, 20)
fits = []
for i, (name, n_features) in enumerate(overfitting.FITS.items()):
    with single_threaded():                  # tiny matrices: one BLAS thread is faster
        result = run_lockstep(overfitting.make_problem(data, n_features, EPOCHS), seed=(0, i),
                              engine="handmade")
    fits.append(overfitting.fit_entry(name, 0, result, data.true_w))
    print(f"{name:>8} ({n_features:2} features): train {fits[-1]['train_loss']:.4f}  "
          f"test {fits[-1]['test_loss']:.4f}  weights {np.round(fits[-1]['weights'][:4], 3)}")

# %%
fig, axes = plt.subplots(1, 3, figsize=(13, 3.5), sharey=True)
for ax, f in zip(axes, fits):
    ax.semilogy(f["epochs"], f["train_curve"], label="train")
    ax.semilogy(f["epochs"], f["test_curve"], "--", label="test")
    ax.set(title=f"{f['name']} ({f['features']} features)", xlabel="epoch")
axes[0].set_ylabel("MSE")
axes[0].legend()
plt.show()

# %% [markdown]
# The cubic fit recovers the true weights and gets close to the noise level
# ($\sigma^2 = 0.01$) on both sets. The line cannot bend: both losses stay high
# (*underfitting*). The 20-feature model could represent the cubic exactly, but it also has
# spare capacity to fit the noise of 100 examples; whether that shows as a test loss above the
# training loss (*overfitting*) depends on the seed and on how long it trains: the book trains
# it 1500 epochs, and even then only a minority of seeds overfit clearly. Its higher-order
# weights, which should be 0:

# %%
print(np.round(fits[2]["weights"][4:], 3))

# %% [markdown]
# ## 2. Weight decay as an $L_2$ term
#
# Weight decay adds a penalty on the size of the weights to the loss:
#
# $$J(\mathbf{w}, b) = L(\mathbf{w}, b) + \frac{\lambda}{2}\lVert\mathbf{w}\rVert^2 .$$
#
# The bias is usually not penalised. What is the penalty's gradient, and what does one
# gradient step on $J$ do to $\mathbf{w}$ *before* the data's gradient is applied? (That is
# where the name "decay" comes from, and why the ½ is there.)
#
# ### Exercise 1: the penalty's forward and backward
#
# `l2_forward(W, lam)` returns $s = \frac{\lambda}{2}\lVert\mathbf{W}\rVert_F^2$ (a 0-d array)
# and a cache; `l2_backward(ds, cache)` returns $\partial(\text{ds}\cdot s)/\partial\mathbf{W}$.
# Write $\lVert\mathbf{W}\rVert_F^2$ as a sum over entries and differentiate one entry.
#
# <details><summary>Hint: the penalty's gradient</summary>
#
# $$\frac{\partial}{\partial\mathbf{w}}\frac{\lambda}{2}\lVert\mathbf{w}\rVert^2 = \lambda\mathbf{w}$$
#
# (the ½ cancels the 2 of the square), times the upstream `ds`.
#
# </details>

# %% tags=["exercise"] exercise="l2_penalty"
def l2_forward(W, lam):
    s = lam / 2 * np.sum(W ** 2)
    return np.asarray(s), (W, lam)


def l2_backward(ds, cache):
    W, lam = cache
    # YOUR CODE HERE
    dW = np.zeros_like(W)
    return dW


# %% tags=["check"] exercise="l2_penalty"
check(comparisons.verify(l2_forward, l2_backward, against="l2_penalty"), "l2_penalty")

# %% [markdown]
# ## 3. Weight decay as an optimiser setting
#
# `torch.optim.SGD(params, lr, weight_decay=λ)` (and `handmade.optim.SGD`, written to match it)
# takes, for every parameter of the group, the SGD step of the penalised objective of
# section 2 while you pass it the gradient of the loss alone: the penalty is never written
# into the loss. Note *every* parameter: to leave the bias undecayed, put it in its own
# parameter group (`[{"params": [w], "weight_decay": λ}, {"params": [b]}]`), as the book's
# concise code does.
#
# ### Exercise 2: one SGD step with weight decay
#
# Return the new weights after one step of SGD with learning rate `lr` and weight decay `lam`,
# given the weights `w` and the gradient of the *loss alone* `grad`: derive it from
# exercise 1 and the plain SGD step $\mathbf{w}\leftarrow\mathbf{w} - \eta\,\nabla J$. The check
# compares with `handmade.optim.SGD`.
#
# <details><summary>Hint: the step</summary>
#
# $\mathbf{w}\leftarrow\mathbf{w} - \eta(\nabla_{\mathbf{w}}L + \lambda\mathbf{w}) = (1-\eta\lambda)\mathbf{w} - \eta\nabla_{\mathbf{w}}L$:
# every step first shrinks the weights by the factor $1-\eta\lambda$ ("decay"), then follows
# the data.
#
# </details>

# %% tags=["exercise"] exercise="sgd_weight_decay"
def sgd_step(w, grad, lr, lam):
    # YOUR CODE HERE
    return np.zeros_like(w)


# %% tags=["check"] exercise="sgd_weight_decay"
rng = np.random.default_rng(1)
w, grad, lr, lam = rng.standard_normal((3, 4)), rng.standard_normal((3, 4)), 0.1, 3.0
p = hm.Parameter(w.copy())
p.grad = grad.copy()
SGD([p], lr=lr, weight_decay=lam).step()                  # the reference step
check(check_value(sgd_step, (w.copy(), grad, lr, lam), p.data, name="w_new",
                  context=DiagnosisContext(candidates={"missing_l2_term": w - lr * grad})),
      "sgd_weight_decay")

# %% [markdown]
# ## 4. High-dimensional linear regression: $\lambda = 0$ versus $\lambda = 3$
#
# The book's weight-decay experiment makes overfitting easy: 200 inputs but only 20 training
# examples, $y = 0.05 + \sum_i 0.01x_i + \epsilon$, $\epsilon\sim\mathcal{N}(0, 0.01^2)$,
# $\mathbf{w}\sim\mathcal{N}(0, 1)$ at the start, batch 5, 100 epochs, $\eta = 0.003$. Without
# decay the model fits the 20 examples perfectly and the test loss stays huge; with
# $\lambda = 3$ the weights shrink towards the small true ones and the test loss drops.

# %%
lin = high_dim_linear_data(np.random.default_rng(0))


def train(lam, convention="scratch"):
    problem = weight_decay_model.make_problem(lin, convention, lam)
    with single_threaded():
        return run_lockstep(problem, seed=0, engine="handmade")


runs = {lam: train(lam) for lam in (0.0, 3.0)}
fig, ax = plt.subplots(figsize=(6, 3.5))
for i, (lam, r) in enumerate(runs.items()):
    ax.semilogy(r.eval_epochs, r.curve("train_loss"), color=f"C{i}", label=f"λ={lam:g} train")
    ax.semilogy(r.eval_epochs, r.curve("test_loss"), "--", color=f"C{i}",
                label=f"λ={lam:g} test, ‖w‖={r.final('w_norm'):.2f}")
ax.set(xlabel="epoch", ylabel="MSE")
ax.legend(fontsize=8)
plt.show()

# %% [markdown]
# ### What $\lVert\mathbf{w}\rVert$ at $\lambda = 3$ measures
#
# The 20 training rows span only a 20-dimensional subspace of the 200 inputs (the row space
# of $X_\text{train}$); the other 180 directions, the null space, never appear in a gradient,
# since $\nabla_{\mathbf{w}}L = \frac{1}{|B|}\sum_i(\hat y_i - y_i)\mathbf{x}_i$ is a combination
# of training rows. In the null space only the decay acts: every step multiplies that part by
# $1-\eta\lambda$, so after 100 epochs of 4 steps
# $\|P_\text{null}\mathbf{w}\| = (1-\eta\lambda)^{400}\,\|P_\text{null}\mathbf{w}_0\|$,
# about $0.991^{400}\cdot 13.3\approx 0.36$ here. The random start
# $\mathbf{w}_0\sim\mathcal{N}(0, 1)$ puts nearly all of its
# $\lVert\mathbf{w}_0\rVert\approx\sqrt{200}$ there. So the book's
# $\lVert\mathbf{w}\rVert\approx 0.35$ at $\lambda = 3$ mostly measures how
# far the decay has erased that random start, not what the data taught (the data-spanned part
# is a few hundredths); and at $\lambda = 0$ the random null-space part stays, multiplies the
# test inputs' null-space components and is what makes the test loss huge. From
# $\mathbf{w}_0 = 0$ (`init="zero"`) there is nothing to erase: the weights stay in the row
# space, $\lambda = 3$ changes neither $\lVert\mathbf{w}\rVert$ nor the test loss much, and
# both test losses (about 0.02) lie below the book's $\lambda = 3$ run's. The
# cell splits the trained weights with an SVD of $X_\text{train}$
# (`weight_decay_model.split_norms`); `backprop-lab experiment weight-decay` draws the split
# per epoch (`--init zero` for the zero start).

# %%
basis = weight_decay_model.row_space_basis(lin.X_train)
print(f"row space of X_train: {basis.shape[1]} of {basis.shape[0]} dimensions")
for init in ("normal", "zero"):
    for lam in (0.0, 3.0):
        problem = weight_decay_model.make_problem(lin, "scratch", lam, init=init)
        with single_threaded():
            r = run_lockstep(problem, seed=0, engine="handmade")
        data_part, null_part = weight_decay_model.split_norms(
            r.final_state["handmade"]["weight"], basis)
        print(f"w0 {init:<6} λ={lam:g}: ‖w‖ {r.final('w_norm'):7.4f} = data part {data_part:.4f}"
              f" (+) null part {null_part:.4f}   test MSE {r.final('test_loss'):.4g}")
print(f"(1 - ηλ)^400 · ‖P_null w0‖ at λ = 3: "
      f"{(1 - weight_decay_model.LR * 3.0) ** 400 * runs[0.0].final('w_null_norm'):.4f}")

# %% [markdown]
# ## 5. The $\lambda$ sweep
#
# Final test loss and $\lVert\mathbf{w}\rVert_2$ after training, against $\lambda$. The
# weights shrink steadily as $\lambda$ grows; the test loss falls by four orders of magnitude
# and then flattens. It flattens rather than rising again because the true weights here are
# tiny (0.01): shrinking $\mathbf{w}$ all the way to 0 costs almost nothing. With large true
# weights, too much decay would underfit and the test loss would climb back.

# %%
lambdas = [0.0, 0.01, 0.1, 0.3, 1.0, 3.0, 10.0, 100.0]
sweep = {lam: train(lam) for lam in lambdas}
fig, axes = plt.subplots(1, 2, figsize=(11, 3.5))
for ax, key in zip(axes, ("test_loss", "w_norm")):
    ax.plot(lambdas, [sweep[lam].final(key) for lam in lambdas], "o-")
    ax.set_xscale("symlog", linthresh=0.01)
    ax.set(yscale="log", xlabel="λ (symlog: 0 at the left)", ylabel=key)
plt.show()

# %% [markdown]
# ## 6. Conventions: the ½, and mean versus sum
#
# The book's from-scratch code minimises the *summed* squared loss with a ½,
# $\sum_{i\in B}\frac12(\hat y_i - y_i)^2$, and divides the step by $|B|$; its concise code uses
# `MSELoss`, the *mean* without ½, $\frac1{|B|}\sum_{i\in B}(\hat y_i - y_i)^2$. Their data
# gradients differ by a factor 2 after the division by $|B|$ (and by $2/|B|$ before it), while
# the decay term $\lambda\mathbf{w}$ is the same: one step from the same start obeys
# $\Delta\mathbf{w}_\text{concise} = 2\Delta\mathbf{w}_\text{scratch} + \eta\lambda\mathbf{w}_0$.

# %%
algebra = weight_decay_model.one_step_identity(lin, 3.0, seed=0)
print(algebra["identity"])
for c in algebra["checks"]:
    print(f"  {c['name']} {c['tensor']}: {'holds' if c['passed'] else 'FAILS'} (max rel err "
          f"{c['max_rel_err']:.1e})")

# %% [markdown]
# A factor like this is exactly what `verify`'s diagnosis engine reports as `scaled`: here the
# gradient of the ½-summed loss against `MSELoss`'s, with torch doing both derivatives on a
# batch of 8:

# %%
pred = torch.randn(8, 1, dtype=torch.float64, generator=torch.Generator().manual_seed(0),
                   requires_grad=True)
target = torch.zeros(8, 1, dtype=torch.float64)
g_half_sum, = torch.autograd.grad((0.5 * (pred - target) ** 2).sum(), pred)
g_mse, = torch.autograd.grad(torch.nn.functional.mse_loss(pred, target), pred)
print(diagnose(g_half_sum.numpy(), g_mse.numpy(), name="dpred", tol=tolerance("autograd"),
               context=DiagnosisContext(batch_size=8)).message)

# %% [markdown]
# ## An open question
#
# The true weights are $0.01$ each, so $\lVert\mathbf{w}_\text{true}\rVert = 0.01\sqrt{200}\approx 0.14$.
# Is the $\lambda$ with the smallest test loss in the sweep also the one whose trained
# $\lVert\mathbf{w}\rVert$ comes closest to $0.14$? Predict, then answer it with `sweep` (or
# `train(lam)` at more values of $\lambda$) and `final("w_norm")`, `final("test_loss")`.

# %%
# your experiment here

# %% [markdown]
# **Take-aways.** Capacity beyond what the data support fits noise; an $L_2$ penalty pulls the
# weights back, adding $\lambda\mathbf{w}$ to the gradient, which is the same thing as SGD's
# `weight_decay` (decay only the parameter groups you mean to). Say which loss convention you
# use: it rescales the data gradient, and with it the effective learning rate.
