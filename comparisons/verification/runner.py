"""``verify``: run a user's forward/backward through every shape case and diagnose each gradient.

For each shape case of the op (the awkward shapes of ``BUILTIN_OPS``, plus verify-only cases
such as ReLU inputs with exact zeros), with seeded inputs:

1. the user's forward value against the reference (torch);
2. every returned gradient against torch autograd, through the diagnosis engine with the op's
   candidates (what the usual mistakes would give) and context;
3. every input gradient against central finite differences of the *user's* forward, with the
   elements where they cannot be trusted (a ReLU kink, the log-RMSE clamp) left out and counted.

Upstream convention: a scalar objective J (``spec.scalar_output``) gets dJ = 1 in every shape
case, so the gradient judged is dJ/dθ; one more case (:mod:`comparisons.verification.upstream`) runs
dJ = 1.7, where a term not multiplied by dJ passes with an ``upstream_not_applied`` note.
A non-scalar op gets a standard-normal dout, and a backward that ignores it is diagnosed
``upstream_ignored`` (the reference gradient with dout = ones is a candidate). When the user's
forward value is wrong, a gradient that matches finite differences of that forward is
``consistent_with_own_forward`` (:mod:`comparisons.verification.forward_diff`).

The user's code gets copies of the inputs (an in-place edit cannot corrupt the reference run);
any exception in it becomes ``report.error`` with its traceback. Same seed, same report.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from typing import Any

from comparisons.core.builtin_ops import BUILTIN_OPS, get_op
from comparisons.core.ops import OpSpec
from comparisons.verification.aggregate import build_report
from comparisons.verification.arguments import check_against, check_dtype, check_seed
from comparisons.verification.cases import CaseOutcome, cases_of, run_cases
from comparisons.verification.custom import custom_spec
from comparisons.verification.report import VerifyReport
from comparisons.verification.variants import active_spec

__all__ = ["CaseOutcome", "cases_of", "resolve_spec", "run_cases", "verify"]


def verify(forward: Callable[..., Any], backward: Callable[..., Any], against: str | None = None,
           *, dtype: str = "float64", seed: int = 0, reference: Callable[..., Any] | None = None,
           shapes: dict[str, Any] | None = None, nondiff: Sequence[str] = (),
           min_batch: int | None = None) -> VerifyReport:
    """Verify a hand-written ``forward``/``backward`` pair; returns a :class:`VerifyReport`.

    ``against``: a built-in op name (default ``"linear"``; see ``backprop-lab verify --list``),
    or, together with ``reference`` (a torch function) and ``shapes`` (input name -> shape
    tuple, ``"N"`` = batch dim; or ``("int", shape, high)``, ``("const", value)``: see
    :mod:`comparisons.verification.custom`), the name of a custom layer (default ``"custom"``);
    ``nondiff`` names inputs without a gradient, ``min_batch`` the smallest batch N
    tried. ``dtype``: ``"float64"`` (default) or ``"float32"`` (a
    failure is rerun in float64 and labelled a float32 artefact or a real bug). Bad arguments
    raise ValueError naming the argument (``seed``: an integer >= 0, never truncated; an empty
    ``against`` is an error, not linear); anything wrong in the user's code, an exit or a
    KeyboardInterrupt inside it included (see :mod:`comparisons.verification.guard`), is in the
    report, not raised.
    """
    seed, dtype = check_seed(seed), check_dtype(dtype)
    against = check_against(against, custom=reference is not None or shapes is not None)
    spec = resolve_spec(forward, backward, against, reference, shapes, nondiff, min_batch)
    return build_report(spec, dtype, seed)


def resolve_spec(forward: Any, backward: Any, against: str | None, reference: Any,
                 shapes: Any, nondiff: Sequence[str] = (), min_batch: Any = None) -> OpSpec:
    """The op spec with the user's forward/backward in place of the project's (a built-in op's
    under the active variant, :func:`comparisons.verification.variants.applied`)."""
    for what, fn in (("forward", forward), ("backward", backward)):
        if not callable(fn):
            raise ValueError(f"{what}: expected a function, got {type(fn).__name__}")
    if reference is None and shapes is None:
        if min_batch is not None:
            raise ValueError(f"min_batch: only for a custom layer (reference and shapes), got "
                             f"{min_batch!r} with a built-in op")
        return dataclasses.replace(active_spec(get_op(against or "linear")), forward=forward,
                                   backward=backward)
    if reference is None or shapes is None:
        raise ValueError("reference and shapes: a custom layer needs both")
    name = against or "custom"
    if name in BUILTIN_OPS:
        raise ValueError(f"against: {name!r} is a built-in op; name your custom layer "
                         f"differently or drop reference/shapes")
    return custom_spec(name, forward, backward, reference, shapes, nondiff, min_batch)
