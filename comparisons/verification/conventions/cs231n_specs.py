"""CS231n's ``layers.py`` pairs as :class:`~comparisons.core.ops.OpSpec` s the harness runs.

Each builder takes the student's (already guarded) functions and returns the spec of a
built-in op whose forward/backward call them with the course's signatures, so the op's
cases, torch reference, kinks and usual-mistake candidates apply unchanged:

* ``relu_forward(x)``: the ``relu`` op as is.
* ``softmax_loss(x, y) -> (loss, dx)``, ``svm_loss``: ``softmax_cross_entropy`` and
  ``multiclass_hinge``; the loss is the forward value, the ``dx`` of the same call is the
  cache, and the backward returns ``dloss · dx`` (mean over N, integer labels, margin 1).
* ``dropout_forward(x, {"p": KEEP probability, "mode": "train", "seed": s})``: the
  ``dropout`` op (whose p is torch's DROP probability: the student gets 1 − p); the mask is
  the student's own, recovered from their out (kept where out ≠ 0, x has no zeros), and the
  same seed must give the same mask on every call.
* ``batchnorm_forward(x, gamma, beta, {"mode": "train", "eps": 1e-5, "momentum": 0.9})``,
  ``layernorm_forward(x, gamma, beta, {"eps": 1e-5})``: ``batchnorm`` / ``layernorm``.
* ``conv_forward_naive(x, w, b, {"stride", "pad"})``, ``max_pool_forward_naive(x,
  {"pool_height", "pool_width", "stride"})``: ``conv2d`` / ``maxpool2d``, in cases where
  (H + 2·pad − HH) / stride is a whole number (the assignment's assumption, which students
  often assert; the pool's tied-maxima case is cut to fit) and a pool's stride is the same
  along both axes.
* ``affine_forward(x, w, b)``: an op of its own, ``affine``: x (N, d_1, ..., d_k) flattened
  to (N, D), **w (D, M)** (the transpose of torch's), out = x_flat w + b, and dx in x's
  original shape; its cases include a 4-D x.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from typing import Any

import numpy as np
import torch

from comparisons.core.builtin_ops import get_op
from comparisons.core.opdecl import upstream_equation
from comparisons.core.ops import Case, Inputs, OpSpec
from comparisons.verification.guard import UserCodeError

Fn = Callable[..., Any]
BN_EPS = 1e-5
"""``bn_param["eps"]`` / ``ln_param["eps"]`` given to the student: the built-in ops' eps."""
BN_MOMENTUM = 0.9
"""``bn_param["momentum"]`` given to the student (the course's default)."""
DROPOUT_SEED = 231
"""``dropout_param["seed"]`` given to the student: the same mask on every call."""

AFFINE_CASES = (
    Case("2-D x, D != M", {"N": 5, "d1": 7, "M": 3}),
    Case("4-D x (N, C, H, W)", {"N": 3, "d1": 2, "d2": 4, "d3": 5, "M": 7}),
    Case("N=1, 3-D x", {"N": 1, "d1": 3, "d2": 4, "M": 5}),
    Case("square w", {"N": 4, "d1": 3, "M": 3}),
)
CONV_CASES = (
    Case("stride 2, pad 1", {"N": 2, "C": 3, "H": 5, "W": 7, "F": 4, "KH": 3, "KW": 3,
                             "stride": 2, "padding": 1}),
    Case("N=1, non-square kernel", {"N": 1, "C": 2, "H": 6, "W": 5, "F": 3, "KH": 3, "KW": 2,
                                    "stride": 1, "padding": 0}),
    Case("stride 3, pad 2", {"N": 3, "C": 2, "H": 7, "W": 10, "F": 5, "KH": 2, "KW": 2,
                             "stride": 3, "padding": 2}),
)
POOL_CASES = (
    Case("overlapping windows (stride 2 < pool 3)",
         {"N": 2, "C": 3, "H": 7, "W": 9, "KH": 3, "KW": 3, "SH": 2, "SW": 2}),
    Case("N=1, non-square pool", {"N": 1, "C": 2, "H": 6, "W": 8, "KH": 2, "KW": 4,
                                  "SH": 2, "SW": 2}),
    Case("2x2 pool, stride 2", {"N": 3, "C": 2, "H": 4, "W": 6, "KH": 2, "KW": 2,
                                "SH": 2, "SW": 2}),
)


def wrong_structure(name: str, sentence: str) -> UserCodeError:
    """The student's ``name`` returned what the convention does not allow (one sentence).

    A :class:`UserCodeError`, not a ``StructureError``: raised inside the spec's forward,
    which the runner wraps in ``guarded``, it reaches the report as it is."""
    return UserCodeError(f"your {name}", sentence, "returned the wrong structure")


def pair_result(result: Any, name: str, second: str = "cache") -> tuple[Any, Any]:
    """``result`` as a 2-tuple, else :func:`wrong_structure` naming the function."""
    if not isinstance(result, tuple) or len(result) != 2:
        first = "loss" if second == "dx" else "out"
        raise wrong_structure(name, f"your {name} returned {type(result).__name__}; expected "
                                    f"a tuple ({first}, {second})")
    return result


def relu_spec(forward: Fn, backward: Fn) -> OpSpec:
    """``relu_forward(x) -> (out, cache)``, ``relu_backward(dout, cache) -> dx``."""
    return dataclasses.replace(get_op("relu"), forward=forward, backward=backward)


def loss_spec(op: str, loss: Fn, name: str) -> OpSpec:
    """``loss(x, y) -> (loss, dx)`` as the built-in scalar ``op``: the cache is dx."""

    def forward(x: Any, y: Any) -> tuple[Any, Any]:
        return pair_result(loss(x, y), name, second="dx")

    def backward(dloss: Any, dx: Any) -> Any:
        try:
            arr = np.asarray(dx)
        except Exception:  # a ragged list, an object without __array__...
            return dx
        if not np.issubdtype(arr.dtype, np.number) or arr.dtype == np.bool_:
            return dx  # not an array: judged (and named) as the returned gradient
        return arr * np.asarray(dloss, dtype=arr.dtype)

    return dataclasses.replace(get_op(op), forward=forward, backward=backward)


def dropout_param(p_drop: float, mode: str = "train") -> dict[str, Any]:
    """The course's dropout_param for torch's drop probability ``p_drop``."""
    return {"p": 1.0 - float(p_drop), "mode": mode, "seed": DROPOUT_SEED}


def kept_units(out: Any, name: str) -> np.ndarray:
    """Where the student's out is nonzero (x has no exact zeros): the units kept."""
    try:
        return np.asarray(out, dtype=np.float64) != 0
    except (TypeError, ValueError):
        raise wrong_structure(name, f"your {name} returned out = {type(out).__name__}; "
                                    f"expected an array") from None


def dropout_spec(forward: Fn, backward: Fn, name: str = "dropout_forward") -> OpSpec:
    """``dropout_forward(x, dropout_param)``; the mask is the student's, read from out."""
    base = get_op("dropout")

    def make_inputs(rng: np.random.Generator, case: Case, dt: np.dtype) -> Inputs:
        inputs = base.make_inputs(rng, case, dt)
        out, _ = pair_result(forward(inputs["x"].copy(), dropout_param(inputs["p"])), name)
        return {**inputs, "mask": kept_units(out, name)}

    def user_forward(x: Any, p: float, *, mask: Any) -> tuple[Any, Any]:
        out, cache = pair_result(forward(x, dropout_param(p)), name)
        kept = kept_units(out, name)
        if kept.shape != np.shape(mask) or not np.array_equal(kept, mask):
            raise wrong_structure(name,
                f"your {name} kept different units on two calls with the same "
                f"dropout_param['seed'] = {DROPOUT_SEED}: when a seed is given, call "
                f"np.random.seed(dropout_param['seed']) before drawing the mask")
        return out, cache

    return dataclasses.replace(base, forward=user_forward, backward=backward,
                               make_inputs=make_inputs)


def carry_perturbed(user_forward: Fn, forward: Fn,
                    call: Callable[[list[Any], dict[str, Any]], tuple[list[Any], dict[str, Any]]]
                    ) -> Fn:
    """``user_forward`` offering the student's ``forward.perturbed`` (a sandbox's batched
    finite differences, see :func:`comparisons.core.ops.indexed_objective`) when it has one:
    ``call(args, kwargs)`` gives the student's arguments, the perturbed input staying at its
    position. The same outs as calling ``user_forward`` element by element."""
    perturbed = getattr(forward, "perturbed", None)
    if perturbed is not None:
        def run(args: list[Any], kwargs: dict[str, Any], where: int | str, x64: Any, idx: Any,
                offsets: Any) -> list[Any]:
            a, k = call(list(args), dict(kwargs))
            return list(perturbed(a, k, where, x64, idx, offsets))

        user_forward.perturbed = run  # type: ignore[attr-defined]
    return user_forward


def bn_param(mode: str = "train") -> dict[str, Any]:
    """A fresh bn_param without running statistics (the student starts them at zeros)."""
    return {"mode": mode, "eps": BN_EPS, "momentum": BN_MOMENTUM}


def norm_spec(op: str, forward: Fn, backward: Fn) -> OpSpec:
    """``batchnorm_forward`` / ``layernorm_forward(x, gamma, beta, param)``, training mode."""

    def param() -> dict[str, Any]:
        return bn_param() if op == "batchnorm" else {"eps": BN_EPS}

    def user_forward(x: Any, gamma: Any, beta: Any) -> Any:
        return forward(x, gamma, beta, param())

    batched = carry_perturbed(user_forward, forward, lambda a, k: ([*a, param()], k))
    return dataclasses.replace(get_op(op), forward=batched, backward=backward)


def conv_spec(forward: Fn, backward: Fn) -> OpSpec:
    """``conv_forward_naive(x, w, b, conv_param)``, w (F, C, HH, WW) as torch's."""

    def user_forward(x: Any, w: Any, b: Any, *, stride: int, padding: int) -> Any:
        return forward(x, w, b, {"stride": stride, "pad": padding})

    batched = carry_perturbed(user_forward, forward, lambda a, k: (
        [*a, {"stride": k["stride"], "pad": k["padding"]}], {}))
    return dataclasses.replace(get_op("conv2d"), forward=batched, backward=backward,
                               cases=CONV_CASES)


def pool_spec(forward: Fn, backward: Fn) -> OpSpec:
    """``max_pool_forward_naive(x, pool_param)``: one stride for both axes."""

    def param(kernel_size: tuple[int, int], stride: tuple[int, int]) -> dict[str, Any]:
        return {"pool_height": kernel_size[0], "pool_width": kernel_size[1],
                "stride": stride[0]}

    def user_forward(x: Any, kernel_size: tuple[int, int], stride: tuple[int, int]) -> Any:
        return forward(x, param(kernel_size, stride))

    def call(a: list[Any], k: dict[str, Any]) -> tuple[list[Any], dict[str, Any]]:
        given = dict(zip(("x", "kernel_size", "stride"), a)) | k
        return [given["x"], param(given["kernel_size"], given["stride"])], {}

    user_forward = carry_perturbed(user_forward, forward, call)
    base = get_op("maxpool2d")

    def make_inputs(rng: np.random.Generator, case: Case, dt: np.dtype) -> Inputs:
        return base.make_inputs(rng, Case(case.label, evenly_pooled(case.dims)), dt)

    return dataclasses.replace(base, forward=user_forward, backward=backward, cases=POOL_CASES,
                               make_inputs=make_inputs)


def evenly_pooled(dims: Any) -> dict[str, int]:
    """A pool case's sizes with H and W cut so that every window fits, (H − KH) % S = 0
    (the assignment's assumption; the op's own tied-maxima case leaves rows uncovered)."""
    out = dict(dims)
    for size, kernel, stride in (("H", "KH", "SH"), ("W", "KW", "SW")):
        out[size] -= (out[size] - out[kernel]) % out[stride]
    return out


def affine_reference(x: torch.Tensor, w: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """out = x.reshape(N, D) @ w + b, w (D, M)."""
    return x.reshape(x.shape[0], -1) @ w + b


def x_shape(dims: Any) -> tuple[int, ...]:
    """x's shape in an affine case: (N, d1, ..., dk)."""
    return (dims["N"], *(dims[k] for k in ("d1", "d2", "d3") if k in dims))


def affine_inputs(rng: np.random.Generator, case: Case, dt: np.dtype) -> Inputs:
    """x (N, d_1, ..., d_k), w (D, M), b (M,), standard normal in ``dt``."""
    shape = x_shape(case.dims)
    d, m = math.prod(shape[1:]), case.dims["M"]
    return {"x": rng.standard_normal(shape).astype(dt),
            "w": rng.standard_normal((d, m)).astype(dt),
            "b": rng.standard_normal(m).astype(dt)}


def affine_spec(forward: Fn, backward: Fn) -> OpSpec:
    """``affine_forward(x, w, b) -> (out, cache)``, ``affine_backward -> (dx, dw, db)``."""
    return OpSpec(
        "affine", forward, backward, affine_reference, ("x", "w", "b"), ("x", "w", "b"),
        ("dx", "dw", "db"), affine_inputs, AFFINE_CASES,
        signature="affine_forward(x, w, b) -> (out, cache); affine_backward(dout, cache) -> "
                  "(dx, dw, db)",
        convention="CS231n: out = x_flat w + b, x: (N, d_1, ..., d_k), x_flat = x.reshape(N, "
                   "D), w: (D, M), b: (M,); dx has x's shape (N, d_1, ..., d_k); dout is the "
                   "upstream gradient, same shape as out",
        equations={"dx": upstream_equation("dx = (dout wᵀ).reshape(x.shape)"),
                   "dw": upstream_equation("dw = x_flatᵀ dout, x_flat = x.reshape(N, D)"),
                   "db": upstream_equation("db = Σₙ dout[n]")})
