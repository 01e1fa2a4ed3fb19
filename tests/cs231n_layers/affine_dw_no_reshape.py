"""Bug: dw = x.T.dot(dout) without flattening x (right for a 2-D x, wrong for a 4-D one)."""
import numpy as np


def affine_forward(x, w, b):
    N = x.shape[0]
    out = x.reshape(N, -1).dot(w) + b
    return out, (x, w, b)


def affine_backward(dout, cache):
    x, w, b = cache
    dx = dout.dot(w.T).reshape(x.shape)
    dw = x.T.dot(dout)
    db = np.sum(dout, axis=0)
    return dx, dw, db
