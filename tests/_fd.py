"""Test helpers: finite-difference vector-Jacobian products, a torch.autograd.Function wrapper
around a handmade pair (for ``torch.autograd.gradcheck``) and one assertion over ``compare``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import torch
from numpy.typing import NDArray

from comparisons.core.compare import compare
from comparisons.core.finite_diff import numerical_gradient


def assert_close(
    actual: Any, expected: Any, *, tensor: str, against: str, ignore: Any = None
) -> None:
    """Assert that ``compare`` passes (strict shape and dtype, tolerance from the table)."""
    c = compare(actual, expected, name="test", tensor=tensor, against=against, ignore=ignore)
    assert c.passed, f"{tensor} vs {against}: {c.message}"


def fd_vjp(
    forward: Callable[..., tuple[Any, Any]],
    args: Sequence[Any],
    index: int,
    dout: NDArray,
) -> NDArray:
    """Central-difference gradient of ``sum(forward(*args)[0] * dout)`` w.r.t. ``args[index]``.

    That is the vector-Jacobian product a backward computes for upstream gradient ``dout``.
    """

    def f(value: NDArray) -> float:
        a = list(args)
        a[index] = value.astype(np.asarray(args[index]).dtype)
        return float(np.sum(np.asarray(forward(*a)[0], dtype=np.float64) * dout))

    return numerical_gradient(f, np.asarray(args[index]))


def as_autograd(
    forward: Callable[..., tuple[Any, Any]], backward: Callable[..., Any]
) -> Callable[..., torch.Tensor]:
    """A torch function whose forward/backward call the handmade pair (NumPy inside).

    Backward outputs are matched to the inputs in order; inputs beyond them get None.
    """

    class Handmade(torch.autograd.Function):
        @staticmethod
        def forward(ctx: Any, *tensors: torch.Tensor) -> torch.Tensor:
            out, cache = forward(*[t.detach().numpy() for t in tensors])
            ctx.cache = cache
            return torch.from_numpy(np.array(out))

        @staticmethod
        def backward(ctx: Any, dout: torch.Tensor) -> tuple[torch.Tensor | None, ...]:
            d = dout.detach().numpy().copy()
            grads = backward(float(d) if d.ndim == 0 else d, ctx.cache)
            grads = grads if isinstance(grads, tuple) else (grads,)
            out = [None if g is None else torch.from_numpy(np.array(g)) for g in grads]
            return tuple(out) + (None,) * (len(ctx.needs_input_grad) - len(out))

    return Handmade.apply


def leaf(a: NDArray, grad: bool = True) -> torch.Tensor:
    """A torch leaf sharing no memory with ``a``; requires grad when ``grad``."""
    return torch.tensor(a).requires_grad_(grad)
