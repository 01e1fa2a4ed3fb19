# Solutions of notebooks/02_computational_graph.ipynb: each block replaces the exercise cell
# with the same id (tests/test_notebooks.py runs the notebook with them substituted).

# %% solution silu
def silu_forward(x):
    s = 1 / (1 + np.exp(-x))
    return x * s, (x, s)


def silu_backward(dout, cache):
    x, s = cache
    dx = dout * s + dout * x * s * (1 - s)   # through the factor + through the sigmoid
    return dx
# answer: x_i\,\sigma(x_i)\bigl(1-\sigma(x_i)\bigr)


# %% solution second_derivative
def second_derivative(f, x):
    (g,) = torch.autograd.grad(f(x).sum(), x, create_graph=True)   # g = f'(x), recorded
    (g2,) = torch.autograd.grad(g.sum(), x)                         # d/dx_j sum_i f'(x_i)
    return g2
# answer: `(g2,) = torch.autograd.grad(g.sum(), x)`
