"""Correct too, written the other ways students write it: np.prod and np.dot, boolean masks
multiplied in, np.where, in-place edits of dout and of bn_param's arrays, loops (assignment 1's
naive losses), np.random.binomial, dict caches, layer norm as a transposed batch norm, and
the assignment's assumption that the windows tile x asserted."""
import numpy as np


def affine_forward(x, w, b):
    N = x.shape[0]
    D = np.prod(x.shape[1:])
    out = np.dot(x.reshape(N, D), w) + b
    return out, (x, w, b)


def affine_backward(dout, cache):
    x, w, b = cache
    N = x.shape[0]
    dx = np.reshape(np.dot(dout, w.T), x.shape)
    dw = np.dot(x.reshape(N, -1).T, dout)
    db = np.sum(dout, axis=0)
    return dx, dw, db


def relu_forward(x):
    out = x * (x > 0)
    return out, x


def relu_backward(dout, cache):
    x = cache
    dx = dout
    dx[x < 0] = 0
    return dx


def softmax_loss(x, y):
    N, C = x.shape
    loss = 0.0
    dx = np.zeros_like(x)
    for i in range(N):
        scores = x[i] - np.max(x[i])
        p = np.exp(scores) / np.sum(np.exp(scores))
        loss += -np.log(p[y[i]])
        for j in range(C):
            dx[i, j] = p[j] - (j == y[i])
    return loss / N, dx / N


def svm_loss(x, y):
    N, C = x.shape
    loss = 0.0
    dx = np.zeros(x.shape)
    for i in range(N):
        for j in range(C):
            if j == y[i]:
                continue
            margin = x[i, j] - x[i, y[i]] + 1
            if margin > 0:
                loss += margin
                dx[i, j] += 1
                dx[i, y[i]] -= 1
    return loss / N, dx / N


def dropout_forward(x, dropout_param):
    p, mode = dropout_param["p"], dropout_param["mode"]
    if dropout_param.get("seed") is not None:
        np.random.seed(dropout_param["seed"])
    if mode == "train":
        mask = np.random.binomial(1, p, size=x.shape) / p
        out = x * mask
    else:
        mask, out = None, x
    return out, (dropout_param, mask)


def dropout_backward(dout, cache):
    dropout_param, mask = cache
    if dropout_param["mode"] == "train":
        return np.where(mask > 0, dout * mask, 0.0)
    return dout


def batchnorm_forward(x, gamma, beta, bn_param):
    mode = bn_param["mode"]
    eps = bn_param.get("eps", 1e-5)
    momentum = bn_param.get("momentum", 0.9)
    N, D = x.shape
    running_mean = bn_param.setdefault("running_mean", np.zeros(D, dtype=x.dtype))
    running_var = bn_param.setdefault("running_var", np.zeros(D, dtype=x.dtype))
    if mode == "train":
        mu = np.mean(x, axis=0)
        xmu = x - mu
        var = np.mean(xmu ** 2, axis=0)
        ivar = 1.0 / np.sqrt(var + eps)
        xhat = xmu * ivar
        out = gamma * xhat + beta
        running_mean *= momentum
        running_mean += (1 - momentum) * mu
        running_var *= momentum
        running_var += (1 - momentum) * var
        return out, {"xhat": xhat, "xmu": xmu, "ivar": ivar, "gamma": gamma}
    xhat = (x - running_mean) / np.sqrt(running_var + eps)
    return gamma * xhat + beta, None


def batchnorm_backward(dout, cache):
    xhat, xmu, ivar, gamma = cache["xhat"], cache["xmu"], cache["ivar"], cache["gamma"]
    N = dout.shape[0]
    dbeta = np.sum(dout, axis=0)
    dgamma = np.sum(dout * xhat, axis=0)
    dxhat = dout * gamma
    divar = np.sum(dxhat * xmu, axis=0)
    dxmu1 = dxhat * ivar
    dsqrtvar = -1.0 / (1.0 / ivar) ** 2 * divar
    dvar = 0.5 * ivar * dsqrtvar
    dsq = 1.0 / N * np.ones((N, dout.shape[1])) * dvar
    dxmu2 = 2 * xmu * dsq
    dx1 = dxmu1 + dxmu2
    dmu = -1 * np.sum(dx1, axis=0)
    dx2 = 1.0 / N * np.ones((N, dout.shape[1])) * dmu
    return dx1 + dx2, dgamma, dbeta


def batchnorm_backward_alt(dout, cache):
    xhat, ivar, gamma = cache["xhat"], cache["ivar"], cache["gamma"]
    N = dout.shape[0]
    dbeta = dout.sum(axis=0)
    dgamma = (dout * xhat).sum(axis=0)
    dx = (1.0 / N) * gamma * ivar * (N * dout - dbeta - xhat * dgamma)
    return dx, dgamma, dbeta


def layernorm_forward(x, gamma, beta, ln_param):
    eps = ln_param.get("eps", 1e-5)
    xt = x.T  # normalise the transpose over its axis 0, as batch norm does
    mu = xt.mean(axis=0)
    std = np.sqrt(xt.var(axis=0) + eps)
    xhat_t = (xt - mu) / std
    out = gamma * xhat_t.T + beta
    return out, (xhat_t, std, gamma)


def layernorm_backward(dout, cache):
    xhat_t, std, gamma = cache
    D = xhat_t.shape[0]
    dgamma = np.sum(dout * xhat_t.T, axis=0)
    dbeta = np.sum(dout, axis=0)
    dxhat_t = (dout * gamma).T
    dx_t = (D * dxhat_t - dxhat_t.sum(axis=0) - xhat_t * (dxhat_t * xhat_t).sum(axis=0)) / (D * std)
    return dx_t.T, dgamma, dbeta


def conv_forward_naive(x, w, b, conv_param):
    S, P = conv_param["stride"], conv_param["pad"]
    N, C, H, W = x.shape
    F, C, HH, WW = w.shape
    assert (H + 2 * P - HH) % S == 0, "height does not work"
    assert (W + 2 * P - WW) % S == 0, "width does not work"
    Ho, Wo = int(1 + (H + 2 * P - HH) / S), int(1 + (W + 2 * P - WW) / S)
    xp = np.pad(x, [(0, 0), (0, 0), (P, P), (P, P)], "constant", constant_values=0)
    out = np.zeros((N, F, Ho, Wo))
    for f in range(F):
        for i in range(Ho):
            for j in range(Wo):
                out[:, f, i, j] = np.sum(xp[:, :, i * S:i * S + HH, j * S:j * S + WW] * w[f],
                                         axis=(1, 2, 3)) + b[f]
    return out, (x, w, b, conv_param)


def conv_backward_naive(dout, cache):
    x, w, b, conv_param = cache
    S, P = conv_param["stride"], conv_param["pad"]
    F, C, HH, WW = w.shape
    N, _, Ho, Wo = dout.shape
    xp = np.pad(x, [(0, 0), (0, 0), (P, P), (P, P)], "constant")
    dxp, dw = np.zeros(xp.shape), np.zeros(w.shape)
    db = dout.sum(axis=(0, 2, 3))
    for i in range(Ho):
        for j in range(Wo):
            win = xp[:, :, i * S:i * S + HH, j * S:j * S + WW]
            for f in range(F):
                dw[f] += np.sum(win * dout[:, f, i, j][:, None, None, None], axis=0)
            for n in range(N):
                dxp[n, :, i * S:i * S + HH, j * S:j * S + WW] += np.sum(
                    w * dout[n, :, i, j][:, None, None, None], axis=0)
    return dxp[:, :, P:dxp.shape[2] - P, P:dxp.shape[3] - P], dw, db


def max_pool_forward_naive(x, pool_param):
    HH, WW, S = pool_param["pool_height"], pool_param["pool_width"], pool_param["stride"]
    N, C, H, W = x.shape
    assert (H - HH) % S == 0 and (W - WW) % S == 0, "the windows must tile x"
    Ho, Wo = (H - HH) // S + 1, (W - WW) // S + 1
    out = np.zeros((N, C, Ho, Wo))
    for n in range(N):
        for c in range(C):
            for i in range(Ho):
                for j in range(Wo):
                    out[n, c, i, j] = np.max(x[n, c, i * S:i * S + HH, j * S:j * S + WW])
    return out, (x, pool_param)


def max_pool_backward_naive(dout, cache):
    x, pool_param = cache
    HH, WW, S = pool_param["pool_height"], pool_param["pool_width"], pool_param["stride"]
    N, C, Ho, Wo = dout.shape
    dx = np.zeros_like(x)
    for n in range(N):
        for c in range(C):
            for i in range(Ho):
                for j in range(Wo):
                    win = x[n, c, i * S:i * S + HH, j * S:j * S + WW]
                    idx = np.argmax(win)
                    dx[n, c, i * S + idx // WW, j * S + idx % WW] += dout[n, c, i, j]
    return dx
