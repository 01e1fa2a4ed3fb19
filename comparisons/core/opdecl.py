"""An op declared once: :class:`OpDeclaration` holds everything the harness knows about a
built-in op, in keyword arguments, and every consumer reads it.

* ``backprop-lab check`` and ``verify`` run ``decl.spec`` (an :class:`~comparisons.core.ops.OpSpec`
  built from the declaration: the pair, the torch reference, the inputs and the cases);
* ``verify --list``, the docs and the diagnosis messages read ``signature``, ``convention``
  and ``equations``;
* ``verify``'s subgradient rule reads ``kinks`` (where the op is not differentiable, and the
  valid values there) and finite differences read ``untrusted`` (elements a step of h moves
  across a kink or clamp);
* ``verify``'s diagnosis reads ``mistakes`` (the op's usual mistakes: the fields of a
  ``DiagnosisContext`` for one gradient of one case) and ``kink_cases`` (verify-only cases
  with inputs exactly at a kink) and ``layout_cases`` (verify-only cases in a layout the
  declared shapes cannot express, such as embedding's 1-D idx); its upstream note (a λW term
  not multiplied by dJ) reads ``upstream_terms``.

The declarations live in one module per op family (``comparisons.core.ops_linear``,
``ops_activations``, ``ops_losses``, ``ops_regularization``, ``ops_network``);
``comparisons.core.builtin_ops`` collects them. This module is below all of them and below
``comparisons.verify``: it holds the data types both sides need (:class:`Input`, :class:`Kink`,
:class:`KinkRule`) and the phrases every convention and equation share.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

from comparisons.core.ops import Case, Inputs, OpSpec

F64 = NDArray[np.float64]
Untrusted = Callable[[Inputs, float], dict[str, NDArray[np.bool_]]]
Mistakes = Callable[[str, dict[str, Any], F64, dict[str, F64]], dict[str, Any]]
"""``mistakes(grad, inputs, dout, ref_grads)`` -> the ``DiagnosisContext`` fields of ``grad``."""
Drawer = Callable[[np.random.Generator, tuple[int, ...], np.dtype, Inputs], Any]
"""``draw(rng, shape, dtype, drawn_so_far)`` -> the value of one input."""

SHAPES_2D = (
    Case("non-square", {"N": 5, "D": 3}),
    Case("N=1", {"N": 1, "D": 3}),
    Case("odd batch", {"N": 7, "D": 5}),
)
DOUT = "dout is the upstream gradient, same shape as out"


@dataclass(frozen=True, kw_only=True)
class Input:
    """One input of an op: ``name``, ``shape`` in the case's symbols (``("N", "D")``) and how
    it is drawn.

    ``dtype``: ``"float"`` (the run's dtype), ``"int"`` (int64 in [0, dims[high])) or
    ``"const"`` (``value``, passed as is, or what ``draw`` reads from the case's sizes: conv2d's
    stride). ``grad``: the name of its gradient (``"dx"``) when it
    is differentiable, else None. ``keyword``: passed by keyword (dropout's ``mask``). A float
    is ``scale`` × standard normal, or uniform on ``uniform = (low, high)``; ``draw`` overrides
    both (e.g. a mask drawn from x's shape).
    """

    name: str
    shape: tuple[str, ...] = ()
    dtype: Literal["float", "int", "const"] = "float"
    grad: str | None = None
    keyword: bool = False
    scale: float = 1.0
    uniform: tuple[float, float] | None = None
    high: str | None = None
    value: Any = None
    draw: Drawer | None = None

    def sample(self, rng: np.random.Generator, dims: Mapping[str, int], dt: np.dtype,
               drawn: Inputs) -> Any:
        """This input's value in a case with sizes ``dims`` (draws from ``rng`` in order)."""
        shape = tuple(dims[s] for s in self.shape)
        if self.draw is not None:
            return self.draw(rng, shape, dt, drawn)
        if self.dtype == "const":
            return self.value
        if self.dtype == "int":
            return rng.integers(0, dims[self.high or ""], size=shape)
        if self.uniform is not None:
            return rng.uniform(*self.uniform, shape).astype(dt)
        return (self.scale * rng.standard_normal(shape)).astype(dt)


Consistent = Callable[[F64, float], NDArray[np.bool_]]
"""``consistent(user, bound)`` -> the kink elements whose group of values is valid."""


@dataclass(frozen=True)
class Kink:
    """The elements of gradient ``grad`` at a kink of ``function`` (e.g. relu at "x == 0").

    ``mask``: the kink elements; ``one``: the gradient on the slope-1 side (dout for ReLU);
    the valid values are t · one for t between ``low`` and 1 (``low`` = 0 for ReLU, the
    negative slope for leaky ReLU: the slope of the other side); ``one_is``: how ``one``
    reads ("dout"). ``consistent(user, bound)``, where the elements' values are tied together
    (a max pool's tied maxima share one dout: their split must sum to it), marks the elements
    whose group the user's values satisfy; only those are accepted.
    """

    grad: str
    where: str
    function: str
    mask: NDArray[np.bool_]
    one: F64
    one_is: str
    low: float = 0.0
    consistent: Consistent | None = None


Finder = Callable[[Inputs, F64, Mapping[str, F64]], list[Kink]]
Follower = Callable[[Inputs, Mapping[str, F64], Mapping[str, F64]], dict[str, F64]]


@dataclass(frozen=True)
class KinkRule:
    """An op's kinks: ``find(inputs, dout, ref)``; ``follow(inputs, ref, adjusted)`` recomputes
    the gradients computed from a kinked one (``equation`` says how) with the user's choice."""

    find: Finder
    follow: Follower | None = None
    equation: str = ""


KinkCase = tuple[Case, Callable[[Inputs], Inputs]]
"""A verify-only case: its sizes and the edit of its drawn inputs (some exactly at a kink, or
a layout the declared shapes cannot express)."""


@dataclass(frozen=True, kw_only=True)
class UpstreamTerm:
    """The two terms of a scalar objective's gradient dJ/dW = data term + lam W, for
    ``verify``'s note when one of them is not multiplied by the upstream gradient dJ.

    ``label``/``fix``: the λW term ("lam*W2") and the line that applies dJ to it; ``weight``:
    the input holding W; ``lam``: the input holding λ; ``data_label``/``data_fix``: the data
    term ("do.T @ h") and how to let it carry dJ.
    """

    label: str
    fix: str
    weight: str
    data_label: str
    data_fix: str
    lam: str = "lam"


@dataclass(frozen=True, kw_only=True)
class OpDeclaration:
    """One built-in op, declared once (see the module docstring for who reads what).

    ``family``: "linear", "activation", "loss", "regularization" or "network" (the graph's
    ``--activation`` choices are the "activation" family). ``inputs`` in the forward's
    argument order; ``grads`` defaults to the differentiable inputs' gradient names.
    ``intermediates``: extra gradients a dict-returning backward names (two_layer).
    ``upstream_terms``: gradient -> its :class:`UpstreamTerm` (a scalar objective with λW).
    ``output_shift``: the input added to the output last (batch/layer norm's β): a wrong
    forward whose rest is off by a factor (an n − 1 variance) is named from out − β.
    """

    name: str
    family: str
    forward: Callable[..., Any]
    backward: Callable[..., Any]
    reference: Callable[..., Any]
    inputs: tuple[Input, ...]
    cases: tuple[Case, ...]
    signature: str
    convention: str
    equations: Mapping[str, str]
    scalar_output: bool = False
    returns_dict: bool = False
    intermediates: tuple[str, ...] = ()
    untrusted: Untrusted | None = None
    kinks: KinkRule | None = None
    kink_cases: tuple[KinkCase, ...] = ()
    layout_cases: tuple[KinkCase, ...] = ()
    output_shift: str | None = None
    mistakes: Mistakes | None = None
    upstream_terms: Mapping[str, UpstreamTerm] = field(default_factory=dict)
    notes: str = ""

    @property
    def grads(self) -> tuple[str, ...]:
        """The backward's gradients of inputs, in input order (``("dx", "dW", "db")``)."""
        return tuple(i.grad for i in self.inputs if i.grad is not None)

    @cached_property
    def spec(self) -> OpSpec:
        """The :class:`OpSpec` the harness runs (one object per declaration)."""
        return OpSpec(
            name=self.name, forward=self.forward, backward=self.backward,
            reference=self.reference,
            positional=tuple(i.name for i in self.inputs if not i.keyword),
            differentiable=tuple(i.name for i in self.inputs if i.grad is not None),
            grads=self.grads, make_inputs=self.make_inputs, cases=self.cases,
            signature=self.signature, convention=self.convention,
            keywords=tuple(i.name for i in self.inputs if i.keyword),
            scalar_output=self.scalar_output, returns_dict=self.returns_dict,
            intermediates=self.intermediates, untrusted=self.untrusted,
            equations=self.equations)

    def make_inputs(self, rng: np.random.Generator, case: Case, dt: np.dtype) -> Inputs:
        """Seeded inputs of one case, drawn in input order."""
        drawn: Inputs = {}
        for i in self.inputs:
            drawn[i.name] = i.sample(rng, case.dims, dt, drawn)
        return drawn


def upstream_equation(formula: str) -> str:
    """An equation of a non-scalar op, with the meaning of dout."""
    return f"{formula} (dout: the upstream gradient, same shape as out)"


def unit_convention(arg: str, objective: str) -> str:
    """The upstream convention of a scalar objective, for its ``convention`` line."""
    return (f"{arg} = 1: the gradient of {objective} itself (a run at {arg} ≠ 1 notes any term "
            f"not multiplied by {arg})")


def at_unit(arg: str, equations: dict[str, str]) -> dict[str, str]:
    """Equations of a scalar objective, each stating the upstream value it holds at."""
    return {g: f"{formula} (with {arg} = 1)" for g, formula in equations.items()}


def as_f64(a: Any) -> F64:
    """``a`` as a float64 array."""
    return np.asarray(a, dtype=np.float64)


def every_third(inputs: Inputs, name: str, value: float) -> Inputs:
    """The inputs with every third element of ``name`` set to exactly ``value`` (a kink)."""
    arr = np.array(inputs[name])
    arr.reshape(-1)[::3] = value
    return {**inputs, name: arr}
