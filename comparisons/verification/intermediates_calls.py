"""The two calls into a named-intermediates file ("backprop ninja"), and nothing else of it.

:func:`compute_truth` runs the file's ``forward()`` (no arguments; it builds its own seeded
parameters and data) and takes autograd's gradient of the loss with respect to every named
tensor that requires grad; :func:`student_gradients` runs the file's ``backward(tensors)`` on
detached copies of the named tensors and returns what it returned. Both return plain data
(NumPy arrays, copies of tensors, strings) and every call into the file goes through
:func:`~comparisons.verification.guard.guarded`, so each can later run in a child process.

Conventions of ``forward()``: it returns a dict ``name -> torch tensor`` in the order the
tensors were computed, parameters included (plain numbers allowed too, e.g. ``n``, passed on to
``backward`` unchanged); the entry ``"loss"``, else the last entry, is the loss: a floating
tensor of one element with a graph. Anything else is a usage problem (:class:`UsageError`, one
line naming ``forward()``). The truth is ``torch.autograd.grad(loss, named tensors,
allow_unused=True)`` (a tensor the loss does not use has gradient 0): for an intermediate it is
the total derivative, every path summed, exactly what ``retain_grad()`` then ``backward()``
gives, without accumulating into the ``.grad`` of leaves a file may keep between calls.

``promote=True`` reruns a float32 file in float64 at the same point: while the file's code
runs, every float32 tensor that a torch call returns is promoted to float64
(:class:`PromoteToFloat64`, a ``TorchFunctionMode``). The random draws are the same (made in
float32 by the file's own seeded generator, then promoted exactly; setting torch's default
dtype instead would draw different numbers), and everything computed from them is computed in
float64, the student's ``backward`` included.
"""

from __future__ import annotations

import copy
import inspect
import numbers
from collections.abc import Callable, Mapping
from contextlib import nullcontext
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from numpy.typing import NDArray
from torch.overrides import TorchFunctionMode

from comparisons.core.errors import UsageError
from comparisons.verification.guard import (
    StructureError,
    UserCodeError,
    contained,
    error_text,
    guarded,
)
from comparisons.verification.named_graph import named_order

F64 = NDArray[np.float64]
PRECISIONS = {torch.float32: "float32", torch.float64: "float64"}


@dataclass(frozen=True)
class Truth:
    """Autograd's answer for one run of ``forward()``.

    ``tensors``: name -> (value, dL/dname) as float64 NumPy arrays, for each named tensor that
    requires grad; ``order``: those names, loss first, in reverse topological order of
    autograd's graph; ``deps``: name -> the named tensors its gradient is computed from
    (:mod:`comparisons.verification.named_graph`); ``inputs``: every entry of the dict,
    detached copies (what ``backward`` receives); ``dtype``: ``"float32"`` when any named
    differentiable tensor is float32, else ``"float64"``; ``dtypes``: each one's dtype name;
    ``ops``: each one's ``grad_fn`` class name (``"TanhBackward0"``), ``"leaf"`` for a leaf.
    """

    loss: str
    tensors: dict[str, tuple[F64, F64]]
    order: list[str]
    deps: dict[str, list[str]]
    inputs: dict[str, Any]
    dtype: str
    dtypes: dict[str, str]
    ops: dict[str, str] = field(default_factory=dict)


def promote(value: Any) -> Any:
    """A float32 tensor as float64 (tuples of results too); anything else unchanged."""
    if isinstance(value, torch.Tensor) and value.dtype == torch.float32:
        return value.to(torch.float64)
    if isinstance(value, (tuple, list)) and any(
            isinstance(v, torch.Tensor) and v.dtype == torch.float32 for v in value):
        try:
            return type(value)([promote(v) for v in value])  # tuple, list, torch.return_types
        except TypeError:  # a named tuple of another kind: left as it is
            return value
    return value


class PromoteToFloat64(TorchFunctionMode):
    """While active, every float32 tensor a torch function or method returns is float64."""

    def __torch_function__(self, func: Any, types: Any, args: Any = (),
                           kwargs: Any = None) -> Any:
        return promote(func(*args, **(kwargs or {})))


def _mode(promoted: bool) -> Any:
    return PromoteToFloat64() if promoted else nullcontext()


def copies(entries: Mapping[str, Any]) -> dict[str, Any]:
    """Detached copies of the tensors, deep copies of the numbers."""
    return {n: v.detach().clone() if isinstance(v, torch.Tensor) else copy.deepcopy(v)
            for n, v in entries.items()}


def _entries(returned: Any) -> dict[str, Any]:
    if not isinstance(returned, Mapping):
        raise UsageError(f"forward(): expected it to return a dict of named tensors, got "
                         f"{type(returned).__name__}")
    entries = guarded(dict, "your forward (its returned dict)")(returned)
    bad = [k for k, v in entries.items() if not isinstance(k, str)
           or not isinstance(v, torch.Tensor | numbers.Number)]
    if not entries or bad:
        what = f"entry {bad[0]!r} is a {type(entries[bad[0]]).__name__}" if bad else "it is empty"
        raise UsageError(f"forward(): expected a dict of str -> torch tensor (or number), "
                         f"but {what}")
    return entries


def loss_name(entries: Mapping[str, Any]) -> str:
    """``"loss"`` if present, else the last name; UsageError unless it is a scalar with a graph."""
    name = "loss" if "loss" in entries else list(entries)[-1]
    t = entries[name]
    if not isinstance(t, torch.Tensor):
        got = f"a {type(t).__name__}"
    elif t.numel() != 1 or not t.is_floating_point():
        got = f"a {t.dtype} tensor of shape {tuple(t.shape)}"
    elif not t.requires_grad:
        got = "a scalar that does not require grad (no leaf with requires_grad=True reaches it)"
    else:
        return name
    raise UsageError(f"forward(): expected the loss (the entry 'loss', else the last: "
                     f"{name!r}) to be a scalar tensor with a graph, got {got}")


def _differentiable(entries: Mapping[str, Any]) -> dict[str, torch.Tensor]:
    found = {n: t for n, t in entries.items()
             if isinstance(t, torch.Tensor) and t.is_floating_point() and t.requires_grad}
    odd = [f"{n} ({t.dtype})" for n, t in found.items() if t.dtype not in PRECISIONS]
    if odd:
        raise UsageError(f"forward(): expected float32 or float64 tensors, got {odd[0]}")
    return found


def as_f64(t: torch.Tensor) -> F64:
    """A float64 NumPy copy of ``t``."""
    return np.array(t.detach().cpu().to(torch.float64).numpy(), dtype=np.float64)


def compute_truth(forward: Callable[[], Any], *, promoted: bool = False) -> Truth:
    """Run ``forward()`` and take autograd's gradients of its named tensors (module docstring).

    A raise or exit in the file's code is a ``UserCodeError``; a dict of the wrong shape, or
    a loss that is no scalar with a graph, a ``UsageError``.
    """
    with _mode(promoted):
        returned = guarded(forward, "your forward")()
    entries = _entries(returned)
    loss = loss_name(entries)
    named = _differentiable(entries)
    order, deps = named_order(named, loss)
    targets = list(named.values())
    grads = guarded(torch.autograd.grad, "autograd on your forward's graph")(
        entries[loss], targets, allow_unused=True)
    tensors = {n: (as_f64(t), as_f64(g) if g is not None else np.zeros(t.shape))
               for (n, t), g in zip(named.items(), grads)}
    dtypes = {n: PRECISIONS[t.dtype] for n, t in named.items()}
    dtype = "float32" if "float32" in dtypes.values() else "float64"
    ops = {n: "leaf" if t.grad_fn is None else type(t.grad_fn).__name__ for n, t in named.items()}
    return Truth(loss, tensors, order, deps, copies(entries), dtype, dtypes, ops)


def student_gradients(backward: Callable[[dict[str, Any]], Any], inputs: Mapping[str, Any],
                      *, promoted: bool = False) -> dict[str, Any]:
    """``backward(copies of inputs)``: the dict it returned (``"d" + name -> gradient``).

    StructureError when it is no dict with string keys; its values are not looked at here.
    """
    with _mode(promoted):
        returned = guarded(backward, "your backward")(copies(inputs))
    if not isinstance(returned, Mapping):
        raise StructureError(f"your backward returned {type(returned).__name__}: expected a "
                             f"dict {{'d' + name: gradient}} such as {{'dlogprobs': ...}}")
    grads = guarded(dict, "your backward (its returned dict)")(returned)
    bad = [k for k in grads if not isinstance(k, str)]
    if bad:
        raise StructureError(f"your backward returned a dict with key {bad[0]!r}: expected "
                             f"'d' + the name of a tensor, such as 'dlogprobs'")
    return grads


def check_no_arguments(forward: Callable[..., Any]) -> None:
    """UsageError when ``forward`` needs arguments (it must build its own parameters and data);
    a signature Python cannot read is let through (the call will tell)."""
    try:
        params = inspect.signature(forward).parameters.values()
    except (TypeError, ValueError):
        return
    needed = [p.name for p in params if p.default is p.empty
              and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)]
    if needed:
        raise UsageError(f"forward: expected a function of no arguments that builds its own "
                         f"seeded parameters and data, got forward({', '.join(needed)})")


def truth_reply(forward: Callable[[], Any], promoted: bool) -> dict[str, Any]:
    """:func:`compute_truth` as plain data, for the sandbox's child to send:
    ``{"truth": {field: value}}`` (``tensors`` as name -> [value, gradient]), or
    ``{"usage": message}`` / ``{"error": error_text}``; never raises."""
    try:
        check_no_arguments(forward)
        t = contained(compute_truth)(forward, promoted=promoted)
    except UsageError as exc:
        return {"usage": str(exc)}
    except (UserCodeError, StructureError) as exc:
        return {"error": error_text(exc)}
    return {"truth": {"loss": t.loss, "tensors": {n: [v, g] for n, (v, g) in t.tensors.items()},
                      "order": t.order, "deps": t.deps, "inputs": t.inputs, "dtype": t.dtype,
                      "dtypes": t.dtypes, "ops": t.ops}}


def truth_from(data: Mapping[str, Any]) -> Truth:
    """The :class:`Truth` of :func:`truth_reply`'s ``"truth"``; TypeError, ValueError,
    KeyError or AttributeError when it is not that shape."""
    tensors = {str(n): (np.asarray(v, dtype=np.float64), np.asarray(g, dtype=np.float64))
               for n, (v, g) in dict(data["tensors"]).items()}
    return Truth(str(data["loss"]), tensors, [str(n) for n in data["order"]],
                 {str(k): [str(d) for d in v] for k, v in dict(data["deps"]).items()},
                 dict(data["inputs"]), str(data["dtype"]),
                 {str(k): str(v) for k, v in dict(data["dtypes"]).items()},
                 {str(k): str(v) for k, v in dict(data["ops"]).items()})


def gradients_reply(backward: Callable[[dict[str, Any]], Any], inputs: Mapping[str, Any],
                    promoted: bool) -> dict[str, Any]:
    """:func:`student_gradients` as plain data: ``{"grads": dict}`` or ``{"error": text}``."""
    try:
        return {"grads": contained(student_gradients)(backward, inputs, promoted=promoted)}
    except (UserCodeError, StructureError) as exc:
        return {"error": error_text(exc)}
