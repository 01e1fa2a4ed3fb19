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
# # Lab 4: dropout
#
# **What you learn.** Inverted dropout, forward and backward, written by hand and verified;
# why its statistics (the kept fraction, the unchanged mean) must be tested and not only its
# gradients; how two engines can be made to drop *the same* units so that their results
# can be compared number for number; and what dropout does to the gap between training and
# test performance on a small image set.

# %%
import matplotlib.pyplot as plt
import numpy as np
import torch

import comparisons
import handmade as hm
import reference as ref
from comparisons.core.compare import compare
from comparisons.experiments.dropout import model as dropout_model
from comparisons.experiments.threads import single_threaded
from comparisons.lockstep.train import run_lockstep
from comparisons.labs.checks import check, set_hint

set_hint("none")          # "shape" or "formula" show more of the answer in the checks
# %matplotlib inline

# %% [markdown]
# ## 1. Inverted dropout
#
# During training each unit of a hidden layer $\mathbf{h}$ is zeroed with probability $p$ and
# the survivors are scaled up by $1/(1-p)$:
#
# $$h'_i = \frac{m_i\,h_i}{1-p},\qquad m_i\sim\text{Bernoulli}(1-p)\ \text{(1 = kept)}.$$
#
# Two things to derive before writing code: the expectation $\mathbb{E}[h'_i]$ over the mask
# (why can dropout simply be switched off at evaluation time, with no rescaling?), and the
# backward $\partial J/\partial h_i$ given $\partial J/\partial h'_i$ (once drawn, the mask is a
# constant).
#
# <details><summary>Hint: the expectation and the backward</summary>
#
# $\mathbb{E}[h'_i] = (1-p)\frac{h_i}{1-p} + p\cdot 0 = h_i$: the expectation is unchanged, so at
# evaluation time dropout is the identity. Each $h'_i$ is $h_i$ times a constant, so the
# backward applies the same mask and the same scale:
#
# $$\frac{\partial J}{\partial h_i} = \frac{m_i}{1-p}\,\frac{\partial J}{\partial h'_i}.$$
#
# </details>
#
# $p = 0$ is the identity; $p = 1$ would drop every unit and divide by zero, so the project
# accepts $0\le p<1$.
#
# ### Exercise 1: dropout forward and backward
#
# `mask` is a boolean array of `x`'s shape, `True` = kept (it is given, so that the check can
# compare with torch on the same mask). Return `(out, cache)` from the forward and `dx` from
# the backward.

# %% tags=["exercise"] exercise="dropout"
def dropout_forward(x, p, *, mask):
    # YOUR CODE HERE
    out = np.zeros_like(x)
    return out, (mask, p)


def dropout_backward(dout, cache):
    mask, p = cache
    # YOUR CODE HERE
    dx = np.zeros_like(dout)
    return dx


# %% tags=["check"] exercise="dropout"
check(comparisons.verify(dropout_forward, dropout_backward, against="dropout"), "dropout")

# %% [markdown]
# `verify` knows the two classic mistakes by name: forgetting the $1/(1-p)$ in backward
# (`dropout_scale_missing`) and forgetting the mask in backward (reported the same way, with
# its own message).

# %% [markdown]
# ## 2. Its statistics, and a bug no gradient check catches
#
# A gradient check compares backward with forward, so it cannot notice a forward that keeps
# the wrong units. A classic bug (found in a public CS231n solution) draws the mask with a
# *normal* generator, `rng.standard_normal(shape) >= p`, instead of a uniform one: the mask is
# still boolean, forward and backward still agree, but the kept fraction is
# $P(Z \ge p) \ne 1-p$ and the output's mean is scaled wrongly. So test the statistics.
# Kept fraction and output mean over $10^5$ units for several $p$ (the project's
# `make_dropout_mask` against the buggy draw):

# %%
rng = np.random.default_rng(0)
x = np.ones(100_000)
ps = np.linspace(0.0, 0.9, 10)
kept = [hm.make_dropout_mask(x.shape, p, rng).mean() for p in ps]
means = [hm.dropout_forward(x, p, rng=rng)[0].mean() for p in ps]
buggy = [(rng.standard_normal(x.shape) >= p).mean() for p in ps]      # the bug

fig, axes = plt.subplots(1, 2, figsize=(11, 3.5))
axes[0].plot(ps, 1 - ps, "k:", label="1 - p (wanted)")
axes[0].plot(ps, kept, "o", label="make_dropout_mask (uniform)")
axes[0].plot(ps, buggy, "x", color="C3", label="normal draw (the bug)")
axes[0].set(xlabel="p", ylabel="fraction kept")
axes[0].legend()
axes[1].plot(ps, means, "o", label="mean of dropout(1)")
axes[1].axhline(1.0, color="k", ls=":")
axes[1].set(xlabel="p", ylabel="mean of the output", ylim=(0.9, 1.1))
axes[1].legend()
plt.show()

# %% [markdown]
# ## 3. The same mask on both engines
#
# Dropout is random, so a handmade network and its torch twin only agree if they drop the
# same units. Both `handmade.Dropout` and `reference.Dropout` accept a *mask source*, any
# callable `(shape) -> bool array`; give them the same one and their outputs and gradients
# can be compared with the float64 tolerances of the project:

# %%
x = np.random.default_rng(1).standard_normal((4, 6))
dout = np.random.default_rng(2).standard_normal((4, 6))
mask = hm.make_dropout_mask(x.shape, 0.5, np.random.default_rng(3))
same_mask = lambda shape: mask                      # noqa: E731  (a mask source)

mine = hm.Dropout(0.5, mask_source=same_mask)
theirs = ref.Dropout(0.5, mask_source=same_mask)
xt = torch.tensor(x, requires_grad=True)
out_t = theirs(xt)
out_t.backward(torch.tensor(dout))
print(compare(mine(x), out_t.detach().numpy(), name="dropout", tensor="out",
              against="forward").passed,
      compare(mine.backward(dout), xt.grad.numpy(), name="dropout", tensor="dx",
              against="autograd").passed)

mine.eval()                                          # evaluation mode: the identity
print("eval mode returns x unchanged:", np.array_equal(mine(x), x))

# %% [markdown]
# The lockstep trainer (`comparisons.lockstep.train`) uses exactly this: one `MaskRecorder` feeds
# both engines, so a handmade and a torch network with dropout train step for step to the
# same numbers.
#
# ## 4. The generalisation gap on digits
#
# The book trains $784\to256\to256\to10$ with dropout 0.2 after the first hidden layer and 0.5
# after the second (less dropout near the input) on Fashion-MNIST. Offline we use
# scikit-learn's 8×8 digits (64 inputs, 10 classes) with the experiment's settings
# (`DropoutSettings`, printed below: a few hundred training images and plain SGD), tuned so
# that the network overfits. Same initialisation and the same minibatches, once without
# dropout ($p = 0$) and once with the settings' $p$; metrics are computed in evaluation mode
# (dropout off) every 5 epochs:

# %%
settings = dropout_model.DropoutSettings(eval_every=5)     # the experiment's defaults
data = dropout_model.load_data(np.random.default_rng(0), train_size=settings.train_size)
n_train = len(data.y_train)
print(f"settings: {n_train} training images, hidden {settings.hidden}, p = {settings.p}, "
      f"SGD with learning rate {settings.lr}, batch {settings.batch_size}, {settings.epochs} "
      f"epochs ({settings.epochs * -(-n_train // settings.batch_size)} steps)")
with single_threaded():                      # small matrices: one BLAS thread is faster
    runs = {label: run_lockstep(dropout_model.make_problem(data, settings, drop), seed=0,
                                engine="handmade")
            for label, drop in (("no dropout", False), ("dropout 0.2/0.5", True))}
for label, r in runs.items():
    gap = r.final("train_acc") - r.final("test_acc")
    print(f"{label:>16}: train acc {r.final('train_acc'):.3f}  test acc {r.final('test_acc'):.3f}"
          f"  gap {gap:.3f} | train loss {r.final('train_loss'):.3f}  test loss "
          f"{r.final('test_loss'):.3f}")

fig, ax = plt.subplots(figsize=(6, 3.5))
for i, (label, r) in enumerate(runs.items()):
    ax.semilogy(r.eval_epochs, r.curve("train_loss"), color=f"C{i}", label=f"{label}: train")
    ax.semilogy(r.eval_epochs, r.curve("test_loss"), "--", color=f"C{i}", label=f"{label}: test")
ax.set(xlabel="epoch", ylabel="cross-entropy")
ax.legend(fontsize=8)
plt.show()

# %% [markdown]
# Both networks fit the training images (almost) perfectly: see the final training
# accuracies printed above. What dropout changes is how well that transfers: compare the final
# test losses, accuracies and gaps.
# One seed is one sample: `backprop-lab experiment dropout` repeats the paired comparison over
# several seeds (the book's Fashion-MNIST network ends near 0.84 test accuracy after 10
# epochs).

# %% [markdown]
# ## An open question
#
# One seed is one sample. On how many of the seeds 0-4 does dropout shrink the gap (train
# accuracy − test accuracy), and by how much on average? Predict, then measure it with
# `run_lockstep(..., seed=s)` as above (each seed draws its own initialisation, batches and
# masks; keep the same `data`), and compare with the spread of the gap between seeds.

# %%
# your experiment here

# %% [markdown]
# **Take-aways.** Inverted dropout scales at training time so that evaluation is the
# identity; backward uses the forward's mask and scale; test the mask's statistics, not just
# gradients; share the mask to compare engines; switch dropout off (`eval()`) to evaluate.
