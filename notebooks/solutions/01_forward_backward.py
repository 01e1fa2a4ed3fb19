# Solutions of notebooks/01_forward_backward.ipynb: each block replaces the exercise cell with
# the same id (tests/test_notebooks.py runs the notebook with them substituted).
# A line "# answer: TEXT" names how the answer is written in the lab's hints: the test checks
# that TEXT is inside a collapsed <details> hint and nowhere in the lab's visible markdown.

# %% solution linear
def linear_forward(x, W, b):
    out = x @ W.T + b
    return out, (x, W)


def linear_backward(dout, cache):
    x, W = cache
    dx = dout @ W              # (N, D_out) @ (D_out, D_in)
    dW = dout.T @ x            # (D_out, N) @ (N, D_in): the batch is summed inside
    db = dout.sum(axis=0)      # b was added to every row
    return dx, dW, db
# answer: `dW = dout.T @ x`

# %% solution two_layer
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
    do = dJ * 2 * (o - Y) / o.size          # 2. dJ/do (the mean's 1/(N q))
    dW2 = do.T @ h + dJ * lam * W2          # 3.-4. dJ/dW2
    dh = do @ W2                            # 5. dJ/dh
    dz = dh * (z > 0)                       # 6. dJ/dz = dh * relu'(z)
    dW1 = dz.T @ X + dJ * lam * W1          # 7. dJ/dW1
    return {"do": do, "dW2": dW2, "dh": dh, "dz": dz, "dW1": dW1}
# answer: \frac{2}{Nq}(\mathbf{O}-\mathbf{Y})
# answer: \dfrac{\partial J}{\partial \mathbf{z}}\,\mathbf{x}^\top + \lambda\mathbf{W}^{(1)}
# answer: {\mathbf{W}^{(2)}}^\top\dfrac{\partial J}{\partial \mathbf{o}}
# answer: \dfrac{\partial J}{\partial \mathbf{h}}\odot\phi'(\mathbf{z})


# %% solution hidden_bias
def hidden_forward(X, W1, b1):
    z = X @ W1.T + b1
    return np.maximum(z, 0), (X, W1, z)


def hidden_backward(dh, cache):
    X, W1, z = cache
    dz = dh * (z > 0)              # step 6, unchanged by the bias
    dX = dz @ W1
    dW1 = dz.T @ X
    db1 = dz.sum(axis=0)           # b1 was added to every row: sum over the batch
    return dX, dW1, db1
# answer: \sum_n \partial J/\partial\mathbf{z}_n


# %% solution grad_shape
def grad_shape(n, m):
    return (n, m)                  # one partial derivative per entry of X
# answer: the shape of $\mathbf{X}$
