"""A layer the project does not ship: an :class:`OpSpec` built from ``reference`` + ``SHAPES``.

The user's file (or the ``reference=``/``shapes=`` arguments of ``verify``) gives::

    def reference(x, alpha):          # torch ops on tensors; autograd gives the truth
        return torch.where(x > 0, x, alpha * x)

    SHAPES = {"x": ("N", 4), "alpha": ()}   # input name -> shape, in forward's argument order
    NONDIFF = ("alpha",)                    # optional: inputs that get no gradient

* Shapes are tuples of positive ints; the symbol ``"N"`` marks a batch dimension, which is
  tried as N = 1 and as an odd batch N = 5. Without ``"N"`` there is one case.
* Every input is drawn seeded from N(0, 1) in the requested dtype.
* ``forward(*inputs)`` returns ``(out, cache)``; ``backward(dout, cache)`` returns one array
  (one differentiable input) or a tuple in input order of the differentiable inputs.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from comparisons.ops import Case, Inputs, OpSpec

BATCH = "N"
BATCH_CASES = (Case("N=1", {BATCH: 1}), Case("odd batch N=5", {BATCH: 5}))
FORMAT_HELP = (
    'SHAPES = {"x": ("N", 4), "alpha": ()}  # name -> shape in forward\'s argument order; '
    '"N" = batch dim (tried as 1 and 5)\n'
    'NONDIFF = ("alpha",)                    # optional: inputs without a gradient\n'
    "def reference(x, alpha): ...            # torch ops; autograd gives the truth"
)


def _check_dim(name: str, dim: Any) -> int | str:
    if dim == BATCH:
        return BATCH
    if isinstance(dim, int | np.integer) and not isinstance(dim, bool) and dim > 0:
        return int(dim)
    raise ValueError(f'SHAPES[{name!r}]: expected positive ints or "N", got {dim!r}')


def parse_shapes(shapes: Any) -> dict[str, tuple[int | str, ...]]:
    """Validate ``SHAPES``; ValueError (one line) on anything malformed."""
    if not isinstance(shapes, Mapping) or not shapes:
        raise ValueError(f"SHAPES: expected a non-empty dict name -> shape tuple, "
                         f"got {type(shapes).__name__}")
    parsed: dict[str, tuple[int | str, ...]] = {}
    for name, shape in shapes.items():
        if not isinstance(name, str) or not name.isidentifier():
            raise ValueError(f"SHAPES: expected input names as identifiers, got {name!r}")
        if isinstance(shape, int | str):
            shape = (shape,)
        if not isinstance(shape, Sequence):
            raise ValueError(f"SHAPES[{name!r}]: expected a tuple, got {type(shape).__name__}")
        parsed[name] = tuple(_check_dim(name, d) for d in shape)
    return parsed


def _make_inputs(shapes: dict[str, tuple[int | str, ...]]
                 ) -> Callable[[np.random.Generator, Case, np.dtype], Inputs]:
    def make(rng: np.random.Generator, case: Case, dtype: np.dtype) -> Inputs:
        out: Inputs = {}
        for name, shape in shapes.items():
            concrete = tuple(case.dims[BATCH] if d == BATCH else int(d) for d in shape)
            out[name] = rng.standard_normal(concrete).astype(dtype)
        return out

    return make


def custom_spec(name: str, forward: Callable[..., Any], backward: Callable[..., Any],
                reference: Callable[..., Any], shapes: Any,
                nondiff: Sequence[str] = ()) -> OpSpec:
    """The spec of a user-defined layer; ValueError (one line) for a malformed description."""
    if not callable(reference):
        raise ValueError(f"reference: expected a function of the inputs, got "
                         f"{type(reference).__name__}")
    parsed = parse_shapes(shapes)
    if isinstance(nondiff, str):
        nondiff = (nondiff,)
    unknown = [k for k in nondiff if k not in parsed]
    if unknown:
        raise ValueError(f"NONDIFF: {unknown} not in SHAPES (inputs: {', '.join(parsed)})")
    diff = tuple(k for k in parsed if k not in nondiff)
    if not diff:
        raise ValueError("NONDIFF: every input is marked non-differentiable; nothing to verify")
    grads = tuple(f"d{k}" for k in diff)
    batched = any(BATCH in s for s in parsed.values())
    cases = BATCH_CASES if batched else (Case("as given", {}),)
    args = ", ".join(parsed)
    returns = grads[0] if len(grads) == 1 else f"({', '.join(grads)})"
    return OpSpec(
        name, forward, backward, reference, tuple(parsed), diff, grads, _make_inputs(parsed),
        cases, signature=f"forward({args}) -> (out, cache); backward(dout, cache) -> {returns}",
        convention="custom layer: the truth is torch autograd of reference(" + args + ")")
