"""A layer the project does not ship: an :class:`OpSpec` built from ``reference`` + ``SHAPES``.

The user's file (or the ``reference=``, ``shapes=``, ``nondiff=``, ``min_batch=`` arguments of
``verify``) gives::

    def reference(x, y, param):       # torch ops on tensors; autograd gives the truth
        return torch.nn.functional.cross_entropy(x / param["T"], y)

    SHAPES = {"x": ("N", 5),                   # a float input of shape (N, 5)
              "y": ("int", ("N",), 5),         # int64 labels of shape (N,) in [0, 5)
              "param": ("const", {"T": 2.0})}  # passed through as given
    NONDIFF = ()       # optional: float inputs that get no gradient
    MIN_BATCH = 2      # optional: the smallest batch N tried (a batch statistic needs 2)

``SHAPES`` maps forward's argument names, in forward's argument order, to one of:

* a shape: a tuple of positive ints and the batch symbol ``"N"`` (a bare int or ``"N"`` is a
  1-d shape, ``()`` a scalar). A float input drawn seeded from N(0, 1) in the run's dtype,
  differentiable unless named in ``NONDIFF``.
* ``("int", shape, high)``: int64 drawn uniformly from [0, high), high >= 1 (labels,
  indices). Never differentiable; the user gets an int64 array, ``reference`` an int64 tensor.
* ``("const", value)``: any value that ``copy.deepcopy`` can copy (a dict of options, a float,
  a string), the same in every case, never differentiable. Every call of forward and of
  reference gets its own deep copy, so a forward that writes into it
  (``param["running_mean"] = ...``) changes nothing the next call or the reference sees.

``"N"`` is tried as N = 1 and the odd batch N = 5; with ``MIN_BATCH = m`` (m >= 2) as N = m
and the smallest prime >= 5 above m (N = 2 and 5 for m = 2), never below m. Without ``"N"``
there is one case. An input may have at most ``MAX_ELEMENTS`` (10⁷) elements at the largest N
tried; bigger shapes are refused (ValueError naming ``SHAPES``) before anything is drawn.

``forward(*inputs)`` returns ``(out, cache)``; ``backward(dout, cache)`` returns one array
(one differentiable input) or a tuple in input order of the differentiable inputs.

An exception inside ``reference``, or a NaN/Inf in its value, is the reference's failure, not
the user's forward or backward: the report's error and verdict say so ("this is the reference
you wrote, not your backward"), with a ``MIN_BATCH`` hint when it happens at N = 1. The check
could not be completed, so ``verify`` still fails (exit 1).
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from comparisons.core.ops import Case, Inputs, OpSpec
from comparisons.verification.custom_shapes import (
    BATCH,
    CONST,
    FLOAT,
    FORMAT_HELP,
    INT,
    MAX_ELEMENTS,
    Entry,
    parse_shapes,
)
from comparisons.verification.guard import UserCodeError, user_traceback
from comparisons.verification.report import REFERENCE_BLAME

__all__ = ["FORMAT_HELP", "MAX_ELEMENTS", "batch_cases", "check_min_batch", "checked_reference",
           "custom_spec", "parse_shapes"]

def check_min_batch(min_batch: Any) -> int:
    """``MIN_BATCH`` as an int in [1, MAX_ELEMENTS]; ValueError (one line) otherwise."""
    if (isinstance(min_batch, bool) or not isinstance(min_batch, int | np.integer)
            or not 1 <= min_batch <= MAX_ELEMENTS):
        raise ValueError(f"MIN_BATCH: expected a positive int (the smallest batch N tried), "
                         f"got {min_batch!r}")
    return int(min_batch)


def _is_prime(n: int) -> bool:
    return n > 1 and all(n % k for k in range(2, math.isqrt(n) + 1))


def batch_cases(min_batch: int = 1) -> tuple[Case, ...]:
    """N = 1 and 5; with ``min_batch`` m >= 2: N = m and the smallest prime >= 5 above m."""
    if min_batch == 1:
        return Case("N=1", {BATCH: 1}), Case("odd batch N=5", {BATCH: 5})
    odd = next(n for n in range(max(min_batch + 1, 5), 2 * min_batch + 6) if _is_prime(n))
    return (Case(f"N={min_batch} (MIN_BATCH)", {BATCH: min_batch}),
            Case(f"odd batch N={odd}", {BATCH: odd}))


def _concrete(shape: tuple[int | str, ...], n: int | None) -> tuple[int, ...]:
    return tuple(int(n if d == BATCH else d) for d in shape)  # type: ignore[arg-type]


def check_sizes(parsed: Mapping[str, Entry], cases: Sequence[Case]) -> None:
    """Refuse an input above MAX_ELEMENTS elements in any case, before anything is drawn."""
    n = max((c.dims.get(BATCH, 1) for c in cases), default=1)
    for name, e in parsed.items():
        size = math.prod(_concrete(e.shape, n))
        if e.kind != CONST and size > MAX_ELEMENTS:
            at = f" at N = {n}" if BATCH in e.shape else ""
            raise ValueError(f"SHAPES[{name!r}]: expected at most MAX_ELEMENTS = "
                             f"{MAX_ELEMENTS:,} elements per input, got {e.shape} = "
                             f"{size:,}{at}")


def _make_inputs(parsed: dict[str, Entry]
                 ) -> Callable[[np.random.Generator, Case, np.dtype], Inputs]:
    def make(rng: np.random.Generator, case: Case, dtype: np.dtype) -> Inputs:
        out: Inputs = {}
        for name, e in parsed.items():
            shape = _concrete(e.shape, case.dims.get(BATCH))
            if e.kind == INT:
                out[name] = np.asarray(rng.integers(0, e.high, size=shape), dtype=np.int64)
            elif e.kind == CONST:
                out[name] = e.value  # never reaches user code: each call gets a deep copy
            else:
                out[name] = rng.standard_normal(shape).astype(dtype)
        return out

    return make


def _fresh(args: tuple[Any, ...], consts: frozenset[int]) -> list[Any]:
    return [copy.deepcopy(a) if i in consts else a for i, a in enumerate(args)]


def with_fresh_constants(fn: Callable[..., Any], consts: frozenset[int]) -> Callable[..., Any]:
    """``fn`` called with a deep copy of each constant argument (positions ``consts``)."""
    if not consts:
        return fn

    def call(*args: Any) -> Any:
        try:
            return fn(*_fresh(args, consts))
        except Exception as exc:  # the user's code may raise anything; drop this frame
            raise UserCodeError("your forward", user_traceback(exc)) from exc

    return call


def _hint(n: int | None) -> str:
    if n != 1:
        return ""
    return (" Hint: at N = 1 a statistic over the batch (a mean or variance over N, batch norm)"
            " has a single row; if your layer needs a batch, set MIN_BATCH = 2 next to SHAPES"
            " (min_batch=2 in verify).")


def _non_finite(out: Any) -> bool:
    try:
        return not bool(out.detach().isfinite().all())
    except Exception:  # not a tensor: autograd's own check says so afterwards
        return False


def _batch_size(args: tuple[Any, ...], batched: list[tuple[int, int]]) -> int | None:
    """N in this call: the batch axis of the first input that has one (None: no batch)."""
    if not batched:
        return None
    (i, axis) = batched[0]
    shape = getattr(args[i], "shape", None) if i < len(args) else None
    return int(shape[axis]) if shape is not None and axis < len(shape) else None


def checked_reference(reference: Callable[..., Any], parsed: dict[str, Entry]
                      ) -> Callable[..., Any]:
    """``reference`` with fresh constants whose failure (exception, NaN/Inf) is its own."""
    names = list(parsed)
    consts = frozenset(i for i, k in enumerate(names) if parsed[k].kind == CONST)
    batched = [(i, parsed[k].shape.index(BATCH)) for i, k in enumerate(names)
               if BATCH in parsed[k].shape]

    def call(*args: Any) -> Any:
        n = _batch_size(args, batched)
        at = f" (case N={n})" if n is not None else ""
        try:
            out = reference(*_fresh(args, consts))
        except Exception as exc:  # the user's reference (torch included) may raise anything
            name = " ".join(type(exc).__name__.split())
            summary = (f"your reference raised {name}{at}: {REFERENCE_BLAME}; the check could "
                       f"not be completed.{_hint(n)}")
            raise UserCodeError("your reference", f"{summary}\n{user_traceback(exc)}") from exc
        if _non_finite(out):
            raise UserCodeError("your reference", f"your reference returned NaN or Inf{at}: "
                                f"{REFERENCE_BLAME} (the inputs are drawn from N(0, 1)); the "
                                f"check could not be completed.{_hint(n)}",
                                "returned NaN or Inf")
        return out

    return call


def custom_spec(name: str, forward: Callable[..., Any], backward: Callable[..., Any],
                reference: Callable[..., Any], shapes: Any, nondiff: Sequence[str] = (),
                min_batch: Any = None) -> OpSpec:
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
    diff = tuple(k for k, e in parsed.items() if e.kind == FLOAT and k not in nondiff)
    if not diff:
        raise ValueError("NONDIFF: no float input is differentiable (int and const inputs "
                         "never are); nothing to verify")
    batched = any(BATCH in e.shape for e in parsed.values())
    if min_batch is not None and not batched:
        raise ValueError(f'MIN_BATCH: expected a batch dim "N" in SHAPES, got MIN_BATCH = '
                         f'{min_batch!r} and no "N"')
    smallest = 1 if min_batch is None else check_min_batch(min_batch)
    cases = batch_cases(smallest) if batched else (Case("as given", {}),)
    check_sizes(parsed, cases)
    consts = frozenset(i for i, e in enumerate(parsed.values()) if e.kind == CONST)
    grads = tuple(f"d{k}" for k in diff)
    args = ", ".join(parsed)
    returns = grads[0] if len(grads) == 1 else f"({', '.join(grads)})"
    return OpSpec(
        name, with_fresh_constants(forward, consts), backward,
        checked_reference(reference, parsed), tuple(parsed), diff, grads, _make_inputs(parsed),
        cases, signature=f"forward({args}) -> (out, cache); backward(dout, cache) -> {returns}",
        convention="custom layer: the truth is torch autograd of reference(" + args + ")")
