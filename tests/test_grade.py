"""``backprop-lab grade``: a mixed class graded into a gradebook whose scores are recomputed
here from the streamed rows and the rubric; Gradescope's results.json checked field by field
against its specification; the autograder zip run in a simulated /autograder; reruns skip
what is done; bad input is one line and exit 2."""

from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import tomllib

from comparisons.cli.main import main
from comparisons.grading.labs import lab_exercises

ROOT = Path(__file__).resolve().parent.parent
CORRECT = sorted((ROOT / "tests" / "verify_correct").glob("two_layer_*.py"))
BUGS = sorted((ROOT / "tests" / "verify_gallery").glob("two_layer_*.py"))
HOSTILE = {
    "raises": "OP = 'two_layer'\ndef forward(X, Y, W1, W2, lam):\n    return (X @ W1.T).sum(), X\n"
              "def backward(dJ, cache):\n    raise RuntimeError('not written yet')\n",
    "hangs": "OP = 'two_layer'\ndef forward(X, Y, W1, W2, lam):\n    return (X @ W1.T).sum(), X\n"
             "def backward(dJ, cache):\n    while True:\n        pass\n",
    "exits": "import os\nOP = 'two_layer'\ndef forward(X, Y, W1, W2, lam):\n    os._exit(0)\n"
             "def backward(dJ, cache):\n    return {}\n",
    "forges": "from comparisons.verification.report import VerifyReport\n"
              "VerifyReport.passed = property(lambda self: True)\n"
              "OP = 'two_layer'\ndef forward(X, Y, W1, W2, lam):\n    return (X @ W1.T).sum(), X\n"
              "def backward(dJ, cache):\n    return {}\n",
}
RUBRIC = """title = "HW 3"
seed = 3
timeout = 4

[[item]]
name = "network"
op = "two_layer"
file = "*.py"
points = { dW1 = 3, dW2 = 2, do = 1, forward = 1 }

[[item]]
name = "network, hidden cases"
op = "two_layer"
file = "*.py"
points = 2
hidden = true
seed = 1234
"""
# Gradescope's autograder specification, results.json: the fields it defines.
TOP_FIELDS = {"score", "execution_time", "output", "output_format", "test_output_format",
              "test_name_format", "visibility", "stdout_visibility", "extra_data", "tests",
              "leaderboard"}
TEST_FIELDS = {"score", "max_score", "status", "name", "name_format", "number", "output",
               "output_format", "tags", "visibility", "extra_data"}
VISIBILITY = {"hidden", "after_due_date", "after_published", "visible"}
FORMATS = {"text", "html", "simple_format", "md", "ansi"}


def make_class(folder: Path) -> dict[str, str]:
    """Students as files and as folders: every correct and planted-bug two-layer file, three
    hostile ones. Returns student -> kind."""
    folder.mkdir(parents=True)
    kinds = {}
    for i, path in enumerate(CORRECT[:6]):
        student = f"ok{i}"
        if i % 2:
            (folder / student).mkdir()
            shutil.copy(path, folder / student / "network.py")
        else:
            shutil.copy(path, folder / f"{student}.py")
        kinds[student] = "correct"
    for path in BUGS:
        shutil.copy(path, folder / f"bug_{path.stem}.py")
        kinds[f"bug_{path.stem}"] = "bug"
    for name, text in HOSTILE.items():
        (folder / f"{name}.py").write_text(text)
        kinds[name] = name
    return kinds


@pytest.fixture(scope="module")
def graded(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    base = tmp_path_factory.mktemp("grade")
    kinds = make_class(base / "class")
    (base / "rubric.toml").write_text(RUBRIC)
    code = main(["grade", str(base / "class"), "--rubric", str(base / "rubric.toml"),
                 "--out", str(base / "out"), "--jobs", "2", "--no-progress"])
    return {"base": base, "kinds": kinds, "code": code, "out": base / "out"}


def read_rows(out: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (out / "results.jsonl").read_text().splitlines()]


def expected_score(row: dict[str, Any], item: dict[str, Any]) -> float:
    """A row's points recomputed from its verify report and the rubric's item alone."""
    report = row["report"]
    if report is None or report["error"] is not None:
        return 0.0
    if not isinstance(item["points"], dict):
        return float(item["points"]) if report["passed"] else 0.0
    total = 0.0
    for name, pts in item["points"].items():
        if name == "forward":
            total += pts if report["forward"]["passed"] else 0.0
            continue
        g = next(g for g in report["gradients"] if g["name"] == name)
        total += pts if g["passed"] and g["fd"] != "FAIL" else 0.0
    return total


def test_gradebook_scores_are_recomputed_from_the_rows_and_the_rubric(graded) -> None:
    assert graded["code"] == 0
    rubric = tomllib.loads(RUBRIC)
    items = {i["name"]: i for i in rubric["item"]}
    full = sum(sum(i["points"].values()) if isinstance(i["points"], dict) else i["points"]
               for i in rubric["item"])
    rows = read_rows(graded["out"])
    assert len(rows) == len(graded["kinds"]) * len(items)
    expected: dict[str, float] = {}
    for row in rows:
        expected[row["student"]] = expected.get(row["student"], 0.0) + expected_score(
            row, items[row["item"]])
    with (graded["out"] / "gradebook.csv").open(encoding="utf-8-sig") as f:
        book = list(csv.DictReader(f))
    assert [r["student"] for r in book] == sorted(graded["kinds"])
    for r in book:
        assert float(r["score"]) == expected[r["student"]], r
        assert float(r["max"]) == full
        assert set(r) == {"student", "score", "max", "status", *items}
    status = {r["student"]: r["status"] for r in book}
    for student, kind in graded["kinds"].items():
        if kind == "correct":  # a false alarm on correct code is the worst bug
            assert status[student] == "passed" and expected[student] == full, student
        elif kind == "bug":
            assert status[student] == "failed" and expected[student] < full, student
    assert status["raises"] == "error" and status["hangs"] == "timeout"
    assert status["exits"] == "crashed"
    assert status["forges"] == "failed" and expected["forges"] == 0  # the verdict is ours
    hang = next(r for r in rows if r["student"] == "hangs")
    assert "exceeded the 4 s" in hang["reason"] and "time limit" in hang["reason"]
    assert 4 <= hang["elapsed"] < 8  # killed at the limit, not when it would have ended


def test_planted_bugs_are_named_in_rows_and_in_the_class_chart(graded) -> None:
    rows = read_rows(graded["out"])
    grades = json.loads((graded["out"] / "grades.json").read_text())
    for path in BUGS:
        text = path.read_text()
        expect = eval(text.split("EXPECT = ", 1)[1].splitlines()[0])  # the file's own EXPECT
        row = next(r for r in rows if r["student"] == f"bug_{path.stem}"
                   and r["item"] == "network")
        got = {g["name"]: g["diagnosis"] for g in row["report"]["gradients"]}
        assert all(got[k] == v for k, v in expect.items()), (path.name, got)
        assert set(expect.values()) <= set(row["codes"]) | {"unknown"}
        for code in row["codes"]:
            assert grades["diagnoses"][code] >= 1
    html = (graded["out"] / "summary.html").read_text()
    assert html.count("<svg") == 2 and html.count("data:image/png;base64,") == 2
    assert (graded["out"] / "figures" / "diagnoses.svg").exists()


def test_feedback_shows_the_diagnosis_and_hides_hidden_cases(graded) -> None:
    md = (graded["out"] / "feedback" / "bug_two_layer_no_l2.md").read_text()
    public, hidden = md.split("## network, hidden cases", 1)
    assert "missing_l2_term" in public and "first divergence" in public
    assert "case minibatch" in public
    assert "missing_l2_term" in hidden  # the code, not the cases it was found in
    assert "case " not in hidden and "first divergence" not in hidden and "lam" not in hidden
    page = (graded["out"] / "feedback" / "bug_two_layer_no_l2.html").read_text()
    assert "<table>" in page and "missing_l2_term" in page


def validate_results_json(data: dict[str, Any], hidden_names: set[str]) -> None:
    """Every field as Gradescope's autograder specification defines it."""
    assert set(data) <= TOP_FIELDS, set(data) - TOP_FIELDS
    assert isinstance(data["score"], float)
    assert isinstance(data["execution_time"], int) and data["execution_time"] >= 0
    assert isinstance(data["output"], str) and data["output_format"] in FORMATS
    assert data.get("stdout_visibility", "hidden") in VISIBILITY
    assert data["tests"], "tests"
    for t in data["tests"]:
        assert set(t) <= TEST_FIELDS, set(t) - TEST_FIELDS
        assert isinstance(t["name"], str) and isinstance(t["number"], str)
        assert isinstance(t["score"], float) and isinstance(t["max_score"], float)
        assert 0 <= t["score"] <= t["max_score"]
        assert t["status"] in ("passed", "failed")
        assert (t["status"] == "passed") == (t["score"] == t["max_score"])
        assert isinstance(t["output"], str) and t["output_format"] == "md"
        want = "after_due_date" if t["name"] in hidden_names else "visible"
        assert t["visibility"] == want, t["name"]
    assert data["score"] == sum(t["score"] for t in data["tests"])


def test_results_json_follows_gradescopes_specification(tmp_path: Path) -> None:
    sub = tmp_path / "submission"
    sub.mkdir()
    shutil.copy(BUGS[0], sub / "network.py")
    (tmp_path / "rubric.toml").write_text(RUBRIC)
    results = tmp_path / "results" / "results.json"
    code = main(["grade", str(sub), "--rubric", str(tmp_path / "rubric.toml"), "--out",
                 str(tmp_path / "out"), "--gradescope", str(results), "--no-progress"])
    assert code == 0
    data = json.loads(results.read_text())
    validate_results_json(data, {"network, hidden cases"})
    names = [t["name"] for t in data["tests"]]
    assert names == ["network: dW1", "network: dW2", "network: do", "network: forward",
                     "network, hidden cases"]
    row = next(r for r in read_rows(tmp_path / "out") if r["item"] == "network")
    assert [t["score"] for t in data["tests"][:4]] == [t["score"] for t in row["tests"]]


def simulated_autograder(tmp_path: Path, rubric: str,
                         submit: Callable[[Path], None]) -> dict[str, Any]:
    """``grade --gradescope-bundle`` of ``rubric``, its zip unpacked under a simulated
    ``/autograder`` root, ``submit(root / "submission")`` filling the submission, and its
    ``run_autograder`` run there: the results.json it wrote (the zip at ``tmp_path /
    "bundle" / "autograder.zip"``)."""
    (tmp_path / "rubric.toml").write_text(rubric)
    assert main(["grade", "--gradescope-bundle", str(tmp_path / "rubric.toml"), "--out",
                 str(tmp_path / "bundle")]) == 0
    root = tmp_path / "autograder"
    with zipfile.ZipFile(tmp_path / "bundle" / "autograder.zip") as z:
        z.extractall(root / "source")
    shutil.copy(root / "source" / "run_autograder", root / "run_autograder")
    (root / "submission").mkdir()
    submit(root / "submission")
    env = {**os.environ, "AUTOGRADER_ROOT": str(root),
           "BACKPROP_LAB": f"{sys.executable} -m comparisons"}
    done = subprocess.run(["bash", str(root / "run_autograder")], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    results: dict[str, Any] = json.loads((root / "results" / "results.json").read_text())
    return results


def test_the_autograder_zip_runs_in_a_simulated_gradescope_root(tmp_path: Path) -> None:
    data = simulated_autograder(tmp_path, RUBRIC, lambda submission: shutil.copy(
        CORRECT[0], submission / "network.py"))
    with zipfile.ZipFile(tmp_path / "bundle" / "autograder.zip") as z:
        names = set(z.namelist())
        assert {"setup.sh", "run_autograder", "rubric.toml"} <= names  # at the zip's root
        assert "backprop-lab/pyproject.toml" in names
        assert (z.getinfo("run_autograder").external_attr >> 16) & 0o111
    validate_results_json(data, {"network, hidden cases"})
    assert data["score"] == 9.0 and all(t["status"] == "passed" for t in data["tests"])


def test_a_rerun_skips_what_is_done_and_regrades_what_changed(tmp_path: Path) -> None:
    folder = tmp_path / "class"
    folder.mkdir()
    shutil.copy(CORRECT[0], folder / "a.py")
    shutil.copy(BUGS[0], folder / "b.py")
    args = ["grade", str(folder), "--against", "two_layer", "--out", str(tmp_path / "out"),
            "--no-progress"]
    assert main(args) == 0
    first = (tmp_path / "out" / "results.jsonl").read_text()
    assert len(first.splitlines()) == 2
    assert main(args) == 0
    assert (tmp_path / "out" / "results.jsonl").read_text() == first  # nothing regraded
    shutil.copy(CORRECT[1], folder / "b.py")  # b resubmits a correct file
    with (tmp_path / "out" / "results.jsonl").open("a") as f:
        f.write('{"key": "torn')  # a crash mid-line
    assert main(args) == 0
    rows = read_rows_tolerant(tmp_path / "out")
    assert sorted(r["student"] for r in rows[:2]) == ["a", "b"]
    assert [r["student"] for r in rows[2:]] == ["b"]  # only the changed file is graded again
    with (tmp_path / "out" / "gradebook.csv").open(encoding="utf-8-sig") as f:
        assert [r["status"] for r in csv.DictReader(f)] == ["passed", "passed"]


def read_rows_tolerant(out: Path) -> list[dict[str, Any]]:
    rows = []
    for line in (out / "results.jsonl").read_text().splitlines():
        try:
            rows.append(json.loads(line))
        except json.JSONDecodeError:
            continue
    return rows


def test_a_zip_of_the_class_grades_like_the_folder(tmp_path: Path) -> None:
    with zipfile.ZipFile(tmp_path / "class.zip", "w") as z:
        z.write(CORRECT[0], "hw3/alice.py")
        z.write(BUGS[0], "hw3/bob/network.py")
    assert main(["grade", str(tmp_path / "class.zip"), "--against", "two_layer", "--out",
                 str(tmp_path / "out"), "--no-progress"]) == 0
    with (tmp_path / "out" / "gradebook.csv").open(encoding="utf-8-sig") as f:
        book = {r["student"]: r["status"] for r in csv.DictReader(f)}
    assert book == {"alice": "passed", "bob": "failed"}


CS231N_RUBRIC = """[[item]]
name = "layers"
convention = "cs231n"
points = { affine = 2, relu = 1, dropout = 1, softmax_loss = 2 }
"""


def test_a_cs231n_class_is_graded_per_function(tmp_path: Path) -> None:
    gallery = ROOT / "tests" / "cs231n_layers"
    folder = tmp_path / "class"
    folder.mkdir()
    for name in ("correct_layers", "correct_alt_layers", "affine_db_not_summed",
                 "relu_dout_passed", "dropout_not_divided"):
        shutil.copy(gallery / f"{name}.py", folder / f"{name}.py")
    (tmp_path / "rubric.toml").write_text(CS231N_RUBRIC)
    assert main(["grade", str(folder), "--rubric", str(tmp_path / "rubric.toml"), "--out",
                 str(tmp_path / "out"), "--no-progress"]) == 0
    points = tomllib.loads(CS231N_RUBRIC)["item"][0]["points"]
    with (tmp_path / "out" / "gradebook.csv").open(encoding="utf-8-sig") as f:
        book = {r["student"]: float(r["score"]) for r in csv.DictReader(f)}
    for row in read_rows(tmp_path / "out"):
        found = {s["function"]: s for s in row["report"]["functions"]}
        score = sum(p for name, p in points.items() if name in found and found[name]["passed"])
        assert book[row["student"]] == score, row["student"]
    assert book["correct_layers"] == book["correct_alt_layers"] == sum(points.values())
    assert book["affine_db_not_summed"] == 0 and book["relu_dout_passed"] == 0
    md = (tmp_path / "out" / "feedback" / "dropout_not_divided.md").read_text()
    assert "mask_not_divided" in md and "convention cs231n" in md


def test_no_import_refuses_the_projects_own_solution(tmp_path: Path) -> None:
    folder = tmp_path / "class"
    folder.mkdir()
    (folder / "copier.py").write_text("OP = 'two_layer'\nfrom handmade import "
                                      "two_layer_forward as forward, two_layer_backward as "
                                      "backward\n")
    base = ["grade", str(folder), "--against", "two_layer", "--no-progress"]
    assert main([*base, "--out", str(tmp_path / "allowed")]) == 0
    assert main([*base, "--out", str(tmp_path / "refused"), "--no-import",
                 "handmade,reference"]) == 0
    allowed, refused = (read_rows(tmp_path / d)[0] for d in ("allowed", "refused"))
    assert allowed["status"] == "passed"  # self-checking against the solution is allowed
    assert refused["status"] == "error" and refused["score"] == 0, refused["reason"]


LAB = "01_forward_backward"
LAB_RUBRIC = f"""[[item]]
name = "lab 1"
lab = "{LAB}"
points = {{ linear = 2, two_layer = 3 }}
"""


def student_notebook(path: Path, solved: set[str], forged_checks: bool = False) -> None:
    """The shipped lab with the exercises ``solved`` written from the solutions file; with
    ``forged_checks`` every check cell prints its own 'correct' line instead."""
    nb = json.loads((ROOT / "notebooks" / f"{LAB}.ipynb").read_text())
    text = (ROOT / "notebooks" / "solutions" / f"{LAB}.py").read_text()
    blocks = {b.split("\n", 1)[0].strip(): b.split("\n", 1)[1]
              for b in text.split("# %% solution ")[1:]}
    for cell in nb["cells"]:
        meta = cell.get("metadata", {})
        ident, tags = meta.get("exercise"), meta.get("tags", [])
        if "exercise" in tags and ident in solved:
            cell["source"] = blocks[ident]
        if "check" in tags and forged_checks:
            cell["source"] = f"print('[check {ident}] correct: all gradients are right')"
    path.write_text(json.dumps(nb))


def test_a_lab_is_graded_per_exercise_and_edited_checks_change_nothing(tmp_path: Path) -> None:
    folder = tmp_path / "class"
    folder.mkdir()
    student_notebook(folder / "solved.ipynb", {"linear", "two_layer"})
    student_notebook(folder / "half.ipynb", {"linear"})
    student_notebook(folder / "forger.ipynb", set(), forged_checks=True)
    (folder / "in_folder").mkdir()
    student_notebook(folder / "in_folder" / f"{LAB}.ipynb", {"two_layer"}, forged_checks=True)
    (tmp_path / "rubric.toml").write_text(LAB_RUBRIC)
    assert main(["grade", str(folder), "--rubric", str(tmp_path / "rubric.toml"), "--out",
                 str(tmp_path / "out"), "--no-progress"]) == 0
    with (tmp_path / "out" / "gradebook.csv").open(encoding="utf-8-sig") as f:
        book = {r["student"]: float(r["score"]) for r in csv.DictReader(f)}
    assert book == {"solved": 5.0, "half": 2.0, "forger": 0.0, "in_folder": 3.0}
    rows = {r["student"]: r for r in read_rows(tmp_path / "out")}
    wrong = {t["name"]: t["diagnosis"] for t in rows["forger"]["tests"]}
    assert wrong["linear"] not in (None, "error", "missing_function"), wrong


@pytest.mark.parametrize("extra, needle", [
    (["--jobs", "0"], "--jobs"), (["--jobs", "-1"], "--jobs"), (["--jobs", "abc"], "--jobs"),
    (["--timeout", "0"], "--timeout"), (["--no-import", "a b"], "--no-import"),
    (["--no-import", "handmade", "--no-isolation"], "--no-import"),  # could not be enforced
])
def test_bad_options_are_one_line_and_exit_2(tmp_path: Path, capsys, extra, needle) -> None:
    (tmp_path / "a.py").write_text("x = 1\n")
    code = main(["grade", str(tmp_path), "--against", "two_layer", "--out",
                 str(tmp_path / "out"), *extra])
    err = capsys.readouterr().err.strip()
    assert code == 2 and needle in err and len(err.splitlines()) == 1, err
    assert not (tmp_path / "out").exists()


def test_bad_input_is_one_line_and_exit_2_before_any_run(tmp_path: Path, capsys) -> None:
    (tmp_path / "empty").mkdir()
    (tmp_path / "class").mkdir()
    (tmp_path / "class" / "a.py").write_text("x = 1\n")
    (tmp_path / "bad.toml").write_text(RUBRIC.replace("points = 2", "pionts = 2"))
    (tmp_path / "cs.toml").write_text(CS231N_RUBRIC.replace("affine", "afine"))
    (tmp_path / "file").write_text("")
    cases = [
        (["grade", str(tmp_path / "nope"), "--against", "two_layer"], "no such file"),
        (["grade", str(tmp_path / "empty"), "--against", "two_layer"], "no .py file"),
        (["grade", str(tmp_path / "class"), "--rubric", str(tmp_path / "bad.toml")], "pionts"),
        (["grade", str(tmp_path / "class"), "--against", "nope"], "--against"),
        (["grade", str(tmp_path / "class"), "--rubric", str(tmp_path / "cs.toml")], "afine"),
        (["grade", str(tmp_path / "class"), "--convention", "nope"], "--convention"),
        (["grade", str(tmp_path / "class")], "--rubric"),
        (["grade", str(tmp_path / "class"), "--against", "two_layer", "--out",
          str(tmp_path / "file")], "--out"),
    ]
    for args, needle in cases:
        code = main([*args, "--no-progress"] if "--out" in args else
                    [*args, "--out", str(tmp_path / "out"), "--no-progress"])
        err = capsys.readouterr().err.strip()
        assert code == 2 and needle in err and len(err.splitlines()) == 1, (args, err)
    assert not (tmp_path / "out" / "results.jsonl").exists()


def test_an_all_or_nothing_lab_item_needs_every_exercise(tmp_path: Path) -> None:
    """``points = 6`` for a lab: full marks only when every exercise of the lab passes (it
    gave 6 to anyone: no exercise was checked, and all of none passed)."""
    exercises = tuple(lab_exercises(LAB)[0])
    folder = tmp_path / "class"
    folder.mkdir()
    student_notebook(folder / "all.ipynb", set(exercises))
    student_notebook(folder / "half.ipynb", {"linear", "two_layer"})
    student_notebook(folder / "none.ipynb", set())
    (tmp_path / "rubric.toml").write_text(f'[[item]]\nlab = "{LAB}"\npoints = 6\n')
    assert main(["grade", str(folder), "--rubric", str(tmp_path / "rubric.toml"), "--out",
                 str(tmp_path / "out"), "--no-progress"]) == 0
    with (tmp_path / "out" / "gradebook.csv").open(encoding="utf-8-sig") as f:
        scores = {r["student"]: float(r["score"]) for r in csv.DictReader(f)}
    assert scores == {"all": 6.0, "half": 0.0, "none": 0.0}
    rows = [json.loads(line) for line in (tmp_path / "out" / "results.jsonl").read_text()
            .splitlines()]
    graded = {r["student"]: {f["function"] for f in r["report"]["functions"]} for r in rows}
    assert graded == dict.fromkeys(scores, set(exercises))  # every exercise was checked
