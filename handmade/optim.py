"""Optimisers written by hand: SGD (momentum, Nesterov, L2 weight decay) and Adam.

Both follow ``torch.optim.SGD`` / ``torch.optim.Adam`` (single-tensor CPU path) update for update,
including the order of floating-point operations where it matters, so float64 trajectories agree
with torch's to rounding.

Conventions
-----------
* ``params`` is an iterable of parameter-like objects (anything with ``.data``, a float32/float64
  ndarray, and ``.grad``, an ndarray of the same shape and dtype or ``None``), or a list of
  *parameter groups*: dicts ``{"params": [...], "lr": ..., "weight_decay": ..., ...}`` whose
  missing keys take the constructor's values (torch-style; e.g. an undecayed bias group).
* ``step()`` updates every ``.data`` in place and never modifies ``.grad``; parameters whose
  ``grad`` is ``None`` are skipped (and their state is not advanced).
* ``zero_grad(set_to_none=True)`` sets each ``.grad`` to ``None`` (torch's default); with
  ``set_to_none=False`` existing grads are filled with zeros in place.
* Weight decay is classic L2: ``g <- g + weight_decay * theta`` before the update.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any, Protocol

import numpy as np

from handmade._checks import FLOAT_DTYPES, check_nonnegative
from handmade.types import FloatArray


class ParamLike(Protocol):
    """What an optimiser updates: ``data`` in place, from ``grad`` (e.g. a ``Parameter``)."""

    data: FloatArray
    grad: FloatArray | None


def _check_param(index: int, p: object) -> object:
    """Check that ``p`` looks like a Parameter: ``.data`` is a float32/float64 ndarray."""
    data = getattr(p, "data", None)
    if not isinstance(data, np.ndarray) or data.dtype not in FLOAT_DTYPES:
        got = f"ndarray of dtype {data.dtype}" if isinstance(data, np.ndarray) else type(p).__name__
        raise ValueError(
            f"params[{index}]: expected an object with a float32/float64 ndarray .data, got {got}"
        )
    return p


def _check_grad(index: int, p: ParamLike) -> FloatArray:
    """Return ``p.grad`` after checking it matches ``p.data`` in shape and dtype."""
    g = p.grad
    if not isinstance(g, np.ndarray) or g.shape != p.data.shape or g.dtype != p.data.dtype:
        got = f"{g.dtype} {g.shape}" if isinstance(g, np.ndarray) else type(g).__name__
        raise ValueError(
            f"params[{index}].grad: expected ndarray {p.data.dtype} {p.data.shape} to match "
            f".data, got {got}"
        )
    return g


def _as_list(params: object) -> list[Any]:
    """Materialise ``params`` (an iterable of parameters or of group dicts) as a list."""
    if isinstance(params, (dict, np.ndarray)) or hasattr(params, "data") or not isinstance(
        params, Iterable
    ):
        raise ValueError(
            "params: expected an iterable of parameters or of group dicts, "
            f"got {type(params).__name__}"
        )
    items = list(params)
    if not items:
        raise ValueError("params: expected a non-empty iterable of parameters or groups, got []")
    return items


class Optimizer:
    """Base class: parameter groups, per-parameter state, ``zero_grad``.

    ``param_groups`` is a list of dicts (``"params"`` plus every hyperparameter);
    ``state`` maps ``id(param)`` to that parameter's dict of buffers.
    """

    def __init__(
        self, params: Iterable[ParamLike] | Iterable[dict[str, Any]], defaults: dict[str, Any]
    ) -> None:
        items = _as_list(params)
        groups = items if all(isinstance(g, dict) for g in items) else [{"params": items}]
        self.defaults = dict(defaults)
        self.param_groups: list[dict[str, Any]] = []
        self.state: dict[int, dict[str, Any]] = {}
        seen: set[int] = set()
        for group in groups:
            self.param_groups.append(self._make_group(group, seen))

    def _make_group(self, group: dict[str, Any], seen: set[int]) -> dict[str, Any]:
        """Fill a group's missing hyperparameters from the defaults and validate it."""
        unknown = sorted(set(group) - set(self.defaults) - {"params"})
        if unknown:
            raise ValueError(
                f"param_groups: expected keys among {['params', *self.defaults]}, got {unknown}"
            )
        if "params" not in group:
            raise ValueError("param_groups: expected every group to have a 'params' key, got none")
        plist = list(group["params"])
        if not plist:
            raise ValueError("param_groups: expected a non-empty 'params' list, got []")
        for p in plist:
            _check_param(len(seen), p)
            if id(p) in seen:
                raise ValueError("params: expected each parameter once, got a duplicate")
            seen.add(id(p))
        full = {**self.defaults, **group, "params": plist}
        self._validate(full)
        return full

    def _validate(self, group: dict[str, Any]) -> None:
        """Check one group's hyperparameters (subclasses)."""
        raise NotImplementedError

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Reset gradients: ``grad = None`` (default) or fill existing grads with zeros."""
        for group in self.param_groups:
            for p in group["params"]:
                if set_to_none:
                    p.grad = None
                elif p.grad is not None:
                    p.grad[...] = 0

    def _each(self) -> Iterator[tuple[dict[str, Any], ParamLike, FloatArray, dict[str, Any]]]:
        """Yield ``(group, param, grad, state)`` for every parameter that has a gradient."""
        index = 0
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is not None:
                    grad = _check_grad(index, p)
                    yield group, p, grad, self.state.setdefault(id(p), {})
                index += 1


class SGD(Optimizer):
    """Stochastic gradient descent, as ``torch.optim.SGD``.

    With ``g = grad + weight_decay * theta`` and, when ``momentum != 0``,
    ``b_1 = g`` and ``b_t = momentum * b_{t-1} + (1 - dampening) * g`` (then ``g = b_t``, or
    ``g = g + momentum * b_t`` with ``nesterov``), the update is ``theta <- theta - lr * g``.
    All arrays have the parameter's shape and dtype.
    """

    def __init__(
        self,
        params: Iterable[ParamLike] | Iterable[dict[str, Any]],
        lr: float,
        momentum: float = 0.0,
        weight_decay: float = 0.0,
        dampening: float = 0,
        nesterov: bool = False,
    ) -> None:
        defaults = dict(
            lr=lr, momentum=momentum, weight_decay=weight_decay, dampening=dampening,
            nesterov=nesterov,
        )
        super().__init__(params, defaults)

    def _validate(self, group: dict[str, Any]) -> None:
        for key in ("lr", "momentum", "weight_decay", "dampening"):
            group[key] = check_nonnegative(key, group[key])
        if not isinstance(group["nesterov"], bool):
            raise ValueError(f"nesterov: expected a bool, got {type(group['nesterov']).__name__}")
        if group["nesterov"] and (group["momentum"] <= 0 or group["dampening"] != 0):
            raise ValueError(
                "nesterov: expected momentum > 0 and dampening = 0, got "
                f"momentum={group['momentum']}, dampening={group['dampening']}"
            )

    def step(self) -> None:
        """Apply one update to every parameter with a gradient (in place)."""
        for group, p, grad, state in self._each():
            g = grad
            if group["weight_decay"] != 0:
                g = g + group["weight_decay"] * p.data
            if group["momentum"] != 0:
                buf = state.get("momentum_buffer")
                if buf is None:
                    buf = state["momentum_buffer"] = g.copy()
                else:
                    buf *= group["momentum"]
                    buf += (1 - group["dampening"]) * g
                g = g + group["momentum"] * buf if group["nesterov"] else buf
            p.data -= group["lr"] * g


def _lerp_(start: FloatArray, end: FloatArray, weight: float) -> None:
    """``start <- start + weight * (end - start)`` in place, in torch.lerp's two-branch form."""
    if abs(weight) < 0.5:
        start += weight * (end - start)
    else:
        start[...] = end - (end - start) * (1 - weight)


class Adam(Optimizer):
    """Adam, as ``torch.optim.Adam`` (``amsgrad=False``, L2 weight decay, not AdamW).

    At step t (starting at 1), with ``g = grad + weight_decay * theta``:
    ``m_t = beta1 m_{t-1} + (1 - beta1) g`` (computed as torch's lerp),
    ``v_t = beta2 v_{t-1} + (1 - beta2) g * g``, ``m_0 = v_0 = 0``;
    ``theta <- theta - (lr / (1 - beta1^t)) * m_t / (sqrt(v_t) / sqrt(1 - beta2^t) + eps)``.
    ``eps`` is added after dividing ``sqrt(v_t)`` by the bias correction, as torch does.
    All arrays have the parameter's shape and dtype; ``t`` is per parameter.
    """

    def __init__(
        self,
        params: Iterable[ParamLike] | Iterable[dict[str, Any]],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
    ) -> None:
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay))

    def _validate(self, group: dict[str, Any]) -> None:
        for key in ("lr", "eps", "weight_decay"):
            group[key] = check_nonnegative(key, group[key])
        betas = group["betas"]
        if not isinstance(betas, (tuple, list)) or len(betas) != 2:
            raise ValueError(f"betas: expected a pair (beta1, beta2), got {betas!r}")
        checked = tuple(check_nonnegative(f"betas[{i}]", b) for i, b in enumerate(betas))
        for i, b in enumerate(checked):
            if b >= 1.0:
                raise ValueError(f"betas[{i}]: expected a value in [0, 1), got {b}")
        group["betas"] = checked

    def step(self) -> None:
        """Apply one update to every parameter with a gradient (in place)."""
        for group, p, grad, state in self._each():
            beta1, beta2 = group["betas"]
            if not state:
                zeros = np.zeros_like(p.data)
                state.update(step=0, exp_avg=zeros, exp_avg_sq=zeros.copy())
            state["step"] += 1
            g = grad
            if group["weight_decay"] != 0:
                g = g + group["weight_decay"] * p.data
            m, v = state["exp_avg"], state["exp_avg_sq"]
            _lerp_(m, g, 1 - beta1)
            v *= beta2
            v += (1 - beta2) * g * g
            t = float(state["step"])
            step_size = group["lr"] / (1 - beta1**t)
            denom = np.sqrt(v) / (1 - beta2**t) ** 0.5 + group["eps"]
            p.data += (-step_size * m) / denom
