"""Bug: dx = dout.dot(w.T) left (N, D) instead of x's original (N, d_1, ..., d_k)."""
import numpy as np


def affine_forward(x, w, b):
    x_row = np.reshape(x, (x.shape[0], -1))
    out = x_row @ w + b
    cache = (x, w, b)
    return out, cache


def affine_backward(dout, cache):
    x, w, b = cache
    dx = dout.dot(w.T)
    dw = np.reshape(x, (x.shape[0], -1)).T.dot(dout)
    db = dout.sum(axis=0)
    return dx, dw, db
