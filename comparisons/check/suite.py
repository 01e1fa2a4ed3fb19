"""The built-in check suite behind ``backprop-lab check``: every pair, three witnesses.

For each op and each awkward shape case: the forward value against torch, every gradient
against torch autograd, and every input gradient against central finite differences of the
hand-written forward. Then the D2L network class against its torch twin (each φ, λ > 0, a
hidden bias, dropout with one shared mask), covering the loss, every parameter gradient and
the intermediates dJ/do, dJ/dh, dJ/dz; and two small CNNs (one with batch norm) trained a few
steps in lockstep with their torch.nn twins (:mod:`comparisons.check.cnn_checks`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import DTypeLike

from comparisons.check.cnn_checks import cnn_checks
from comparisons.check.network_checks import network_checks
from comparisons.core.builtin_ops import BUILTIN_OPS
from comparisons.core.compare import Check, compare
from comparisons.core.ops import (
    Case,
    OpSpec,
    call_forward,
    finite_difference_witness,
    grads_as_dict,
    make_dout,
    reference_run,
)
from comparisons.core.tolerances import dtype_name, tolerance


@dataclass(frozen=True)
class CaseRun:
    """One op on one case: forward value, returned gradients, autograd's, the inputs used."""

    label: str
    inputs: dict[str, Any]
    dout: Any
    out: Any
    ref_out: Any
    grads: dict[str, Any]
    ref_grads: dict[str, Any]


def run_case(spec: OpSpec, forward: Callable[..., Any], backward: Callable[..., Any],
             case: Case, dtype: DTypeLike, rng: np.random.Generator) -> CaseRun:
    """Draw inputs for ``case``, run forward/backward and torch's reference on them."""
    inputs = spec.make_inputs(rng, case, np.dtype(dtype))
    out, cache = call_forward(spec, forward, inputs)
    dout = make_dout(spec, out, rng)
    grads = grads_as_dict(spec, backward(dout, cache))
    ref_out, ref_grads = reference_run(spec, inputs, dout)
    return CaseRun(case.label, inputs, dout, out, ref_out, grads, ref_grads)


def case_checks(spec: OpSpec, forward: Callable[..., Any], run: CaseRun, dtype: DTypeLike,
                rng: np.random.Generator) -> list[Check]:
    """The rows for one case: forward, each gradient vs autograd, each input vs finite diffs."""
    name = f"{spec.name}[{run.label}]"
    out_name = "J" if spec.returns_dict else "out"
    rows = [compare(run.out, run.ref_out, name=name, tensor=out_name, against="autograd")]
    for g in spec.grads + spec.intermediates:
        rows.append(compare(run.grads[g], run.ref_grads[g], name=name, tensor=g,
                            against="autograd"))
    for x in spec.differentiable:
        g = spec.grad_of(x)
        actual = run.grads[g]
        if actual is None or np.shape(actual) != np.shape(run.inputs[x]):
            rows.append(compare(actual, run.ref_grads[g], name=name, tensor=g,
                                against="finite_differences"))
            continue
        w = finite_difference_witness(spec, forward, run.inputs, run.dout, x, actual, rng)
        rows.append(compare(w.actual, w.expected, name=name, tensor=g,
                            against="finite_differences", check_dtype=False,
                            tol=tolerance("finite_differences", dtype), ignore=w.ignore))
    return rows


def op_checks(spec: OpSpec, dtype: DTypeLike, rng: np.random.Generator) -> list[Check]:
    """All rows for one built-in op over all its shape cases."""
    rows: list[Check] = []
    for case in spec.cases:
        run = run_case(spec, spec.forward, spec.backward, case, dtype, rng)
        rows.extend(case_checks(spec, spec.forward, run, dtype, rng))
    return rows


@dataclass(frozen=True)
class SuiteResult:
    """All rows of a suite run; ``passed`` when every row passed."""

    dtype: str
    seed: int
    checks: list[Check]

    @property
    def passed(self) -> bool:
        return all(c.passed for c in self.checks)

    def to_json(self) -> dict[str, Any]:
        return {"passed": self.passed, "dtype": self.dtype, "seed": self.seed,
                "checks": [c.to_json() for c in self.checks]}


def run_suite(dtype: DTypeLike = np.float64, seed: int = 0,
              ops: Iterable[str] | None = None, progress: bool = False) -> SuiteResult:
    """Run every built-in op (or those named in ``ops``), then the network and CNN checks."""
    name = dtype_name(dtype)
    rng = np.random.default_rng(seed)
    names = list(ops) if ops is not None else list(BUILTIN_OPS)
    rows: list[Check] = []
    for op in _progress(names, progress):
        rows.extend(op_checks(BUILTIN_OPS[op], name, rng))
    if ops is None:
        rows.extend(network_checks(name, rng))
        rows.extend(cnn_checks(name, rng))
    return SuiteResult(name, seed, rows)


def _progress(items: list[str], enabled: bool) -> Iterable[str]:
    if not enabled:
        return items
    from tqdm.auto import tqdm  # only when a bar is shown: tqdm.auto probes for a notebook

    return tqdm(items, desc="check", unit="op", leave=False)


def format_table(result: SuiteResult) -> str:
    """A plain-text table: one row per op × tensor × witness, then a summary line; the tensor
    column is as wide as its longest name (``5.running_mean``), so the columns stay aligned."""
    width = max([8, *(len(c.tensor) for c in result.checks)])
    head = (f"{'check':<42} {'tensor':<{width}} {'against':<19} {'max abs':>9} {'max rel':>9}  "
            f"result")
    lines = [head, "-" * len(head)]
    for c in result.checks:
        abs_s = "—" if c.max_abs_err is None else f"{c.max_abs_err:9.2e}"
        rel_s = "—" if c.max_rel_err is None else f"{c.max_rel_err:9.2e}"
        verdict = "ok" if c.passed else f"FAIL {c.message}"
        lines.append(f"{c.name:<42} {c.tensor:<{width}} {c.against:<19} {abs_s:>9} "
                     f"{rel_s:>9}  {verdict}")
    n_fail = sum(not c.passed for c in result.checks)
    lines.append(f"{len(result.checks) - n_fail} passed, {n_fail} failed ({result.dtype}, "
                 f"seed {result.seed})")
    return "\n".join(lines)
