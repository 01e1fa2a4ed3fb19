"""Bug: relu_backward passes dout through without the mask x > 0."""
import numpy as np


def relu_forward(x):
    out = np.maximum(0, x)
    return out, x


def relu_backward(dout, cache):
    dx = dout
    return dx
