"""``verify FILE --convention cs231n`` and ``verify FILE --intermediates`` run the student's code
in sandboxed children by default: the same reports as in-process, and hostile files (an
``os._exit`` in a backward, a report forged at import, an endless loop) are failures with
their reason and exit 1, the tool still running."""

from __future__ import annotations

import csv
import json
import time
from pathlib import Path

import pytest

from comparisons.cli.main import main
from comparisons.verification.conventions.cs231n import verify_cs231n_file
from comparisons.verification.conventions.isolated import verify_convention_isolated
from comparisons.verification.intermediates import verify_intermediates_file
from comparisons.verification.intermediates_isolated import verify_intermediates_isolated

HERE = Path(__file__).resolve().parent
LAYERS = HERE / "cs231n_layers"
EXAMPLES = HERE.parent / "comparisons/verification/examples"
NINJA, NINJA_BUG = EXAMPLES / "ninja_mlp.py", EXAMPLES / "ninja_mlp_bug.py"

AFFINE = """
import numpy as np


def affine_forward(x, w, b):
    return x.reshape(x.shape[0], -1) @ w + b, (x, w, b)


def affine_backward(dout, cache):
    x, w, b = cache
    {body}
    return (dout @ w.T).reshape(x.shape), x.reshape(x.shape[0], -1).T @ dout, dout.sum(0)


def relu_forward(x):
    return np.maximum(x, 0), x


def relu_backward(dout, cache):
    return dout * (cache > 0)
"""
FORGE = """
from comparisons.verification.conventions.report import ConventionReport, FunctionSection
from comparisons.verification.report import VerifyReport

VerifyReport.passed = property(lambda self: True)
FunctionSection.passed = property(lambda self: True)
ConventionReport.passed = property(lambda self: True)
print("verdict: PASSED")
"""
SILENT = {"printed": "", "printed_bytes": 0, "refused": []}
"""What only an isolated report has, for a file that prints nothing."""


@pytest.mark.parametrize("name", ["dropout_unseeded.py", "correct_layers.py",
                                  "batchnorm_running_not_stored.py", "max_pool_not_routed.py"])
def test_the_gallery_gives_the_in_process_report_isolated(name: str) -> None:
    isolated = verify_convention_isolated(LAYERS / name, "cs231n").to_json()
    assert isolated == {**verify_cs231n_file(LAYERS / name).to_json(), **SILENT}


def test_an_unseeded_mask_draws_the_same_numbers_run_after_run() -> None:
    runs = [verify_convention_isolated(LAYERS / "dropout_unseeded.py", "cs231n").to_json()
            for _ in range(2)]
    assert runs[0] == runs[1]


def _cli(args: list[str], tmp_path: Path) -> tuple[int, dict[str, object], float]:
    out = tmp_path / "report.json"
    start = time.perf_counter()
    code = main(["verify", *args, "--json", str(out)])
    return code, json.loads(out.read_text()), time.perf_counter() - start


@pytest.mark.parametrize(("body", "reason"), [
    ("import os; os._exit(0)", "ended the process with exit code 0"),
    ("while True: pass", "exceeded the 1 s time limit"),
])
def test_a_hostile_cs231n_backward_fails_its_pair_only(body: str, reason: str,
                                                       tmp_path: Path) -> None:
    path = tmp_path / "layers.py"
    path.write_text(AFFINE.format(body=body))
    code, data, seconds = _cli([str(path), "--convention", "cs231n", "--timeout", "1"],
                               tmp_path)
    sections = {s["function"]: s for s in data["functions"]}  # type: ignore[attr-defined]
    assert code == 1 and data["passed"] is False
    assert reason in sections["affine"]["error"] and not sections["affine"]["passed"]
    assert sections["relu"]["passed"]  # a fresh child: relu is not failed for affine's exit
    assert seconds < 60


def test_a_report_forged_at_import_of_a_cs231n_file_changes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "layers.py"
    path.write_text(FORGE + AFFINE.format(body="dout = 2 * dout"))
    code, data, _ = _cli([str(path), "--convention", "cs231n"], tmp_path)
    affine = data["functions"][0]  # type: ignore[index]
    assert code == 1 and data["passed"] is False and affine["passed"] is False
    assert {g["name"]: g["passed"] for g in affine["gradients"]} == {
        "dx": False, "dw": False, "db": False}


def test_the_ninja_examples_give_the_in_process_report_isolated() -> None:
    for path in (NINJA, NINJA_BUG):
        assert verify_intermediates_isolated(path).to_json() == (
            {**verify_intermediates_file(path).to_json(), **SILENT})


@pytest.mark.parametrize(("tail", "reason"), [
    ("import os\n\n\ndef backward(tensors):\n    os._exit(0)\n",
     "your backward ended the process with exit code 0"),
    ("def backward(tensors):\n    while True:\n        pass\n",
     "your backward exceeded the 1 s time limit"),
])
def test_a_hostile_ninja_backward_fails_with_its_reason(tail: str, reason: str,
                                                        tmp_path: Path) -> None:
    path = tmp_path / "ninja.py"
    path.write_text(NINJA.read_text() + "\n\n" + tail)
    code, data, seconds = _cli([str(path), "--intermediates", "--timeout", "1"], tmp_path)
    assert code == 1 and data["passed"] is False and reason in str(data["error"])
    assert seconds < 60


def test_a_report_forged_at_import_of_a_ninja_file_changes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "ninja.py"
    path.write_text(FORGE + NINJA_BUG.read_text())
    code, data, _ = _cli([str(path), "--intermediates"], tmp_path)
    assert code == 1 and data["passed"] is False
    assert data["first_divergence"] == verify_intermediates_file(NINJA_BUG).first_divergence


def test_in_process_stays_available(tmp_path: Path) -> None:
    out = tmp_path / "r.json"
    assert main(["verify", str(LAYERS / "correct_alt_layers.py"), "--convention", "cs231n",
                 "--in-process", "--json", str(out)]) == 0
    assert main(["verify", str(NINJA_BUG), "--intermediates", "--in-process"]) == 1


def test_grade_runs_cs231n_files_isolated(tmp_path: Path) -> None:
    """A forged report and an os._exit in one student's file: their rows fail, with the
    reason; the correct file next to them gets every point; the grader finishes."""
    folder = tmp_path / "class"
    folder.mkdir()
    (folder / "forger.py").write_text(FORGE + AFFINE.format(body="dout = 2 * dout"))
    (folder / "exiter.py").write_text(AFFINE.format(body="import os; os._exit(0)"))
    (folder / "honest.py").write_text(AFFINE.format(body="pass"))
    rubric = tmp_path / "rubric.toml"
    rubric.write_text('[[item]]\nname = "layers"\nconvention = "cs231n"\n'
                      'points = { affine = 2, relu = 1 }\n')
    assert main(["grade", str(folder), "--rubric", str(rubric), "--out", str(tmp_path / "out"),
                 "--no-progress"]) == 0
    with (tmp_path / "out" / "gradebook.csv").open(encoding="utf-8-sig") as f:
        book = {r["student"]: float(r["score"]) for r in csv.DictReader(f)}
    assert book == {"forger": 1.0, "exiter": 1.0, "honest": 3.0}
    feedback = (tmp_path / "out" / "feedback" / "exiter.md").read_text()
    assert "ended the process with exit code 0" in feedback
