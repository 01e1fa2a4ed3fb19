# Solutions of notebooks/03_overfitting_and_weight_decay.ipynb: each block replaces the exercise
# cell with the same id (tests/test_notebooks.py runs the notebook with them substituted).

# %% solution l2_penalty
def l2_forward(W, lam):
    s = lam / 2 * np.sum(W ** 2)
    return np.asarray(s), (W, lam)


def l2_backward(ds, cache):
    W, lam = cache
    dW = ds * lam * W          # the 1/2 cancels the 2 of the square
    return dW
# answer: \frac{\partial}{\partial\mathbf{w}}\frac{\lambda}{2}\lVert\mathbf{w}\rVert^2 = \lambda\mathbf{w}

# %% solution sgd_weight_decay
def sgd_step(w, grad, lr, lam):
    return w - lr * (grad + lam * w)     # = (1 - lr*lam) w - lr*grad
# answer: (1-\eta\lambda)\mathbf{w} - \eta\nabla_{\mathbf{w}}L
