"""Op specifications and the witnesses that run on them (autograd and finite differences).

An :class:`OpSpec` describes one forward/backward pair: its inputs (which are differentiable,
which go by keyword), how to draw seeded inputs for each awkward shape case, the torch
reference, and where finite differences cannot be trusted. ``backprop-lab check`` runs the
project's own pairs through these specs; ``backprop-lab verify`` runs a student's.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from numpy.typing import NDArray

from comparisons.core.finite_diff import (
    DEFAULT_STEP,
    FULL_CHECK_MAX_ELEMENTS,
    IndexedFn,
    directional_derivatives,
    numerical_gradient,
    project,
    random_directions,
)

Inputs = dict[str, Any]
N_DIRECTIONS = 12


@dataclass(frozen=True)
class Case:
    """One shape case: a label (e.g. ``"N=1"``) and the dimensions it fixes."""

    label: str
    dims: Mapping[str, int]


@dataclass(frozen=True)
class OpSpec:
    """Everything the harness needs to check one forward/backward pair.

    ``grads`` names the backward's outputs in order (``("dx", "dW", "db")``), each the gradient
    of the differentiable input at the same position of ``differentiable``. Ops whose backward
    returns a dict (``two_layer``) list extra intermediate names in ``intermediates``; those
    are checked against autograd only (finite differences see inputs, not intermediates).
    """

    name: str
    forward: Callable[..., Any]
    backward: Callable[..., Any]
    reference: Callable[..., Any]
    positional: tuple[str, ...]
    differentiable: tuple[str, ...]
    grads: tuple[str, ...]
    make_inputs: Callable[[np.random.Generator, Case, np.dtype], Inputs]
    cases: tuple[Case, ...]
    signature: str
    convention: str
    keywords: tuple[str, ...] = ()
    scalar_output: bool = False
    returns_dict: bool = False
    intermediates: tuple[str, ...] = ()
    untrusted: Callable[[Inputs, float], dict[str, NDArray[np.bool_]]] | None = None
    equations: Mapping[str, str] = field(default_factory=dict)

    def grad_of(self, input_name: str) -> str:
        """Name of the gradient of a differentiable input (``"W"`` → ``"dW"``)."""
        return self.grads[self.differentiable.index(input_name)]


def call_forward(spec: OpSpec, forward: Callable[..., Any], inputs: Inputs) -> tuple[Any, Any]:
    """Call a forward with the spec's positional and keyword inputs; returns (out, cache)."""
    args = [inputs[k] for k in spec.positional]
    kwargs = {k: inputs[k] for k in spec.keywords}
    result = forward(*args, **kwargs)
    if not isinstance(result, tuple) or len(result) != 2:
        raise TypeError(f"forward: expected a tuple (out, cache), got {type(result).__name__}")
    return result


def make_dout(spec: OpSpec, out: Any, rng: np.random.Generator, *,
              unit_objective: bool = False) -> Any:
    """Upstream gradient: standard normal of ``out``'s shape, or a scalar for a scalar output.

    For a scalar output (an objective) the default is a non-trivial uniform(0.5, 1.5) draw:
    ``backprop-lab check`` tests the project's own code, where a dJ of 1 would hide a dropped
    upstream factor. ``unit_objective=True`` gives dJ = 1 exactly (no draw): ``verify`` judges a
    student's gradient of the objective J itself, dJ/dθ, and probes dJ ≠ 1 in a case of its own.
    """
    out = np.asarray(out)
    if spec.scalar_output:
        if unit_objective:
            return np.asarray(1.0, dtype=out.dtype)
        return np.asarray(rng.uniform(0.5, 1.5), dtype=out.dtype)
    return rng.standard_normal(out.shape).astype(out.dtype)


def grads_as_dict(spec: OpSpec, returned: Any) -> dict[str, Any]:
    """Name the backward's outputs: one array, a tuple in input order, or a dict."""
    names = spec.grads + spec.intermediates
    if spec.returns_dict:
        if not isinstance(returned, Mapping):
            raise TypeError(f"backward: expected a dict with keys {list(names)}, "
                            f"got {type(returned).__name__}")
        return {k: returned.get(k) for k in names}
    if len(spec.grads) == 1:
        if isinstance(returned, tuple) and len(returned) == 1:
            returned = returned[0]
        return {spec.grads[0]: returned}
    if not isinstance(returned, tuple | list) or len(returned) != len(spec.grads):
        raise TypeError(f"backward: expected a tuple {spec.grads}, got {_describe(returned)}")
    return dict(zip(spec.grads, returned))


def _describe(value: Any) -> str:
    if isinstance(value, tuple | list):
        return f"a {type(value).__name__} of length {len(value)}"
    return type(value).__name__


def _to_torch(value: Any, requires_grad: bool) -> Any:
    if isinstance(value, np.ndarray):
        t = torch.from_numpy(value.copy())
        return t.requires_grad_(requires_grad) if t.is_floating_point() else t
    return value


def reference_run(spec: OpSpec, inputs: Inputs, dout: Any) -> tuple[NDArray[Any], dict[str, Any]]:
    """Forward value and every gradient (inputs and intermediates) from torch autograd."""
    tensors = {k: _to_torch(v, k in spec.differentiable) for k, v in inputs.items()}
    out = spec.reference(*[tensors[k] for k in spec.positional],
                         **{k: tensors[k] for k in spec.keywords})
    grads: dict[str, Any] = {}
    if spec.returns_dict:
        value = out["J"]
        # J * dout, not J.backward(dout): passing a gradient makes torch import sympy (~1 s)
        (value * torch.as_tensor(dout, dtype=value.dtype)).backward()
        for name in spec.intermediates:
            grads[name] = out[name[1:]].grad.detach().numpy()
    else:
        value = out
        (value * torch.as_tensor(dout, dtype=value.dtype)).sum().backward()
    for name in spec.differentiable:
        grads[spec.grad_of(name)] = tensors[name].grad.detach().numpy()
    return value.detach().numpy(), grads


def scalar_objective(
    spec: OpSpec, forward: Callable[..., Any], inputs: Inputs, dout: Any, name: str
) -> Callable[[NDArray[np.float64]], float]:
    """x ↦ <forward(inputs with `name` = x), dout> in float64: the finite-difference target."""
    base = {k: (v.astype(np.float64) if _is_float_array(v) else v) for k, v in inputs.items()}
    dout64 = np.asarray(dout, dtype=np.float64)

    def f(x: NDArray[np.float64]) -> float:
        out, _ = call_forward(spec, forward, {**base, name: x})
        return float(np.sum(np.asarray(out, dtype=np.float64) * dout64))

    return f


def indexed_objective(spec: OpSpec, perturbed: Callable[..., list[Any]], inputs: Inputs,
                      dout: Any, name: str) -> IndexedFn:
    """:func:`scalar_objective` as the ``f_indexed`` of :func:`numerical_gradient`, for a
    forward that offers ``perturbed(args, kwargs, where, x64, idx, offsets)``: its outs at
    x64 with ``x64.flat[idx[k]] += offsets[k]``, one per k, in one call (the sandbox's
    forward runs them all in its child: one round trip instead of 2 per element). Same
    values, bit for bit, as calling ``f`` element by element."""
    base = {k: (v.astype(np.float64) if _is_float_array(v) else v) for k, v in inputs.items()}
    dout64 = np.asarray(dout, dtype=np.float64)
    args, kwargs = [base[k] for k in spec.positional], {k: base[k] for k in spec.keywords}
    where: int | str = spec.positional.index(name) if name in spec.positional else name

    def f(x64: NDArray[np.float64], idx: NDArray[np.int64],
          offsets: NDArray[np.float64]) -> NDArray[np.float64]:
        outs = perturbed(args, kwargs, where, x64, idx, offsets)
        # a non-finite out (inf · 0 is NaN) is the comparison's to report, not a warning's
        with np.errstate(invalid="ignore", over="ignore"):
            if dout64.size == 1 and all(type(o) is float or isinstance(o, np.floating)
                                        for o in outs):
                # scalar outs (an objective): each sum is of one product, 0 + o·dout (+ 0.0
                # turns -0.0 into 0.0 as np.sum does); the same bits in one vectorised product
                return np.asarray(outs, dtype=np.float64) * dout64.reshape(()) + 0.0
            return np.array([np.sum(np.asarray(o, dtype=np.float64) * dout64) for o in outs],
                            dtype=np.float64)

    return f


def _is_float_array(v: Any) -> bool:
    return isinstance(v, np.ndarray) and np.issubdtype(v.dtype, np.floating)


@dataclass(frozen=True)
class FiniteDifferenceWitness:
    """What finite differences say about one gradient: compare ``actual`` with ``expected``.

    In full mode both are the gradient itself; in directional mode (big tensors) both are the
    vector of directional derivatives <grad, v_k>. ``ignore`` marks untrusted elements.
    """

    mode: str
    expected: NDArray[np.float64]
    actual: NDArray[np.float64]
    ignore: NDArray[np.bool_] | None


def finite_difference_witness(
    spec: OpSpec,
    forward: Callable[..., Any],
    inputs: Inputs,
    dout: Any,
    name: str,
    grad: NDArray[Any],
    rng: np.random.Generator,
    h: float = DEFAULT_STEP,
) -> FiniteDifferenceWitness:
    """Central differences of the (user's or project's) forward for input ``name``."""
    f = scalar_objective(spec, forward, inputs, dout, name)
    x = np.asarray(inputs[name], dtype=np.float64)
    masks = spec.untrusted(inputs, h) if spec.untrusted else {}
    ignore = masks.get(name)
    if x.size <= FULL_CHECK_MAX_ELEMENTS:
        perturbed = getattr(forward, "perturbed", None)
        indexed = None if perturbed is None else indexed_objective(spec, perturbed, inputs,
                                                                   dout, name)
        expected = numerical_gradient(f, x, h=h, f_indexed=indexed)
        return FiniteDifferenceWitness("full", expected, np.asarray(grad, np.float64), ignore)
    directions = random_directions(x.shape, N_DIRECTIONS, rng)
    if ignore is not None:
        directions = directions * ~ignore
    expected = directional_derivatives(f, x, directions, h=h)
    return FiniteDifferenceWitness("directional", expected, project(grad, directions), None)
