"""CS231n's ``layers.py`` verified as written: every known pair of the file, one section each.

:func:`verify_functions` is the one boundary through which the student's code is called: it
takes the student's callables by name (a module's functions, or proxies that run them
elsewhere), wraps each in :func:`~comparisons.verification.guard.guarded`, and returns a
:class:`~comparisons.verification.conventions.report.ConventionReport`. Names it does not
know are ignored; a pair whose functions are all absent is skipped (and listed); a forward
without its backward (or a backward without its forward: the cache comes from the forward) is
a failed section saying so. Caches are always the student's own, from their forward.

NumPy's global random state, which students draw dropout masks from (and seed with
``dropout_param['seed']``), is reseeded with ``seed`` before each pair, in the process the
student's code runs in (``reseed``: ``np.random.seed`` here, a request to the child when the
functions are a sandbox's proxies), so an unseeded mask draws the same numbers in-process and
isolated, run after run; the parent's state is restored afterwards.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from comparisons.core.errors import UsageError
from comparisons.core.ops import OpSpec
from comparisons.verification.aggregate import build_report
from comparisons.verification.arguments import check_dtype, check_seed
from comparisons.verification.conventions.cs231n_checks import batchnorm_checks, dropout_checks
from comparisons.verification.conventions.cs231n_specs import (
    affine_spec,
    conv_spec,
    dropout_spec,
    loss_spec,
    norm_spec,
    pool_spec,
    relu_spec,
)
from comparisons.verification.conventions.report import (
    CheckResult,
    ConventionReport,
    FunctionSection,
)
from comparisons.verification.guard import (
    StructureError,
    UserCodeError,
    contained,
    error_text,
    guarded,
)
from comparisons.verification.loader import import_source
from comparisons.verification.report import VerifyReport

Fn = Callable[..., Any]
Checks = Callable[[Fn, str, np.random.Generator], list[CheckResult]]
Renew = Callable[[], tuple[Mapping[str, Fn], Callable[[int], None]]]


@dataclass(frozen=True)
class Pair:
    """One of the course's pairs: the section name, the function names, the op it runs as.

    ``backward`` is None for a loss (loss and gradient in one call); ``optional``: skipped
    silently when its backward is absent (``batchnorm_backward_alt``)."""

    function: str
    forward: str
    backward: str | None
    op: str
    build: Callable[[Fn, Any], OpSpec]
    checks: Checks | None = None
    optional: bool = False


def _loss(op: str, name: str) -> Callable[[Fn, Any], OpSpec]:
    return lambda forward, _: loss_spec(op, forward, name)


PAIRS = (
    Pair("affine", "affine_forward", "affine_backward", "affine", affine_spec),
    Pair("relu", "relu_forward", "relu_backward", "relu", relu_spec),
    Pair("dropout", "dropout_forward", "dropout_backward", "dropout", dropout_spec,
         dropout_checks),
    Pair("batchnorm", "batchnorm_forward", "batchnorm_backward", "batchnorm",
         functools.partial(norm_spec, "batchnorm"), batchnorm_checks),
    Pair("batchnorm_alt", "batchnorm_forward", "batchnorm_backward_alt", "batchnorm",
         functools.partial(norm_spec, "batchnorm"), optional=True),
    Pair("layernorm", "layernorm_forward", "layernorm_backward", "layernorm",
         functools.partial(norm_spec, "layernorm")),
    Pair("conv", "conv_forward_naive", "conv_backward_naive", "conv2d", conv_spec),
    Pair("max_pool", "max_pool_forward_naive", "max_pool_backward_naive", "maxpool2d",
         pool_spec),
    Pair("softmax_loss", "softmax_loss", None, "softmax_cross_entropy",
         _loss("softmax_cross_entropy", "softmax_loss")),
    Pair("svm_loss", "svm_loss", None, "multiclass_hinge", _loss("multiclass_hinge", "svm_loss")),
)
FUNCTION_NAMES = tuple(dict.fromkeys(
    n for p in PAIRS for n in (p.forward, p.backward) if n is not None))
"""Every function name of the convention, in the order sections are reported."""
FORWARDS = tuple(dict.fromkeys(p.forward for p in PAIRS if p.backward is not None))
"""The functions returning ``(out, cache)``: a sandbox keeps their cache in the child."""


def missing_section(pair: Pair, dtype: str, seed: int, message: str) -> FunctionSection:
    """A failed section: a function of the pair is not in the file."""
    report = VerifyReport(pair.op, dtype, seed, error=message)
    return FunctionSection(pair.function, pair.forward, pair.backward, report)


def run_checks(pair: Pair, forward: Fn, seed: int) -> list[CheckResult]:
    """The pair's checks beside the gradients (an exit in returned objects contained)."""
    if pair.checks is None:
        return []
    try:
        return contained(pair.checks)(forward, pair.forward, np.random.default_rng(seed))
    except (UserCodeError, StructureError) as exc:
        return [CheckResult("checks", False, "error", error_text(exc).splitlines()[0])]


def present(pair: Pair, found: Mapping[str, Fn]) -> bool:
    """Some function of ``pair`` is in ``found``."""
    return pair.forward in found or (pair.backward is not None and pair.backward in found)


def verify_pair(pair: Pair, found: Mapping[str, Fn], reseed: Callable[[int], None],
                dtype: str, seed: int) -> FunctionSection | None:
    """The section of one pair; None when it is skipped. ``reseed(seed)`` before the
    gradients and again before the checks: what an unseeded draw gives in the checks does
    not depend on how many calls the gradients made (a sandbox batches some)."""
    fwd = found.get(pair.forward)
    bwd = found.get(pair.backward) if pair.backward is not None else None
    if (fwd is None and bwd is None) or (pair.optional and bwd is None):
        return None
    if fwd is None:
        return missing_section(pair, dtype, seed, f"{pair.backward} is defined but not "
                               f"{pair.forward}: the cache it reads comes from {pair.forward}")
    if pair.backward is not None and bwd is None:
        return missing_section(pair, dtype, seed, f"{pair.forward} is defined but not "
                               f"{pair.backward}(dout, cache): its backward is missing")
    forward = guarded(fwd, f"your {pair.forward}")
    backward = None if bwd is None else guarded(bwd, f"your {pair.backward}")
    reseed(seed)
    report = build_report(pair.build(forward, backward), dtype, seed)
    reseed(seed)
    return FunctionSection(pair.function, pair.forward, pair.backward, report,
                           run_checks(pair, forward, seed))


def verify_functions(functions: Mapping[str, Any], *, dtype: str = "float64", seed: int = 0,
                     file: str | None = None, notes: tuple[str, ...] = (),
                     reseed: Callable[[int], None] = np.random.seed,
                     renew: Renew | None = None) -> ConventionReport:
    """Verify the student's CS231n functions, given by name; one section per pair found.

    ``functions``: name -> callable (``vars(module)`` will do: unknown names and non-callables
    are ignored); ``file`` and ``notes`` (what of a notebook was skipped) go into the report;
    ``reseed(seed)`` seeds NumPy's global state where the functions run (module docstring);
    ``renew()``, called before each pair found, gives the functions and reseed to use for it
    (a sandbox starts a fresh child when the last pair's code killed its own).
    ValueError (one line) when none of :data:`FUNCTION_NAMES` is there, for a bad ``dtype`` or
    ``seed``. Anything the student's code does is in the report, never raised.
    """
    dtype, seed = check_dtype(dtype), check_seed(seed)
    found = {n: f for n, f in functions.items() if n in FUNCTION_NAMES and callable(f)}
    if not found:
        raise ValueError(f"functions: expected at least one of CS231n's layers.py functions "
                         f"({', '.join(FUNCTION_NAMES[:3])}, ...), got none")
    state = np.random.get_state()
    try:
        sections = []
        for p in PAIRS:
            functions_now, reseed_now = (renew() if renew is not None and present(p, found)
                                         else (found, reseed))
            sections.append(verify_pair(p, functions_now, reseed_now, dtype, seed))
    finally:
        np.random.set_state(state)
    return ConventionReport("cs231n", file, dtype, seed, [s for s in sections if s is not None],
                            [n for n in FUNCTION_NAMES if n not in found], input_notes=list(notes))


def verify_cs231n_file(path: str | Path, *, dtype: str = "float64", seed: int = 0,
                       cell: str | None = None,
                       data_dir: str | Path | None = None) -> ConventionReport:
    """Import ``path`` (a .py file or a notebook, ``cell`` and ``data_dir`` as for ``verify``)
    and verify its CS231n functions; UsageError (one line) when it has none.

    Anything raised while importing the file is the report's ``error``."""
    dtype, seed = check_dtype(dtype), check_seed(seed)
    try:
        _, module, notes = import_source(path, cell=cell, data_dir=data_dir)
    except UserCodeError as exc:
        return ConventionReport("cs231n", str(path), dtype, seed, error=error_text(exc))
    functions = {n: getattr(module, n) for n in FUNCTION_NAMES if hasattr(module, n)}
    if not any(callable(f) for f in functions.values()):
        raise UsageError(f"{path}: none of CS231n's layers.py functions is defined (expected "
                         f"e.g. affine_forward and affine_backward, relu_forward, softmax_loss)")
    return verify_functions(functions, dtype=dtype, seed=seed, file=str(path), notes=notes)
