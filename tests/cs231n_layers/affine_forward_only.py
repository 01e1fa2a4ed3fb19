"""In progress: affine_forward written, affine_backward not yet (a missing backward is
reported, not a crash); relu is complete."""
import numpy as np


def affine_forward(x, w, b):
    out = x.reshape(x.shape[0], -1).dot(w) + b
    return out, (x, w, b)


def relu_forward(x):
    return np.maximum(0, x), x


def relu_backward(dout, cache):
    return dout * (cache > 0)


def some_helper_of_mine(x):
    return x
