"""The correct-derivation gallery: right derivations, written as real students write them, PASS.

Every file under tests/verify_correct is a genuinely correct forward/backward pair of a built-in
op in one of the styles students use: the book's formulas with an unscaled λW, ``>=`` and ``<``
ReLU masks, ``np.where``, in-place masking (of a copy, of ``dout``, of the cache),
``x.T.dot(dout)``, ``einsum``, per-example loops, lists and tuples in the cache, gradients
returned as lists, float32 runs. A failure here is a false alarm of ``verify``: it would tell a
student that a right derivation is wrong. The planted-bug gallery beside it
(tests/test_verify_gallery.py) checks that the mistakes are still diagnosed.

Each file declares ``OP`` and a docstring saying how it is written and why it is correct;
optionally ``DTYPE`` (the run's dtype, default ``"float64"``) and ``NOTES`` (note codes that
must appear on the report's gradient rows, e.g. ``"subgradient_at_kink"`` for a ReLU mask that
differs from torch's only at x == 0, ``"upstream_not_applied"`` for the gradient of a scalar
objective with the upstream factor left out of a term). A declared note is one the shipped
seed's cases are sure to produce (the relu op's "exact zeros" case, the scalar ops' upstream
case). An op's own test file may keep its correct derivations inline (``CORRECT`` in
tests/test_<op>.py, see tests/_op_gallery.py).
"""

from __future__ import annotations

import json
from pathlib import Path
from types import ModuleType

import pytest
from _op_gallery import inline_paths

from comparisons.cli.main import main
from comparisons.core.builtin_ops import BUILTIN_OPS
from comparisons.verification.loader import import_file, verify_file
from comparisons.verification.report import VerifyReport

HERE = Path(__file__).parent
CORRECT = sorted((HERE / "verify_correct").glob("*.py"))
CORRECT += inline_paths("CORRECT")  # kept in tests/test_<op>.py
NOTE_CODES = {"subgradient_at_kink", "upstream_not_applied"}
# One file per style family for the CLI (exit code and JSON file), the rest through the API.
CLI_SAMPLE = ("two_layer_book_unscaled_l2", "relu_lt_mask_copy", "relu_float32_ge",
              "linear_xT_dot_dout", "linear_returns_list", "softmax_ce_inplace_probs",
              "mse_np_mean_no_upstream", "l2_penalty_einsum_list")


def _module(path: Path) -> ModuleType:
    return import_file(path)[1]


def _dtype(module: ModuleType) -> str:
    return getattr(module, "DTYPE", "float64")


def _note_codes(report_json: dict) -> set[str]:
    """The codes of every note on every gradient row ("code: sentence" -> code)."""
    return {note.split(":", 1)[0].strip() for row in report_json["gradients"]
            for note in row["notes"]}


def _assert_all_right(report: VerifyReport, module: ModuleType) -> None:
    """No error, forward right, every gradient ok and every finite-difference witness agreeing."""
    assert report.error is None, report.error
    assert (report.op, report.dtype) == (module.OP, _dtype(module))
    assert report.forward is not None and report.forward.passed, str(report)
    assert report.gradients, str(report)
    for g in report.gradients:
        assert (g.passed, g.diagnosis) == (True, "ok"), f"{g.name}:\n{report}"
        assert g.fd != "FAIL", f"{g.name}:\n{report}"
    assert report.first_divergence is None, str(report)
    assert report.passed, str(report)


@pytest.mark.parametrize("path", CORRECT, ids=lambda p: p.stem)
def test_correct_derivation_passes_with_its_notes(path: Path) -> None:
    module = _module(path)
    report = verify_file(path, dtype=_dtype(module))
    _assert_all_right(report, module)
    data = report.to_json()
    json.dumps(data, allow_nan=False)
    assert data["passed"] is True
    for row in data["gradients"]:
        assert all(":" in note for note in row["notes"]), row["notes"]  # "code: sentence"
    missing = set(getattr(module, "NOTES", ())) - _note_codes(data)
    assert not missing, f"notes {sorted(missing)} not on any gradient row:\n{report}"


@pytest.mark.parametrize("stem", CLI_SAMPLE)
def test_cli_exits_0_and_writes_a_passing_json(stem: str, tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    path = HERE / "verify_correct" / f"{stem}.py"
    module = _module(path)
    out = tmp_path / "report.json"
    code = main(["verify", str(path), "--dtype", _dtype(module), "--json", str(out)])
    printed = capsys.readouterr().out
    assert code == 0, printed
    assert "verdict: PASSED" in printed
    data = json.loads(out.read_text())
    assert (data["passed"], data["error"], data["op"]) == (True, None, module.OP)
    assert all(row["diagnosis"] == "ok" for row in data["gradients"])
    assert set(getattr(module, "NOTES", ())) <= _note_codes(data)


def test_gallery_covers_every_op_in_several_styles() -> None:
    modules = {p.stem: _module(p) for p in CORRECT}
    assert len(modules) >= 40
    assert set(CLI_SAMPLE) <= set(modules)
    for op in BUILTIN_OPS:
        of_op = [m for m in modules.values() if m.OP == op]
        assert len(of_op) >= 4, op
        assert any(_dtype(m) == "float32" for m in of_op), f"{op}: no float32 file"
    for stem, m in modules.items():
        assert m.OP in BUILTIN_OPS, stem
        assert m.__doc__ and m.__doc__.strip(), f"{stem}: no docstring"
        assert _dtype(m) in ("float32", "float64"), stem
        assert set(getattr(m, "NOTES", ())) <= NOTE_CODES, stem
        assert not hasattr(m, "EXPECT"), f"{stem}: a planted bug belongs in verify_gallery"
    notes = {code for m in modules.values() for code in getattr(m, "NOTES", ())}
    assert notes == NOTE_CODES
