"""CS231n checks no gradient check can make: dropout's statistics, batch norm's running stats.

A dropout mask drawn wrongly (the drop probability kept, a normal instead of a uniform draw)
passes every gradient check, which sees the mask the forward drew, not how it was drawn. So
``dropout_forward`` is also run on x = 1 of :data:`STAT_SIZE` elements for two keep
probabilities p (:data:`KEEP_PS`, neither 0.5, where keep and drop coincide):

* ``kept fraction``: the fraction of nonzero outputs is p, within :data:`STAT_Z` binomial
  standard deviations √(p(1 − p)/n) (``keep_drop_confused`` when it is 1 − p);
* ``mean preserved``: mean(out) = mean(x) = 1 within STAT_Z standard deviations
  √((1 − p)/(p n)) of inverted dropout's mean (``mask_not_divided`` when it is the kept
  fraction: out = x ⊙ mask, not mask / p);
* ``test mode``: mode "test" returns x unchanged (``test_mode_not_identity``).

``batchnorm_forward``: bn_param's ``running_mean`` / ``running_var`` are written back into the
dict, zeros when absent, updated as m·running + (1 − m)·batch statistic with the biased
variance (the unbiased one is accepted with a note; ``running_stats_not_stored``,
``wrong_running_mean`` / ``wrong_running_var``); mode "test" normalises with them, not with
the batch's statistics (``test_mode_not_running_stats``). Every call goes through the
student's guarded function: an exception is that check failing, with its message.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import NDArray

from comparisons.core.tolerances import tolerance
from comparisons.verification.conventions.cs231n_specs import (
    BN_EPS,
    BN_MOMENTUM,
    DROPOUT_SEED,
    pair_result,
    wrong_structure,
)
from comparisons.verification.conventions.report import CheckResult
from comparisons.verification.guard import StructureError, UserCodeError, error_text

Fn = Callable[..., Any]
F64 = NDArray[np.float64]
STAT_SIZE = (200, 500)
"""x's shape in the dropout statistics checks (n = 100 000 units)."""
KEEP_PS = (0.3, 0.8)
"""The keep probabilities the statistics are checked at."""
STAT_Z = 6.0
"""A statistic passes within this many standard deviations (a false alarm ~1e-9)."""
FORWARD = tolerance("forward", "float64")


def close(a: Any, b: Any) -> bool:
    """a and b agree to the forward tolerance (float64, norm-wise)."""
    try:
        a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    except (TypeError, ValueError):  # the student stored something that is no array
        return False
    if a.shape != b.shape:
        return False
    return FORWARD.allows(float(np.max(np.abs(a - b), initial=0.0)),
                          float(np.max(np.abs(b), initial=0.0)))


def out_of(forward: Fn, name: str, *args: Any) -> F64:
    """The student's out as float64; :func:`wrong_structure` if it is no array."""
    out, _ = pair_result(forward(*args), name)
    try:
        return np.asarray(out, dtype=np.float64)
    except (TypeError, ValueError):
        raise wrong_structure(name, f"your {name} returned out = {type(out).__name__}; "
                                    f"expected an array") from None


def failed_call(what: str, exc: UserCodeError | StructureError) -> CheckResult:
    """A check the student's code stopped."""
    return CheckResult(what, False, "error", error_text(exc).splitlines()[0])


def kept_check(p: float, out: F64) -> CheckResult:
    """The fraction of nonzero units is p (binomial)."""
    f, sigma = float(np.mean(out != 0)), float(np.sqrt(p * (1 - p) / out.size))
    what = f"kept fraction (p = {p})"
    if abs(f - p) <= STAT_Z * sigma:
        return CheckResult(what, True, "ok", f"{f:.4f} of the units kept, p = {p}")
    if abs(f - (1 - p)) <= STAT_Z * sigma:
        return CheckResult(what, False, "keep_drop_confused",
                           f"{f:.4f} of the units kept, 1 − p: in CS231n p is the probability "
                           f"of KEEPING a unit (mask = np.random.rand(*x.shape) < p)")
    return CheckResult(what, False, "wrong_kept_fraction",
                       f"{f:.4f} of the units kept, expected p = {p} (± {STAT_Z * sigma:.4f}): "
                       f"draw the mask uniformly, mask = np.random.rand(*x.shape) < p")


def mean_check(p: float, out: F64) -> CheckResult:
    """Inverted dropout keeps the mean: mean(out) = mean(x) = 1."""
    mean, f = float(np.mean(out)), float(np.mean(out != 0))
    sigma = float(np.sqrt((1 - p) / (p * out.size)))
    what = f"mean preserved (p = {p})"
    if abs(mean - 1.0) <= STAT_Z * sigma:
        return CheckResult(what, True, "ok", f"mean(out) = {mean:.4f} for x = 1")
    if close(out, (out != 0).astype(np.float64)) and f > 0:
        return CheckResult(what, False, "mask_not_divided",
                           f"mean(out) = {mean:.4f} for x = 1: the kept units are not divided "
                           f"by p (inverted dropout: mask = (np.random.rand(*x.shape) < p) / p)")
    return CheckResult(what, False, "mean_not_preserved",
                       f"mean(out) = {mean:.4f} for x = 1, expected 1: inverted dropout "
                       f"divides the kept units by p")


def dropout_checks(forward: Fn, name: str, rng: np.random.Generator) -> list[CheckResult]:
    """Kept fraction and mean at each p of KEEP_PS, then the test mode."""
    checks: list[CheckResult] = []
    for i, p in enumerate(KEEP_PS):
        param = {"p": p, "mode": "train", "seed": DROPOUT_SEED + i}
        try:
            out = out_of(forward, name, np.ones(STAT_SIZE), param)
        except (UserCodeError, StructureError) as exc:
            return [failed_call(f"statistics (p = {p})", exc)]
        if out.shape != STAT_SIZE:
            return [CheckResult(f"statistics (p = {p})", False, "wrong_shape",
                                f"out has shape {out.shape}, x has {STAT_SIZE}")]
        checks += [kept_check(p, out), mean_check(p, out)]
    x = rng.standard_normal((7, 5))
    try:
        out = out_of(forward, name, x.copy(), {"p": KEEP_PS[0], "mode": "test"})
    except (UserCodeError, StructureError) as exc:
        return [*checks, failed_call("test mode", exc)]
    ok = close(out, x)
    checks.append(CheckResult("test mode", ok, "ok" if ok else "test_mode_not_identity",
                              "out = x in test mode" if ok else "in test mode out must be x "
                              "unchanged (inverted dropout scales at training time only)"))
    return checks


def stat_check(what: str, param: dict[str, Any], key: str, before: F64, batch: F64,
               alt: F64 | None = None) -> CheckResult:
    """bn_param[key] after a training call is m·before + (1 − m)·batch (or with ``alt``)."""
    if key not in param:
        return CheckResult(what, False, "running_stats_not_stored",
                           f"bn_param has no {key!r} after a training call: store the updated "
                           f"value in bn_param[{key!r}]")
    got = param[key]
    m = BN_MOMENTUM
    if close(got, m * before + (1 - m) * batch):
        return CheckResult(what, True, "ok", f"bn_param[{key!r}] = m·old + (1 − m)·batch")
    if alt is not None and close(got, m * before + (1 - m) * alt):
        return CheckResult(what, True, "ok", f"bn_param[{key!r}] updated with the unbiased "
                           "(n − 1) variance (CS231n's own solution uses the biased one)")
    code = "wrong_running_mean" if key == "running_mean" else "wrong_running_var"
    hint = " (momentum swapped?)" if close(got, (1 - m) * before + m * batch) else ""
    return CheckResult(what, False, code, f"bn_param[{key!r}] is not momentum·old + (1 − "
                       f"momentum)·batch statistic with momentum = {m}{hint}")


def running_checks(forward: Fn, name: str, rng: np.random.Generator) -> list[CheckResult]:
    """Two training calls: running stats written back from zeros, then updated."""
    n, d = 6, 4
    gamma, beta = rng.standard_normal(d), rng.standard_normal(d)
    param: dict[str, Any] = {"mode": "train", "eps": BN_EPS, "momentum": BN_MOMENTUM}
    checks: dict[str, CheckResult] = {}
    for call in ("first", "second"):
        x = 2.0 + 3.0 * rng.standard_normal((n, d))
        before = {k: stored(param, k, d) for k in ("running_mean", "running_var")}
        try:
            out_of(forward, name, x, gamma, beta, param)
        except (UserCodeError, StructureError) as exc:
            return [failed_call(f"running statistics ({call} call)", exc)]
        stats = {"running_mean": (x.mean(axis=0), None),
                 "running_var": (x.var(axis=0), x.var(axis=0, ddof=1))}
        for key, (batch, alt) in stats.items():
            c = stat_check(f"{key} written back ({call} call)", param, key, before[key],
                           batch, alt)
            if key not in checks or (checks[key].passed and not c.passed):
                checks[key] = c
            if key not in param:
                param[key] = m_update(before[key], batch)
    return list(checks.values())


def stored(param: dict[str, Any], key: str, d: int) -> F64:
    """param[key] as float64 (zeros when absent or not an array of D numbers)."""
    try:
        value = np.array(param.get(key, np.zeros(d)), dtype=np.float64)
    except (TypeError, ValueError):
        return np.zeros(d)
    return value if value.shape == (d,) else np.zeros(d)


def m_update(before: F64, batch: F64) -> F64:
    """The running statistic the course's update gives."""
    return BN_MOMENTUM * before + (1 - BN_MOMENTUM) * batch


def test_mode_check(forward: Fn, name: str, rng: np.random.Generator) -> CheckResult:
    """Mode "test" normalises with bn_param's running statistics and leaves them alone."""
    n, d = 5, 3
    x, gamma, beta = rng.standard_normal((n, d)), rng.standard_normal(d), rng.standard_normal(d)
    rm, rv = rng.standard_normal(d), rng.uniform(0.5, 2.0, d)
    param = {"mode": "test", "eps": BN_EPS, "momentum": BN_MOMENTUM,
             "running_mean": rm.copy(), "running_var": rv.copy()}
    try:
        out = out_of(forward, name, x.copy(), gamma, beta, param)
    except (UserCodeError, StructureError) as exc:
        return failed_call("test mode", exc)
    expected = gamma * (x - rm) / np.sqrt(rv + BN_EPS) + beta
    if close(out, expected):
        kept = all(close(param.get(k), v) for k, v in (("running_mean", rm), ("running_var", rv)))
        return CheckResult("test mode", kept, "ok" if kept else "test_mode_not_running_stats",
                           "out uses bn_param's running statistics" if kept else
                           "test mode changed bn_param's running statistics")
    batch = gamma * (x - x.mean(0)) / np.sqrt(x.var(0) + BN_EPS) + beta
    why = " (it normalised with the batch's statistics)" if close(out, batch) else ""
    return CheckResult("test mode", False, "test_mode_not_running_stats",
                       f"in test mode out must be γ (x − running_mean) / √(running_var + eps) "
                       f"+ β{why}")


def batchnorm_checks(forward: Fn, name: str, rng: np.random.Generator) -> list[CheckResult]:
    """The running statistics and the test mode."""
    return [*running_checks(forward, name, rng), test_mode_check(forward, name, rng)]
