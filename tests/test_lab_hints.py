"""A lab check at hint level none hides a diagnosis's how-to-fix sentence (it is the answer),
at level formula shows it; what was found (codes, verdict) is the same at every level."""

from __future__ import annotations

import numpy as np
import pytest

import comparisons
import handmade
from comparisons.labs.hints import with_hint
from comparisons.verification.diagnose import DiagnosisContext
from comparisons.verification.diagnose_messages import FIXES, candidate


def _missing_gamma(dout, cache):
    """dx̂ taken as dout: the γ of the chain rule left out."""
    xhat, gamma, std, m = cache
    dx = (dout - dout.mean(0) - xhat * (dout * xhat).sum(0) / m) / std
    return dx, (dout * xhat).sum(0), dout.sum(0)


@pytest.mark.parametrize("backward, key", [(_missing_gamma, "missing_gamma")])
def test_the_fix_is_hidden_at_level_none_and_shown_at_formula(backward, key) -> None:
    report = comparisons.verify(handmade.batchnorm_forward, backward, against="batchnorm")
    assert report.gradient("dx").diagnosis == key
    full = with_hint(report, "formula").gradient("dx").message
    assert FIXES[key] in full
    for level in ("none", "shape"):
        hidden = with_hint(report, level)
        assert FIXES[key] not in hidden.gradient("dx").message
        assert hidden.gradient("dx").diagnosis == key and hidden.passed == report.passed


def test_every_candidate_message_ends_with_its_fix() -> None:
    for key, fix in FIXES.items():
        assert candidate(key, "dx", DiagnosisContext()).endswith(fix), key
    assert np.all([fix.strip() == fix for fix in FIXES.values()])
