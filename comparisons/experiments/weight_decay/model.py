"""D2L's two weight-decay conventions (facts, section 3) as lockstep problems; their algebra.

Model: ŷ = x wᵀ + b, w (1, 200) ~ N(0, 1), b = 0 (both conventions start there; the book's concise
code also draws b ~ N(0, 1), which we do not, so that the convention is the only difference);
``init="zero"`` starts from w = 0 instead.

* **scratch** (the book's from-scratch code): per batch B the objective is
  ``J_B = Σ_{i∈B} [½ (ŷ_i - y_i)² + λ‖w‖²/2]`` (``squared_loss + lambd * l2_penalty(w)``
  broadcast over the batch, then summed), and the step divides by the batch size:
  ``θ <- θ - η ∇J_B / |B|``. So ``w <- w - η [(1/|B|) Σ (ŷ_i - y_i) x_i + λ w]`` (the update
  rule printed in the book: ``(1 - ηλ) w - η/|B| Σ x (wᵀx + b - y)``).
  Handmade side: the pure pairs ``linear_*`` and ``l2_penalty_*``; torch side: the same formula.
* **concise**: ``MSELoss`` (mean, no ½) with ``torch.optim.SGD(weight_decay=λ)`` on the weight only,
  the bias in its own undecayed group: ``w <- w - η [(2/|B|) Σ (ŷ_i - y_i) x_i + λ w]``.

With the same η the concise data step is twice the scratch one while the decay term λw is the
same: from the same start, ``Δw_concise = 2 Δw_scratch + ηλ w`` and ``Δb_concise = 2 Δb_scratch``
(:func:`one_step_identity` checks it numerically).

Split of w: with X_train = U S Vᵀ (20 × 200, rank 20), ``P_row w = V Vᵀ w`` is the part the data
spans and ``P_null w = w − P_row w`` the part in the 180-dimensional null space. Every data
gradient is a combination of training rows, so only the decay moves ``P_null w``: each step
multiplies it by (1 − ηλ) in both conventions, ``‖P_null w_t‖ = (1 − ηλ)^t ‖P_null w₀‖``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import torch
from numpy.typing import NDArray

import handmade as hm
from comparisons.core.compare import compare
from comparisons.experiments.weight_decay.options import CONVENTIONS, EPOCHS, INITS
from comparisons.lockstep.engines import build_engines
from comparisons.lockstep.spec import MaskRecorder
from comparisons.lockstep.train import (
    HandmadeObjective,
    LossObjective,
    OptimizerSpec,
    Problem,
    TorchObjective,
    torch_loss_objective,
)
from handmade.linear import linear_backward, linear_forward
from handmade.module import Module
from handmade.regularization import l2_penalty_backward, l2_penalty_forward
from reference import l2_penalty

N_TRAIN, N_TEST, NUM_INPUTS, BATCH, LR = 20, 100, 200, 5, 0.003
DESCRIPTIONS = {
    "scratch": "½ squared loss summed over the batch + λ‖w‖²/2 per example; SGD step "
               "lr·grad/|B| (update: w ← w − η[(1/|B|)Σ(ŷ−y)x + λw])",
    "concise": "MSELoss (mean, no ½) + torch.optim.SGD weight_decay=λ on the weight only, bias "
               "undecayed (update: w ← w − η[(2/|B|)Σ(ŷ−y)x + λw])",
}


class ScratchObjective:
    """``J_B = Σ_i ½ (ŷ_i - y_i)² + |B| λ‖w‖²/2`` by hand; X (|B|, d), y (|B|, 1).

    Gradients: ``dJ/dw = Σ_i (ŷ_i - y_i) x_i + |B| λ w`` and ``dJ/db = Σ_i (ŷ_i - y_i)``.
    """

    def __init__(self, lam: float) -> None:
        self.lam = lam
        self.cache: Any = None

    def forward(self, model: Module, X: NDArray, y: NDArray) -> NDArray:
        """The summed scratch objective of the batch (0-d)."""
        weight, bias = _weight_bias(model)
        pred, lin = linear_forward(X, weight.data, bias.data)
        r = pred - y
        penalty, l2 = l2_penalty_forward(weight.data, self.lam)
        self.cache = (r, lin, l2, len(X))
        return np.asarray(0.5 * np.sum(r * r) + len(X) * penalty, dtype=X.dtype)

    def backward(self, model: Module) -> None:
        """``weight.grad = rᵀX + |B| λ w``, ``bias.grad = Σ r`` with r = ŷ - y."""
        r, lin, l2, n = self.cache
        _, dW, db = linear_backward(r, lin)
        weight, bias = _weight_bias(model)
        weight.grad = dW + l2_penalty_backward(float(n), l2)
        bias.grad = db


def _weight_bias(model: Module) -> tuple[hm.Parameter, hm.Parameter]:
    """The weight and bias of the problem's model, a handmade Linear with a bias."""
    if not isinstance(model, hm.Linear) or model.bias is None:
        raise ValueError(f"model: expected a handmade Linear with a bias, got {model!r}")
    return model.weight, model.bias


def scratch_torch_objective(lam: float) -> Any:
    """The torch twin: ``(½ (model(X) - y)² + λ/2 ‖w‖²).sum()``, the penalty broadcast per row."""
    def objective(model: Any, X: Any, y: Any) -> Any:
        r = model(X) - y
        return (0.5 * r**2 + l2_penalty(model.weight, lam)).sum()

    return objective


def row_space_basis(X: NDArray) -> NDArray:
    """Orthonormal basis V (d, r) of the row space of X (n, d): X's right singular vectors whose
    singular value exceeds max(n, d) · eps · s_max (numpy's ``matrix_rank`` rule), in float64."""
    _, s, vt = np.linalg.svd(np.asarray(X, dtype=np.float64), full_matrices=False)
    rank = int(np.sum(s > max(np.shape(X)) * np.finfo(np.float64).eps * s.max()))
    return vt[:rank].T


def split_norms(w: NDArray, basis: NDArray) -> tuple[float, float]:
    """``(‖P_row w‖₂, ‖P_null w‖₂)`` of a weight w (1, d) or (d,), with ``P_row w = V Vᵀ w`` for
    ``basis`` V (d, r) from :func:`row_space_basis`; the two squares sum to ‖w‖₂²."""
    flat = np.asarray(w, dtype=np.float64).ravel()
    row = basis @ (basis.T @ flat)
    return float(np.linalg.norm(row)), float(np.linalg.norm(flat - row))


def make_problem(data: Any, convention: str, lam: float, epochs: int = EPOCHS,
                 init: str = "normal") -> Any:
    """The lockstep problem of one (convention, λ) from w ~ N(0, 1) (``init="normal"``, the
    book's) or w = 0 (``"zero"``); metrics: train/test MSE, ‖w‖₂ and its data-spanned and
    null-space parts (``w_data_norm``, ``w_null_norm``, see :func:`split_norms`)."""
    if init not in INITS:
        raise ValueError(f"init: expected one of {', '.join(INITS)}, got {init!r}")
    basis = row_space_basis(data.X_train)

    def metrics(view: Any) -> dict[str, float]:
        w = view.state_dict(copy=False)["weight"]
        data_part, null_part = split_norms(w, basis)
        return {"train_loss": float(np.mean((view.predict(data.X_train) - data.y_train) ** 2)),
                "test_loss": float(np.mean((view.predict(data.X_test) - data.y_test) ** 2)),
                "w_norm": float(np.linalg.norm(w)), "w_data_norm": data_part,
                "w_null_norm": null_part}

    objectives: tuple[Callable[[], HandmadeObjective], Callable[[], TorchObjective]]
    if convention == "scratch":
        objectives = (lambda: ScratchObjective(lam), lambda: scratch_torch_objective(lam))
        spec = OptimizerSpec("sgd", {"lr": LR}, divide_by_batch=True)
    else:
        objectives = (lambda: LossObjective(hm.MSELoss()),
                      lambda: torch_loss_objective(torch.nn.MSELoss()))
        spec = OptimizerSpec("sgd", {"lr": LR}, groups=[
            {"params": ["weight"], "weight_decay": lam}, {"params": ["bias"]}])
    return Problem(
        handmade_model=lambda ctx: hm.Linear(NUM_INPUTS, 1, rng=ctx.rng, dtype=ctx.dtype,
                                             init="normal",
                                             sigma=1.0 if init == "normal" else 0.0),
        torch_model=lambda ctx: torch.nn.Linear(NUM_INPUTS, 1),
        handmade_objective=objectives[0], torch_objective=objectives[1], optimizer=spec,
        X=data.X_train, y=data.y_train, batch_size=BATCH, epochs=epochs, metrics=metrics,
    )


def one_step(data: Any, convention: str, lam: float, seed: int) -> dict[str, Any]:
    """One handmade lockstep step of ``convention`` on the first batch (rows 0..|B|-1).

    Returns the start ``w0``, the update ``delta`` (θ₁ - θ₀) and the gradient the optimiser saw,
    ``grad`` (scratch: ``(1/|B|) Σ r x + λ w``, already divided; concise: ``(2/|B|) Σ r x``, the
    decay being applied inside SGD), each a dict of "weight" and "bias".
    """
    problem = make_problem(data, convention, lam, epochs=1)
    rng = np.random.default_rng(seed)
    (engine,) = build_engines(problem, ("handmade",), np.dtype(np.float64), rng,
                              MaskRecorder(rng, ("handmade",)))
    w0 = engine.state_dict()
    engine.step(np.arange(BATCH))
    w1 = engine.state_dict()
    grad = {k: p.grad.copy() for k, p in engine.model.named_parameters()}
    return {"w0": w0, "delta": {k: w1[k] - w0[k] for k in w0}, "grad": grad}


def one_step_identity(data: Any, lam: float, seed: int) -> dict[str, Any]:
    """Check the algebra on one step of each convention from the same start and batch.

    With compare and the float64 "autograd" tolerance: the concise data gradient is twice the
    scratch one (``grad_c = 2 (grad_s - λ w₀)``), and the concise update is the scratch update
    with the data gradient doubled (``Δw_c = 2 Δw_s + ηλ w₀``, ``Δb_c = 2 Δb_s``).
    """
    s, c = (one_step(data, conv, lam, seed) for conv in CONVENTIONS)
    w0 = s["w0"]["weight"]
    data_s = s["grad"]["weight"] - lam * w0
    pairs = [
        ("data gradient", "weight", c["grad"]["weight"], 2 * data_s),
        ("update", "weight", c["delta"]["weight"], 2 * s["delta"]["weight"] + LR * lam * w0),
        ("update", "bias", c["delta"]["bias"], 2 * s["delta"]["bias"]),
    ]
    checks = [compare(a, e, name=n, tensor=t, against="autograd") for n, t, a, e in pairs]
    return {
        "lambda": lam, "lr": LR, "batch_size": BATCH, "same_start": bool(
            np.array_equal(w0, c["w0"]["weight"])),
        "scratch_data_gradient": "(1/|B|) Σ (ŷ−y) x", "concise_data_gradient": "(2/|B|) Σ (ŷ−y) x",
        "decay_term": "λ w in both",
        "identity": "Δw_concise = 2 Δw_scratch + ηλ w₀,  Δb_concise = 2 Δb_scratch",
        "data_gradient_norms": {"scratch": float(np.linalg.norm(data_s)),
                                "concise": float(np.linalg.norm(c["grad"]["weight"]))},
        "checks": [ch.to_json() for ch in checks],
        "passed": all(ch.passed for ch in checks) and np.array_equal(w0, c["w0"]["weight"]),
    }
