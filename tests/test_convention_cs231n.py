"""``verify layers.py --convention cs231n``: CS231n files checked as students write them.

tests/cs231n_layers/ holds the gallery: correct files written the many ways students write
them (which must pass, in float64 and float32) and the classic bugs, each verified unchanged
and expected to fail with its code; the rest of each file must pass.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from comparisons.cli.main import main
from comparisons.core.errors import UsageError
from comparisons.verification.conventions.cs231n import (
    FUNCTION_NAMES,
    verify_cs231n_file,
    verify_functions,
)
from comparisons.verification.loader import import_file
from comparisons.verification.report import VerifyReport

LAYERS = Path(__file__).parent / "cs231n_layers"
CORRECT = ("correct_layers.py", "correct_alt_layers.py")
ALL_PAIRS = {"affine", "relu", "dropout", "batchnorm", "batchnorm_alt", "layernorm", "conv",
             "max_pool", "softmax_loss", "svm_loss"}
# file -> (section, where: gradient / check / forward / error, name, code)
GALLERY = {
    "affine_dw_no_reshape.py": ("affine", "gradient", "dw", "wrong_shape"),
    "affine_dx_no_reshape.py": ("affine", "gradient", "dx", "wrong_shape"),
    "affine_db_not_summed.py": ("affine", "gradient", "db", "not_summed_over_batch"),
    "affine_forward_only.py": ("affine", "error", "affine_backward", None),
    "relu_dout_passed.py": ("relu", "gradient", "dx", "missing_activation_derivative"),
    "dropout_drop_probability.py": ("dropout", "check", "kept fraction", "keep_drop_confused"),
    "dropout_not_divided.py": ("dropout", "check", "mean preserved", "mask_not_divided"),
    "dropout_normal_mask.py": ("dropout", "check", "kept fraction", "wrong_kept_fraction"),
    "dropout_unseeded.py": ("dropout", "error", "kept different units", None),
    "batchnorm_no_statistics_paths.py": ("batchnorm", "gradient", "dx",
                                         "missing_statistics_paths"),
    "batchnorm_dgamma_not_summed.py": ("batchnorm", "gradient", "dgamma",
                                       "not_summed_over_batch"),
    "batchnorm_running_not_stored.py": ("batchnorm", "check", "running_mean",
                                        "running_stats_not_stored"),
    "batchnorm_test_mode_batch_stats.py": ("batchnorm", "check", "test mode",
                                           "test_mode_not_running_stats"),
    "svm_true_class_counted.py": ("svm_loss", "forward", None, None),
    "softmax_not_averaged.py": ("softmax_loss", "gradient", "dlogits", "scaled"),
    "max_pool_not_routed.py": ("max_pool", "gradient", "dx", "not_routed_to_max"),
    "max_pool_ties_all_get_dout.py": ("max_pool", "gradient", "dx", "localized"),
}


def test_the_gallery_is_the_table() -> None:
    files = {p.name for p in LAYERS.glob("*.py")}
    assert files == set(GALLERY) | set(CORRECT) | {"no_cs231n_functions.py"}


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("name", CORRECT)
def test_correct_files_pass_every_section(name: str, dtype: str) -> None:
    report = verify_cs231n_file(LAYERS / name, dtype=dtype)
    wrong = {s.function: s.problems() for s in report.sections if not s.passed}
    assert wrong == {}
    assert {s.function for s in report.sections} == ALL_PAIRS and report.skipped == []
    assert report.passed and "verdict: PASSED" in str(report)


def test_correct_file_passes_at_other_seeds() -> None:
    for seed in (1, 7):
        assert verify_cs231n_file(LAYERS / "correct_alt_layers.py", seed=seed).passed


@pytest.mark.parametrize("name", sorted(GALLERY))
def test_each_classic_bug_has_its_verdict_and_code(name: str) -> None:
    function, where, what, code = GALLERY[name]
    report = verify_cs231n_file(LAYERS / name)
    assert not report.passed
    others = {s.function for s in report.sections if s.function != function and not s.passed}
    assert others == set()
    section = report.section(function)
    assert not section.passed and function in report.verdict()
    if where == "gradient":
        row = section.report.gradient(what)
        assert (row.passed, row.diagnosis) == (False, code), row.message
    elif where == "check":
        codes = {c.diagnosis for c in section.checks if c.name.startswith(what)}
        assert codes == {code}
    elif where == "forward":
        assert section.report.forward is not None and not section.report.forward.passed
    else:
        assert section.report.error is not None and what in section.report.error


def test_a_wrong_mask_passes_every_gradient_check_but_not_the_statistics() -> None:
    section = verify_cs231n_file(LAYERS / "dropout_normal_mask.py").section("dropout")
    assert section.report.passed and not section.passed
    assert {c.diagnosis for c in section.checks if not c.passed} == {
        "wrong_kept_fraction", "mean_not_preserved"}


def test_4d_x_is_what_catches_the_unflattened_dw() -> None:
    row = verify_cs231n_file(LAYERS / "affine_dw_no_reshape.py").section("affine").report
    assert "2-D x, D != M" not in row.gradient("dw").failing_cases
    assert "4-D x (N, C, H, W)" in row.gradient("dw").failing_cases


def test_missing_pairs_are_skipped_and_extras_ignored() -> None:
    report = verify_cs231n_file(LAYERS / "affine_forward_only.py")
    assert [s.function for s in report.sections] == ["affine", "relu"]
    assert report.section("relu").passed
    assert "affine_forward" not in report.skipped and "affine_backward" in report.skipped
    assert "some_helper_of_mine" not in json.dumps(report.to_json())


def test_json_entries_have_the_per_op_report_shape() -> None:
    data = verify_cs231n_file(LAYERS / "batchnorm_running_not_stored.py").to_json()
    assert data["convention"] == "cs231n" and data["passed"] is False
    (entry,) = data["functions"]
    assert set(VerifyReport("batchnorm").to_json()) <= set(entry)
    assert entry["function"] == "batchnorm" and entry["op"] == "batchnorm"
    assert entry["report_passed"] is True and entry["passed"] is False
    assert {c["diagnosis"] for c in entry["checks"]} >= {"running_stats_not_stored"}
    assert set(data["skipped"]) == set(FUNCTION_NAMES) - {"batchnorm_forward",
                                                          "batchnorm_backward"}


def _module_functions(name: str) -> dict[str, object]:
    _, module = import_file(LAYERS / name)
    return vars(module)


def test_verify_functions_takes_any_callables() -> None:
    functions = _module_functions("correct_layers.py")
    proxies = {n: (lambda f: lambda *a: f(*a))(functions[n])
               for n in ("relu_forward", "relu_backward", "svm_loss")}
    report = verify_functions({**proxies, "not_a_layer": print, "affine_forward": 3})
    assert [s.function for s in report.sections] == ["relu", "svm_loss"] and report.passed
    with pytest.raises(ValueError, match="functions: expected at least one"):
        verify_functions({"forward": print})


def test_same_seed_same_report_and_global_random_state_restored() -> None:
    functions = _module_functions("correct_layers.py")
    subset = {n: functions[n] for n in ("dropout_forward", "dropout_backward")}
    np.random.seed(5)
    before = np.random.get_state()[1].copy()
    first = verify_functions(subset, seed=2).to_json()
    assert np.array_equal(np.random.get_state()[1], before)
    assert verify_functions(subset, seed=2).to_json() == first


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "layers.py"
    path.write_text("import sys\nimport numpy as np\n" + text)
    return path


def test_an_exit_in_student_code_is_that_section_failing(tmp_path: Path) -> None:
    path = _write(tmp_path, "def relu_forward(x):\n    return np.maximum(x, 0), x\n"
                            "def relu_backward(dout, x):\n    sys.exit(0)\n"
                            "def svm_loss(x, y):\n    raise KeyboardInterrupt\n")
    report = verify_cs231n_file(path)
    assert "relu_backward" in (report.section("relu").report.error or "")
    assert "sys.exit(0)" in (report.section("relu").report.error or "")
    assert "KeyboardInterrupt" in (report.section("svm_loss").report.error or "")


def test_the_unbiased_running_variance_is_accepted(tmp_path: Path) -> None:
    source = (LAYERS / "correct_layers.py").read_text()
    changed = source.replace("sample_var = x.var(axis=0)",
                             "sample_var = x.var(axis=0)\n        unbiased = x.var(axis=0, ddof=1)")
    changed = changed.replace("(1 - momentum) * sample_var", "(1 - momentum) * unbiased")
    assert changed != source
    path = tmp_path / "layers.py"
    path.write_text(changed)
    section = verify_cs231n_file(path).section("batchnorm")
    assert section.passed
    assert any("unbiased" in c.message for c in section.checks)


def test_dropout_test_mode_must_be_the_identity(tmp_path: Path) -> None:
    source = (LAYERS / "correct_layers.py").read_text()
    changed = source.replace('    elif mode == "test":\n        out = x\n',
                             '    elif mode == "test":\n        out = x * p\n')
    assert changed != source
    path = tmp_path / "layers.py"
    path.write_text(changed)
    section = verify_cs231n_file(path).section("dropout")
    assert {c.diagnosis for c in section.checks if not c.passed} == {"test_mode_not_identity"}


def test_cli_exit_codes_and_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "r.json"
    args = ["verify", str(LAYERS / "correct_layers.py"), "--convention", "cs231n"]
    assert main([*args, "--json", str(out)]) == 0
    assert len(json.loads(out.read_text())["functions"]) == len(ALL_PAIRS)
    assert main(["verify", str(LAYERS / "relu_dout_passed.py"), "--convention", "cs231n"]) == 1
    assert "missing_activation_derivative" in capsys.readouterr().out


@pytest.mark.parametrize("extra, expected", [
    (["correct_layers.py", "--convention", "torch"], "--convention: expected one of cs231n"),
    (["no_cs231n_functions.py", "--convention", "cs231n"], "none of CS231n's layers.py"),
    (["correct_layers.py", "--convention", "cs231n", "--against", "linear"], "--against"),
])
def test_cli_usage_problems_are_one_line_and_exit_2(extra: list[str], expected: str,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["verify", str(LAYERS / extra[0]), *extra[1:]]) == 2
    err = capsys.readouterr().err.strip()
    assert expected in err and len(err.splitlines()) == 1 and "Traceback" not in err


def test_a_file_with_none_of_the_functions_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="none of CS231n"):
        verify_cs231n_file(LAYERS / "no_cs231n_functions.py")


def test_the_notebook_rendering_has_every_section_and_check() -> None:
    report = verify_cs231n_file(LAYERS / "affine_forward_only.py")
    page = report._repr_html_()
    assert "affine_forward / affine_backward" in page and "relu_forward / relu_backward" in page
    assert "1 of 2 functions wrong (affine)" in page
    section = verify_cs231n_file(LAYERS / "dropout_normal_mask.py")._repr_html_()
    assert "FAIL kept fraction (p = 0.3)" in section


def test_a_notebook_of_layers_is_read_as_its_code_cells(tmp_path: Path) -> None:
    source = (LAYERS / "correct_layers.py").read_text()
    start = source.index("def relu_forward")
    relu = source[start:source.index("def softmax_loss")]
    cells = [{"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None,
              "source": text} for text in ("%matplotlib inline", "import numpy as np", relu)]
    notebook = {"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    path = tmp_path / "layers.ipynb"
    path.write_text(json.dumps(notebook))
    report = verify_cs231n_file(path)
    assert [s.function for s in report.sections] == ["relu"] and report.passed
    assert report.input_notes and "%matplotlib" in report.input_notes[0]
