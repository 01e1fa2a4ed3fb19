"""Per-student variants: the same op checked on a student's own case sizes, hyper-parameters
and inputs, so a neighbour's printed numbers are not this student's answers.

A :class:`Variant` is derived from ``(variant_seed, student)`` by :func:`derive_variant`
with SHA-256 (never Python's ``hash()``, which changes per process): the same pair gives the
same variant on every machine and run, and so bit-identical reports. It holds

* ``seed``: the student's input seed (:meth:`Variant.input_seed` mixes it with an item's);
* ``shapes``: the key of the student's case sizes (:func:`varied_dims`);
* ``activation``: φ, the elementwise activation a rubric item ``op = "activation"`` asks the
  student to implement (one of the "activation" family);
* ``params``: one value per scalar hyper-parameter an op's declaration takes as an input
  (:data:`HYPER`: two_layer's and l2_penalty's ``lam``, dropout's ``p``), and per constant
  a variant passes as a keyword input (:data:`KEYWORD`: leaky_relu's ``negative_slope``,
  multiclass_hinge's ``margin``: under a variant the forward is called with it, without one
  as shipped, ``forward(x)``);
* ``bias``: with or without its bias, for a rubric item ``bias = "variant"`` of an op of
  :data:`NO_BIAS` (linear: ``forward(x, W)``, out = x Wᵀ; conv2d: ``forward(x, W, *,
  stride, padding)``; gradients dx, dW). See :mod:`comparisons.verification.variant_ops`.

What varies per kind of rubric item: an op item (``op = ...``) gets all of the above that its
op has (φ for ``op = "activation"``, the bias for ``bias = "variant"``); a lab item's checks
that verify against a built-in op (a plain ``comparisons.verify`` check, and lab 7's node_mu
check run in the grader) get the case sizes, the inputs and the :data:`HYPER` values (the
notebook's functions receive lam and p as arguments), never φ, the bias or a :data:`KEYWORD`
input, which the notebook's text fixes (lab 6 derives sigmoid, lab 1's linear has b; no
shipped lab checks leaky_relu or multiclass_hinge, which tests/test_variants_labs.py keeps
true); its other checks (``check_value``, a custom op with the lab's own reference) use the
notebook's own inputs, the same for everyone; a convention item (CS231n's files) gets its
inputs only (the convention's specs are not resolved through :func:`active_spec`: their
sizes and hyper-parameters are the course's).

:func:`varied_spec` gives an op's :class:`~comparisons.core.ops.OpSpec` with the variant's
cases and inputs; everything else (pair, reference, diagnosis, tolerances) is the op's own.
Case sizes keep the invariants the diagnosis relies on: a size of 1 or 2 stays (N = 1, batch
norm's N = 2, layer norm's D = 2), a size that is no odd prime stays, structure sizes stay
(:data:`FIXED_DIMS`: a convolution's or pool's spatial sizes, kernel, stride and padding,
which decide how windows tile; embedding's N and T: its idx holds u = N·T − max(1, N·T // 4)
distinct rows, and V, which only grows, stays above u, so rows repeat and some stay unused);
every other size is an odd prime at least as large as the shipped one, sizes that were equal
stay equal, distinct ones stay distinct and in the same order (so "D_out > D_in" holds and no
factor N, q, N·q can be confused), and none equals a size that is no odd prime (l2_penalty's
4) or, for :data:`APART`, a fixed one. Verify-only extra cases (exact
kinks, other layouts) keep their shipped sizes.

Plumbing: :func:`applied` makes a variant active in the calling thread (a
:class:`contextvars.ContextVar`; ``bias_varies``: the item's op loses its bias when the
variant's ``bias`` is off); while it is,
:func:`comparisons.verification.runner.resolve_spec` resolves a built-in op to
:func:`varied_spec` of it, so ``verify``, ``verify_file`` and
``verify_isolated`` (whose verdict is computed in this process) all check the variant. Without
an active variant nothing changes.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from comparisons.core.builtin_ops import ACTIVATIONS, DECLARATIONS
from comparisons.core.ops import Case, OpSpec
from comparisons.verification.variant_ops import KEYWORD, NO_BIAS, keyword_input, without_bias

__all__ = ["APART", "FIXED_DIMS", "HYPER", "KEYWORD", "NO_BIAS", "Variant", "active_spec",
           "applied", "derive_variant", "keyword_text", "pick", "variant_from_json", "varied_dims",
           "varied_spec", "without_bias"]

ODD_PRIMES = (3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41, 43, 47, 53, 59, 61, 67, 71)
REACH = 6
"""A varied size is a prime in [shipped, shipped + REACH] when the order allows one."""
FIXED_DIMS: Mapping[str, tuple[str, ...]] = {
    "conv2d": ("H", "W", "KH", "KW", "stride", "padding"),
    "maxpool2d": ("H", "W", "KH", "KW", "SH", "SW"),
    "embedding": ("N", "T"),
}
"""Sizes that stay as shipped: the structure of a case (how windows tile; repeated indices)."""
APART = ("embedding",)
"""Ops whose varied sizes also avoid their fixed ones (embedding's V, D ≠ N, T, as shipped; a
convolution's N, C, F may equal a spatial size, as in the shipped cases)."""
HYPER: Mapping[str, Mapping[str, tuple[float, ...]]] = {
    "l2_penalty": {"lam": (0.3, 0.13, 0.17, 0.37, 0.43, 0.7)},
    "dropout": {"p": (0.3, 0.27, 0.35, 0.4, 0.45)},
    "two_layer": {"lam": (0.1, 0.13, 0.17, 0.3, 0.37, 0.43)},
}
"""op -> scalar input -> the values a variant picks from (the first is the shipped one).
None is 1/k or k/m of small integers, 1/2 or a case size, so a factor (lam, 1/lam, p, 1 - p,
1/N) stays unambiguous."""


def pick(n: int, *parts: object) -> int:
    """A stable integer in [0, n) from ``parts`` (SHA-256 of their text)."""
    text = "\x1f".join(str(p) for p in parts)
    digest = hashlib.sha256(text.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") % n


@dataclass(frozen=True)
class Variant:
    """One student's variant (see the module docstring); plain JSON via :meth:`to_json`."""

    student: str
    variant_seed: int
    seed: int
    shapes: int
    activation: str
    params: tuple[tuple[str, str, float], ...] = ()
    bias: bool = True

    def input_seed(self, base: int) -> int:
        """The verify seed of an item whose rubric seed is ``base``."""
        return pick(2**31, "input seed", self.seed, base)

    def param(self, op: str, name: str) -> float | None:
        """The variant's value of ``op``'s input ``name`` (None: not varied)."""
        return next((v for o, n, v in self.params if (o, n) == (op, name)), None)

    def to_json(self) -> dict[str, Any]:
        """The variant as plain data (:func:`variant_from_json` reads it back)."""
        return {**dataclasses.asdict(self), "params": [list(p) for p in self.params]}


def variant_from_json(data: Mapping[str, Any]) -> Variant:
    """The :class:`Variant` of :meth:`Variant.to_json`."""
    params = tuple((str(o), str(n), float(v)) for o, n, v in data.get("params", ()))
    return Variant(str(data["student"]), int(data["variant_seed"]), int(data["seed"]),
                   int(data["shapes"]), str(data["activation"]), params,
                   bool(data.get("bias", True)))


def derive_variant(variant_seed: int, student: str) -> Variant:
    """The variant of ``student`` under ``variant_seed`` (an integer >= 0, else ValueError)."""
    if isinstance(variant_seed, bool) or not isinstance(variant_seed, int) or variant_seed < 0:
        raise ValueError(f"variant_seed: expected an integer >= 0, got {variant_seed!r}")
    if not isinstance(student, str) or not student:
        raise ValueError(f"student: expected a non-empty student id, got {student!r}")
    key = ("backprop-lab variant", variant_seed, student)
    hyper = [*((op, n, vs) for op, inputs in HYPER.items() for n, vs in inputs.items()),
             *((op, kw.name, kw.values) for op, kw in KEYWORD.items())]
    params = tuple((op, name, values[pick(len(values), *key, op, name)])
                   for op, name, values in hyper)
    return Variant(student, variant_seed, pick(2**31, *key, "seed"),
                   pick(2**31, *key, "shapes"),
                   ACTIVATIONS[pick(len(ACTIVATIONS), *key, "activation")], params,
                   pick(2, *key, "bias") == 1)


def _is_odd_prime(v: int) -> bool:
    return v in ODD_PRIMES


def varied_dims(op: str, index: int, dims: Mapping[str, int], shapes: int) -> dict[str, int]:
    """Case ``index`` of ``op`` with sizes ``dims``, resized under the key ``shapes``."""
    fixed = FIXED_DIMS.get(op, ())
    free = sorted({v for k, v in dims.items() if k not in fixed and _is_odd_prime(v)})
    taken = {v for k, v in dims.items() if (k in fixed and op in APART) or not _is_odd_prime(v)}
    new: dict[int, int] = {}
    previous = 2
    for v in free:
        allowed = [p for p in ODD_PRIMES if p > previous and p not in taken]
        window = [p for p in allowed if v <= p <= v + REACH] or allowed[:1]
        new[v] = previous = window[pick(len(window), "size", shapes, op, index, v)]
    return {k: new.get(v, v) if k not in fixed else v for k, v in dims.items()}


def varied_spec(spec: OpSpec, variant: Variant) -> OpSpec:
    """``spec`` (a built-in op's, its pair possibly replaced) with the variant's case sizes and
    hyper-parameters, and for an op of :data:`KEYWORD` its constant as a keyword input (the
    signature and convention saying the value); a spec of no built-in op is returned as is."""
    decl = DECLARATIONS.get(spec.name)
    if decl is None:
        return spec
    cases = tuple(Case(c.label, varied_dims(spec.name, i, c.dims, variant.shapes))
                  for i, c in enumerate(spec.cases))
    inputs = tuple(
        dataclasses.replace(i, value=variant.param(spec.name, i.name))
        if variant.param(spec.name, i.name) is not None else i for i in decl.inputs)
    value = variant.param(spec.name, KEYWORD[spec.name].name) if spec.name in KEYWORD else None
    if value is not None:  # the op's constant, passed by keyword
        spec, extra = keyword_input(spec, value)
        inputs = (*inputs, extra)
    return dataclasses.replace(spec, cases=cases,
                               make_inputs=dataclasses.replace(decl, inputs=inputs).make_inputs)


ACTIVE: ContextVar[tuple[Variant, bool] | None] = ContextVar("backprop_lab_variant",
                                                             default=None)
"""The variant verify resolves built-in ops under in this thread, and whether its ``bias``
applies (None: the shipped op)."""


@contextmanager
def applied(variant: Variant | None, *, bias_varies: bool = False) -> Iterator[None]:
    """Within the block, this thread's verify runs check ``variant`` (None: no change); with
    ``bias_varies``, an op of :data:`NO_BIAS` loses its bias when ``variant.bias`` is off."""
    token = ACTIVE.set(None if variant is None else (variant, bias_varies))
    try:
        yield
    finally:
        ACTIVE.reset(token)


def active_spec(spec: OpSpec) -> OpSpec:
    """``spec`` under the active variant (itself when none is active)."""
    active = ACTIVE.get()
    if active is None:
        return spec
    variant, bias_varies = active
    varied = varied_spec(spec, variant)
    if bias_varies and not variant.bias and spec.name in NO_BIAS:
        return without_bias(varied)
    return varied


def keyword_text(op: str, variant: Variant) -> str:
    """The constant ``op`` receives by keyword under ``variant`` ("; negative_slope = 0.07,
    passed by keyword"), or "" for an op of no :data:`KEYWORD` entry."""
    value = variant.param(op, KEYWORD[op].name) if op in KEYWORD else None
    return "" if value is None else f"; {KEYWORD[op].name} = {value:g}, passed by keyword"
