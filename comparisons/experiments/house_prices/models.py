"""House-price networks for both engines and the lockstep problem of one fold.

Models (parameter names as torch's, so state dicts map one-to-one):

* ``linear``: one ``Linear(F, 1)`` (``weight`` (1, F), ``bias`` (1,));
* ``mlp``: ``Linear(F, h) -> ReLU -> Dropout(p) -> Linear(h, 1)`` (``0.*``, ``3.*``); inverted
  dropout ``a -> a * mask / (1 - p)``, P(mask = 1) = 1 - p, identity at evaluation. Both engines
  take their masks from the lockstep run's shared mask stream (key ``"2"``).

Loss: MSE against the configuration's target (see :mod:`house_config`). Optimiser: Adam
(``torch.optim.Adam`` and ``handmade.optim.Adam``) with classic L2 weight decay
``g <- g + λ θ``; the baseline decays nothing (λ = 0, the book), the log models decay the weights
only (biases, including the mean-price intercept, are left free).

Judged by the log RMSE ``sqrt(mean((log max(ŷ, 1) - log y)^2))``: the handmade engine computes it
with ``handmade.log_rmse_forward``, the torch engine with ``reference.log_rmse``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from numpy.typing import NDArray
from torch import nn

import handmade as hm
import reference
from comparisons.experiments.house_prices.config import HouseConfig, Target
from comparisons.lockstep.train import (
    BuildContext,
    EngineView,
    LossObjective,
    OptimizerSpec,
    Problem,
    torch_loss_objective,
)
from handmade.checks import check_float_array

DROPOUT_KEY = "2"
"""Index of the MLP's Dropout layer in the Sequential: its mask-stream key."""


class DataLinear(hm.Linear):
    """``hm.Linear`` as the first layer, whose input is the (validated) data matrix.

    Same products as ``linear_forward``/``linear_backward``, so the same bits, minus two costs
    torch does not pay either: the per-batch finiteness scan of x (the whole matrix is checked
    once, in :func:`make_problem`; shape and dtype are still checked) and the input gradient
    ``dx = dout W``, which nothing uses (autograd skips it for an input without
    ``requires_grad``). forward: x (N, D_in) -> ``x Wᵀ + b`` (N, D_out); backward(dout (N, D_out))
    writes ``weight.grad = doutᵀ x`` and ``bias.grad = Σ_n dout[n]`` and returns None.
    """

    def forward(self, x: NDArray) -> NDArray:
        """``x Wᵀ + b``; ValueError unless x is (N, D_in) in the weight's dtype."""
        W = self.weight.data
        if not isinstance(x, np.ndarray) or x.ndim != 2 or x.shape[1] != W.shape[1] \
                or x.dtype != W.dtype:
            got = f"{x.dtype} {x.shape}" if isinstance(x, np.ndarray) else type(x).__name__
            raise ValueError(f"x: expected a {W.dtype} array of shape (N, {W.shape[1]}), "
                             f"got {got}")
        out = x @ W.T
        if self.bias is not None:
            out = out + self.bias.data
        self.cache = hm.LinearCache(x, W, self.bias is not None)
        return out

    def backward(self, dout: NDArray, input_grad: bool = False) -> None:
        """Write the parameter gradients of the last forward; return None (no dx, whatever
        ``input_grad`` says: the data needs no gradient)."""
        super().backward(dout, input_grad=False)


def handmade_model(ctx: BuildContext, n_features: int, config: HouseConfig) -> hm.Module:
    """The handmade network of ``config`` in ``ctx.dtype``, initialised from ``ctx.rng``."""
    kw: dict[str, Any] = {"rng": ctx.rng, "dtype": ctx.dtype}
    if config.model == "linear":
        return DataLinear(n_features, 1, **kw)
    p = config.dropout
    return hm.Sequential(
        DataLinear(n_features, config.hidden, **kw), hm.ReLU(),
        hm.Dropout(p, mask_source=ctx.mask_source(DROPOUT_KEY, p)),
        hm.Linear(config.hidden, 1, **kw),
    )


def torch_model(ctx: BuildContext, n_features: int, config: HouseConfig) -> Any:
    """The torch twin (torch.nn layers, ``reference.Dropout`` on the shared mask stream)."""
    if config.model == "linear":
        return nn.Linear(n_features, 1)
    p = config.dropout
    return nn.Sequential(
        nn.Linear(n_features, config.hidden), nn.ReLU(),
        reference.Dropout(p, mask_source=ctx.mask_source(DROPOUT_KEY, p)),
        nn.Linear(config.hidden, 1),
    )


def optimizer_spec(config: HouseConfig) -> OptimizerSpec:
    """Adam(lr, eps) with λ on the weights only (no groups when λ = 0, as the book).

    Why ε = 1e-4 for the log models (torch's default is 1e-8): a weight whose data gradient
    vanishes (into a dying or dead ReLU) sees only g = λθ. While √v̂ >> ε, Adam's step
    lr m̂ / √v̂ is about ±lr whatever |θ| is: the weight oscillates around 0 with amplitude ~lr,
    chaotically, and rounding differences between the engines grow until they exceed 1e-10
    (measured, λ = 0.003, lr = 1e-3, fold 2 of Ames: 3e-10 with ε = 1e-6, 2e-8 with 1e-5,
    1e-9 with 1e-8 and λ = 0.001). Once √v̂ << ε the step is the linear map (θ, z) ->
    (θ - z', z'), z' = β1 z + (1 - β1) k θ, gain k = lr λ / ε, trace 1 + β1 - (1 - β1) k,
    determinant β1: stable for k < 2(1 + β1) / (1 - β1) = 38. ε = 1e-4 is far above
    |g| ~ λ lr in that oscillation, so such weights decay smoothly (k <= 0.3 for λ <= 0.03;
    measured drift ~1e-13), while weights with real gradients (>> 1e-4) keep Adam's step; the
    cross-validated scores move by < 0.001.
    """
    opts = {"lr": config.lr, "eps": config.eps}
    if config.weight_decay == 0:
        return OptimizerSpec("adam", opts)
    prefixes = ("",) if config.model == "linear" else ("0.", "3.")
    groups = [{"params": [f"{i}weight" for i in prefixes], "weight_decay": config.weight_decay},
              {"params": [f"{i}bias" for i in prefixes], "weight_decay": 0.0}]
    return OptimizerSpec("adam", opts, groups=groups)


def log_rmse(engine: str, pred: NDArray, prices: NDArray) -> float:
    """Log RMSE of predicted prices (N,) against prices (N,), by the engine's own code."""
    if engine == "torch":
        return float(reference.log_rmse(torch.from_numpy(pred), torch.from_numpy(prices)))
    return float(hm.log_rmse_forward(pred, prices)[0])


def log_rmse_metrics(target: Target, X_train: NDArray, y_train: NDArray,
                     X_valid: NDArray | None, y_valid: NDArray | None) -> Any:
    """Per-epoch metrics: ``train_log_rmse`` (and ``valid_log_rmse`` when a fold is held out).

    One ``predict`` per epoch on the stacked rows ``[X_train; X_valid]`` (eval mode), split
    after: each row's prediction depends on that row only.
    """
    n = len(X_train)
    rows = X_train if X_valid is None else np.vstack([X_train, X_valid])

    def metrics(view: EngineView) -> dict[str, float]:
        pred = target.decode(view.predict(rows))
        out = {"train_log_rmse": log_rmse(view.name, pred[:n], y_train)}
        if X_valid is not None and y_valid is not None:
            out["valid_log_rmse"] = log_rmse(view.name, pred[n:], y_valid)
        return out

    return metrics


def make_problem(config: HouseConfig, X_train: NDArray, y_train: NDArray,
                 X_valid: NDArray | None = None, y_valid: NDArray | None = None) -> Problem:
    """The lockstep problem of one fold: train on (X_train, prices y_train), watch the fold."""
    for name, X in (("X_train", X_train), ("X_valid", X_valid)):
        if X is not None:
            check_float_array(name, X, ndim=2)  # once: DataLinear skips it per batch
    target = Target.fit(config, y_train)
    n_features = X_train.shape[1]
    return Problem(
        handmade_model=lambda ctx: handmade_model(ctx, n_features, config),
        torch_model=lambda ctx: torch_model(ctx, n_features, config),
        handmade_objective=lambda: LossObjective(hm.MSELoss()),
        torch_objective=lambda: torch_loss_objective(nn.MSELoss()),
        optimizer=optimizer_spec(config), X=X_train, y=target.encode(y_train),
        batch_size=config.batch_size, epochs=config.epochs,
        metrics=log_rmse_metrics(target, X_train, y_train, X_valid, y_valid),
    )
