# Solutions of notebooks/04_dropout.ipynb: each block replaces the exercise cell with the same
# id (tests/test_notebooks.py runs the notebook with them substituted).

# %% solution dropout
def dropout_forward(x, p, *, mask):
    out = x * mask / (1 - p)         # survivors scaled so that E[out] = x
    return out, (mask, p)


def dropout_backward(dout, cache):
    mask, p = cache
    dx = dout * mask / (1 - p)       # the same mask and scale as the forward
    return dx
# answer: \frac{\partial J}{\partial h_i} = \frac{m_i}{1-p}\,\frac{\partial J}{\partial h'_i}
