"""Bug: dropout_param['seed'] ignored, so the same seed gives a different mask each call."""
import numpy as np


def dropout_forward(x, dropout_param):
    p = dropout_param["p"]
    if dropout_param["mode"] == "train":
        mask = (np.random.rand(*x.shape) < p) / p
        return x * mask, (dropout_param, mask)
    return x, (dropout_param, None)


def dropout_backward(dout, cache):
    _, mask = cache
    return dout * mask
