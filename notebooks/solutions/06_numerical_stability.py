# Solutions of notebooks/06_numerical_stability.ipynb: each block replaces the exercise cell
# with the same id (tests/test_notebooks.py runs the notebook with them substituted).
# A line "# answer: TEXT" names how the answer is written in the lab's hints: the test checks
# that TEXT is inside a collapsed <details> hint and nowhere in the lab's visible markdown.

# %% solution sigmoid
def sigmoid_forward(x):
    out = 1 / (1 + np.exp(-x))
    return out, out


def sigmoid_backward(dout, cache):
    out = cache
    dx = dout * out * (1 - out)       # sigma' = sigma (1 - sigma), from the cached output
    return dx
# answer: \sigma(x)\bigl(1-\sigma(x)\bigr)

# %% solution xavier
def xavier_uniform(shape, rng):
    fan_out, fan_in = shape
    a = np.sqrt(6 / (fan_in + fan_out))      # Var U(-a, a) = a^2/3 = 2/(fan_in + fan_out)
    return rng.uniform(-a, a, size=shape)
# answer: a = \sqrt{6/(n_\text{in} + n_\text{out})}
# answer: \sigma^2 = \frac{2}{n_\text{in} + n_\text{out}}


# %% solution he_init
def he_normal(shape, rng):
    fan_out, fan_in = shape
    std = np.sqrt(2 / fan_in)                # ReLU keeps half the second moment: 2 puts it back
    return rng.normal(0.0, std, size=shape)
# answer: \sigma^2 = 2/n_\text{in}
