"""Labels for the report's key-number tables: words in place of a section's JSON keys.

:func:`label` names one (possibly nested, dot-joined) key: a section's own ``labels`` entry
first, then :data:`KNOWN` (keys several sections share), then the key put into words: each
dot-separated part has its underscores read as spaces and the abbreviations of :data:`WORDS`
spelled out (``scratch_lambda3_w_norm`` -> "scratch, λ = 3: ‖w‖₂"), the parts joined by ": ".
"""

from __future__ import annotations

import re
from collections.abc import Mapping

KNOWN: dict[str, str] = {
    "seconds": "run time (s)",
    "json": "every number, as JSON",
    "workers": "worker processes",
    "lockstep_max_rel_diff": "lockstep: largest handmade-vs-torch difference (relative)",
    "lockstep_first_divergent_step": "lockstep: first step where the engines parted (— = none)",
    "lockstep_checked": "lockstep: configurations trained on both engines",
    "lockstep_runs": "lockstep: runs compared",
    "engine_mode": "engine mode",
    "best": "best configuration",
    "stats": "standardisation statistics from",
    "algebra_identity_holds": "the two conventions' updates agree as the algebra says",
    "sigmoid_grad_at_edges": "σ'(x) at |x| = 8",
    "log10_product_after_100": "log₁₀ max|entry| of the product after 100 factors, per seed",
}
"""Labels of keys several sections share (a section's ``labels`` take precedence)."""

PARTS: dict[str, str] = {"findings": "finding", "diagnoses": "diagnosis", "stats": "statistics"}
"""How the outer part of a nested key reads."""

WORDS: tuple[tuple[str, str], ...] = (
    (r"\blambda(\d[\d.]*)\b", r"λ = \1"),
    (r"\bseed(\d+)\b", r"seed \1"),
    (r"\bw norm\b", "‖w‖₂"),
    (r"\bavg\b", "average"),
    (r"\bvalid\b", "validation"),
    (r"\blog rmse\b", "log RMSE"),
    (r"\bmax rel diff\b", "largest relative difference"),
    (r"\bmax rel err\b", "largest relative error"),
    (r"\brel\b", "relative"),
    (r"\bdiff\b", "difference"),
    (r"\bacc\b", "accuracy"),
    (r"\bgrad\b", "gradient"),
    (r"\blog10\b", "log₁₀"),
    (r"\bxavier uniform\b", "Xavier-uniform"),
    (r"^normal (weights|test loss)\b", r"normal fit: \1"),
    (r"^(underfit|overfit) (weights|test loss)\b", r"\1: \2"),
    (r"\bsignal ratio\b", "signal, first / last layer"),
    (r"\bweight gradient ratio\b", "weight gradient, first / last layer"),
    (r"\bin (\d+) (\d+)\b", r"in [\1, \2]"),
    (r"\bgap with\b", "gap with dropout"),
    (r"\bgap without\b", "gap without dropout"),
    (r"\bwith test accuracy\b", "with dropout: test accuracy"),
    (r"\bwithout test accuracy\b", "without dropout: test accuracy"),
)
"""``(pattern, replacement)`` applied in order to a key part whose underscores became spaces."""

NESTING = re.compile(r"\.(?=[A-Za-z_])")
"""The dot that joins a nested key's parts (not the one of a number such as ``below_0.6``)."""

CONTEXT = re.compile(r"^(.*?(?:λ = [\d.]+|seed \d+)) (?!in\b|below\b)")
"""A leading run label (``scratch λ = 3``, ``seed 0``) that a colon sets off from the quantity."""


def words(part: str) -> str:
    """One key part in words: underscores as spaces, :data:`WORDS` spelled out."""
    text = part.replace("_", " ")
    for pattern, replacement in WORDS:
        text = re.sub(pattern, replacement, text)
    return CONTEXT.sub(lambda m: re.sub(r" (λ|seed)", r", \1", m.group(1)) + ": ", text)


def label(key: str, labels: Mapping[str, str] | None = None) -> str:
    """The label of ``key`` (dot-joined for nested entries); see the module docstring."""
    if labels and key in labels:
        return labels[key]
    if key in KNOWN:
        return KNOWN[key]
    parts = NESTING.split(key)
    head = [PARTS.get(parts[0], words(parts[0]))] if len(parts) > 1 else []
    return ": ".join([*head, *(words(p) for p in parts[len(head):])])
