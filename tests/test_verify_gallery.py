"""The planted-bug gallery: every derivation under tests/verify_gallery gets its declared code.

Each gallery file declares ``OP``, ``EXPECT`` (gradient -> diagnosis code; empty for a correct
derivation) and optionally ``ALSO_WRONG`` (gradients that must fail, any code),
``FIRST_DIVERGENCE``, ``FACTOR`` (gradient -> factor label, e.g. "1/N") and ``PATTERN``
(gradient -> the localized pattern). Files under tests/verify_custom are custom layers
(``reference`` + ``SHAPES``) with the same ``EXPECT`` convention. An op's own test file may
keep its planted bugs inline (``PLANTED`` in tests/test_<op>.py, see tests/_op_gallery.py).
"""

from __future__ import annotations

import json
from pathlib import Path
from types import ModuleType

import pytest
from _op_gallery import inline_paths

from comparisons.core.builtin_ops import BUILTIN_OPS
from comparisons.verification.aggregate import ARTEFACT, REAL_BUG
from comparisons.verification.diagnose import CODES
from comparisons.verification.loader import import_file, verify_file
from comparisons.verification.report import VerifyReport

HERE = Path(__file__).parent
GALLERY = sorted((HERE / "verify_gallery").glob("*.py"))
GALLERY += inline_paths("PLANTED")  # kept in tests/test_<op>.py
CUSTOM = sorted((HERE / "verify_custom").glob("*.py"))


def _module(path: Path) -> ModuleType:
    return import_file(path)[1]


def _assert_expected(report: VerifyReport, module: ModuleType) -> None:
    """Declared codes on declared gradients, failures where declared, ok everywhere else."""
    expect: dict[str, str] = module.EXPECT
    also_wrong = getattr(module, "ALSO_WRONG", ())
    assert report.error is None, report.error
    assert set(expect) | set(also_wrong) <= {g.name for g in report.gradients}
    for g in report.gradients:
        if g.name in expect:
            assert (g.diagnosis, g.passed) == (expect[g.name], False), str(report)
            assert g.case in report.cases and g.message.startswith(g.name)
        elif g.name in also_wrong:
            assert not g.passed, str(report)
        else:
            assert (g.diagnosis, g.passed) == ("ok", True), str(report)
    assert report.passed == (not expect and not also_wrong), str(report)
    json.dumps(report.to_json(), allow_nan=False)


@pytest.mark.parametrize("path", GALLERY, ids=lambda p: p.stem)
def test_gallery_derivation_gets_its_diagnosis(path: Path) -> None:
    module = _module(path)
    report = verify_file(path)
    assert report.op == module.OP
    _assert_expected(report, module)
    assert report.first_divergence == getattr(module, "FIRST_DIVERGENCE", None)
    for name, label in getattr(module, "FACTOR", {}).items():
        g = report.gradient(name)
        assert label in g.details["factor_labels"] and g.factor is not None
    for name, pattern in getattr(module, "PATTERN", {}).items():
        details = report.gradient(name).details
        assert (details["pattern"], details["pattern_match"]) == (pattern, "exact")


@pytest.mark.parametrize("path", CUSTOM, ids=lambda p: p.stem)
def test_custom_layer_through_reference_and_shapes(path: Path) -> None:
    report = verify_file(path)
    assert report.op == path.stem
    assert report.cases == ["N=1", "odd batch N=5"]
    _assert_expected(report, _module(path))


def test_gallery_covers_every_code_and_every_op() -> None:
    modules = [_module(p) for p in GALLERY]
    bugs = [m for m in modules if m.EXPECT]
    codes = {"ok"} | {c for m in bugs for c in m.EXPECT.values()}
    assert codes == set(CODES)
    assert {m.OP for m in bugs} == set(BUILTIN_OPS)
    assert {m.OP for m in modules if not m.EXPECT} == set(BUILTIN_OPS)  # a correct one each
    assert len(bugs) >= 15
    factors = {label for m in bugs for label in getattr(m, "FACTOR", {}).values()}
    assert {"2", "1/2", "N", "1/N"} <= factors


def test_kink_elements_are_flagged_and_left_out_of_finite_differences() -> None:
    for name in ("correct_relu.py", "relu_kink.py"):
        report = verify_file(HERE / "verify_gallery" / name)
        dx = report.gradient("dx")
        assert dx.fd == "ok" and dx.fd_ignored > 0  # the zeros: not silently passed or failed
        assert "untrusted left out" in str(report)
    assert verify_file(HERE / "verify_gallery" / "relu_kink.py").passed  # a valid subgradient
    assert not verify_file(HERE / "verify_gallery" / "relu_kink_nan.py").passed


@pytest.mark.parametrize("path", [p for p in GALLERY if p.stem.startswith("correct_")],
                         ids=lambda p: p.stem)
def test_correct_derivations_pass_in_float32(path: Path) -> None:
    report = verify_file(path, dtype="float32")
    assert report.passed, str(report)
    assert all(g.precision in (None, ARTEFACT) for g in report.gradients)


def test_float32_rounding_is_labelled_an_artefact_and_a_bug_a_real_bug() -> None:
    fragile = _module(HERE / "verify_gallery" / "sigmoid_cancellation.py")
    assert fragile.FLOAT32 == "artefact"
    report = verify_file(HERE / "verify_gallery" / "sigmoid_cancellation.py", dtype="float32")
    dx = report.gradient("dx")
    assert (dx.passed, dx.precision, report.passed) == (True, ARTEFACT, True)
    assert dx.max_rel_err is not None and dx.max_rel_err > 1e-5  # it did fail in float32
    bug = verify_file(HERE / "verify_gallery" / "linear_dx_sign.py", dtype="float32")
    row = bug.gradient("dx")
    assert (row.passed, row.diagnosis, row.precision) == (False, "sign_flipped", REAL_BUG)
    assert bug.dtype == "float32" and not bug.passed
