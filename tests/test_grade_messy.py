"""``backprop-lab grade`` on classes as LMSs and students really produce them: Canvas's,
Blackboard's and Moodle's export names, macOS's ``__MACOSX/._x.py``, a UTF-8 BOM, a Latin-1
file, a notebook where a .py was asked for (and a .py holding a notebook's JSON), symbolic
links leading out of a submission, a zip bomb, a corrupt zip, a rerun on a new zip, the output
folder inside the class, Gradescope submissions that are a zip, a nested folder, a notebook.
Each graded as an instructor needs it: the right status and a reason a student can act on, or
one line and exit 2 for the instructor's bad input."""

from __future__ import annotations

import csv
import dataclasses
import json
import os
import zipfile
from pathlib import Path
from typing import Any

import pytest
from test_grade import simulated_autograder

from comparisons.cli.main import main
from comparisons.grading import unzip
from comparisons.grading.rubric import rubric_for_op
from comparisons.grading.submissions import discover, feedback_names, file_for

ROOT = Path(__file__).resolve().parent.parent
CORRECT = sorted((ROOT / "tests" / "verify_correct").glob("two_layer_*.py"))[0]
OK = CORRECT.read_text(encoding="utf-8")
BUG = (ROOT / "tests" / "verify_gallery" / "two_layer_no_l2.py").read_text(encoding="utf-8")
ITEM = rubric_for_op("two_layer").items[0]


def notebook(source: str) -> str:
    """A notebook (nbformat 4) of one code cell."""
    cell = {"cell_type": "code", "source": source.splitlines(True), "metadata": {},
            "outputs": [], "execution_count": None}
    return json.dumps({"cells": [cell], "metadata": {}, "nbformat": 4, "nbformat_minor": 5})


def ascii_ok() -> str:
    return OK.encode("ascii", "replace").decode("ascii")


def book(out: Path) -> dict[str, dict[str, str]]:
    with (out / "gradebook.csv").open(encoding="utf-8-sig") as f:
        return {r["student"]: r for r in csv.DictReader(f)}


def rows(out: Path) -> dict[str, dict[str, Any]]:
    lines = (out / "results.jsonl").read_text(encoding="utf-8").splitlines()
    return {r["student"]: r for r in map(json.loads, lines)}


def make_odd_class(folder: Path, outside: Path) -> None:
    folder.mkdir(parents=True)
    outside.mkdir()
    (outside / "two_layer.py").write_text(OK, encoding="utf-8")
    (folder / "bom.py").write_bytes(b"\xef\xbb\xbf" + OK.replace("\n", "\r\n").encode())
    (folder / "cookie.py").write_bytes(
        ("# -*- coding: latin-1 -*-\n# caf\xe9\n" + ascii_ok()).encode("latin-1"))
    (folder / "latin.py").write_bytes(("# caf\xe9\n" + ascii_ok()).encode("latin-1"))
    (folder / "nbjson.py").write_text(notebook(OK), encoding="utf-8")
    os.symlink(outside / "two_layer.py", folder / "linked.py")
    (folder / "linkdir").mkdir()
    os.symlink(outside / "two_layer.py", folder / "linkdir" / "two_layer.py")
    (folder / "nb" / ".ipynb_checkpoints").mkdir(parents=True)
    (folder / "nb" / "two_layer.ipynb").write_text(notebook(OK), encoding="utf-8")
    (folder / "nb" / ".ipynb_checkpoints" / "two_layer-checkpoint.ipynb").write_text(
        notebook(BUG), encoding="utf-8")
    (folder / "Alice.py").write_text(OK, encoding="utf-8")
    (folder / "alice.py").write_text(BUG, encoding="utf-8")
    moodle = folder / "José Núñez_7_assignsubmission_file_"
    moodle.mkdir()
    (moodle / "two_layer.py").write_text(OK, encoding="utf-8")
    text = folder / "José Núñez_7_assignsubmission_onlinetext_"
    text.mkdir()
    (text / "onlinetext.html").write_text("<p>see my file</p>", encoding="utf-8")


@pytest.fixture(scope="module")
def odd(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """One class of odd files graded twice, its --out inside the class's folder."""
    base = tmp_path_factory.mktemp("odd")
    make_odd_class(base / "class", base / "outside")
    out = base / "class" / "grades"
    args = ["grade", str(base / "class"), "--against", "two_layer", "--out", str(out),
            "--jobs", "2", "--timeout", "10", "--no-progress"]
    codes = [main(args), main(args)]
    return {"codes": codes, "out": out, "book": book(out), "rows": rows(out)}


def test_odd_files_are_graded_as_python_reads_them(odd) -> None:
    assert odd["codes"] == [0, 0]
    status = {s: r["status"] for s, r in odd["book"].items()}
    # a BOM (Notepad's UTF-8) with CRLF, a coding: line, a notebook where a .py was asked for
    assert status["bom"] == status["cookie"] == status["nb"] == "passed", odd["rows"]
    assert odd["rows"]["nb"]["file"].endswith("nb/two_layer.ipynb")  # not the checkpoint
    assert status["Alice"] == "passed" and status["alice"] == "failed"
    latin = odd["rows"]["latin"]
    assert latin["status"] == "error" and "UTF-8" in latin["reason"], latin["reason"]


def test_a_notebook_saved_as_py_is_said_so(odd) -> None:
    row = odd["rows"]["nbjson"]
    assert row["score"] == 0 and "Jupyter notebook" in row["reason"], row["reason"]
    assert ".ipynb" in (odd["out"] / "feedback" / "nbjson.md").read_text(encoding="utf-8")


def test_symbolic_links_out_of_a_submission_are_refused(odd) -> None:
    for student in ("linked", "linkdir"):  # each would pass: the file it points at is right
        row = odd["rows"][student]
        assert row["score"] == 0 and row["status"] == "missing", row
        assert "symbolic link" in row["reason"], row["reason"]


def test_moodle_folders_and_the_output_folder_are_not_students(odd) -> None:
    assert odd["book"]["José Núñez_7"]["status"] == "passed"
    assert not any("assignsubmission" in s for s in odd["book"])
    assert "grades" not in odd["book"]  # --out inside SUBMISSIONS, graded twice


def test_feedback_files_do_not_clash_on_a_case_insensitive_disk(odd) -> None:
    names = [p.name.casefold() for p in (odd["out"] / "feedback").glob("*.md")]
    assert len(names) == len(set(names)) == len(odd["book"])
    long = feedback_names(["李" * 200, "x" * 300, "a b", "a_b"])
    assert all(len(f"{n}.html".encode()) <= 255 for n in long.values())
    assert len({n.casefold() for n in long.values()}) == 4


def canvas_zip(path: Path) -> None:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("smithjane_12345_67890_two_layer.py", OK)
        z.writestr("smithjane_12345_67890_notes.txt", "my notes")
        z.writestr("doejohn_LATE_23456_78901_two_layer.py", BUG)
        z.writestr("doejohn_LATE_23456_78905_two_layer-1.py", OK)  # uploaded again, later
        z.writestr("leemary_345_678_report.pdf", b"%PDF-1.4")
        z.writestr("__MACOSX/._smithjane_12345_67890_two_layer.py", b"\x00\x05\x16\x07")
        z.writestr(".DS_Store", b"\x00\x00\x00\x01Bud1")


def test_a_canvas_export_is_one_student_per_person_with_their_files_names(
        tmp_path: Path) -> None:
    canvas_zip(tmp_path / "canvas.zip")
    (tmp_path / "rubric.toml").write_text('timeout = 10\n[[item]]\nop = "two_layer"\n'
                                          'file = "two_layer.py"\npoints = 2\n')
    args = ["grade", str(tmp_path / "canvas.zip"), "--rubric", str(tmp_path / "rubric.toml"),
            "--out", str(tmp_path / "out"), "--jobs", "2", "--no-progress"]
    assert main(args) == 0
    graded = book(tmp_path / "out")
    assert {s: r["status"] for s, r in graded.items()} == {
        "doejohn_23456": "passed", "leemary_345": "missing", "smithjane_12345": "passed"}
    first = (tmp_path / "out" / "results.jsonl").read_text(encoding="utf-8")
    assert main(args) == 0  # extracted again: the same files, nothing regraded
    assert (tmp_path / "out" / "results.jsonl").read_text(encoding="utf-8") == first


def test_an_export_unzipped_beside_its_zip_is_still_one_student_per_person(
        tmp_path: Path) -> None:
    canvas_zip(tmp_path / "submissions.zip")
    with zipfile.ZipFile(tmp_path / "submissions.zip") as z:
        z.extractall(tmp_path)  # the instructor unzipped it where it was
    subs = [s.student for s in discover(tmp_path, tmp_path / "out" / ".submissions")]
    assert subs == ["doejohn_23456", "leemary_345", "smithjane_12345"]
    (tmp_path / "grading_notes.py").write_text("x = 1\n")  # not an export's: no layout
    subs = [s.student for s in discover(tmp_path, tmp_path / "out" / ".submissions")]
    assert "submissions" not in subs and "grading_notes" in subs  # .py files: zips aside


def test_blackboard_keeps_each_students_latest_attempt(tmp_path: Path) -> None:
    stamp = "Homework 3_{}_attempt_2026-12-0{}-10-22-33"
    (tmp_path / (stamp.format("jsmith", 1) + "_two_layer.py")).write_text(BUG)
    (tmp_path / (stamp.format("jsmith", 2) + "_two_layer.py")).write_text(OK)
    (tmp_path / (stamp.format("jsmith", 2) + ".txt")).write_text("receipt")
    (tmp_path / (stamp.format("bwong", 1) + ".txt")).write_text("receipt")  # nothing sent
    subs = {s.student: s for s in discover(tmp_path, tmp_path / "out" / ".submissions")}
    assert sorted(subs) == ["bwong", "jsmith"]
    path, _ = file_for(subs["jsmith"], ITEM)
    assert path is not None and path.name == "two_layer.py" and path.read_text() == OK
    assert file_for(subs["bwong"], ITEM) == (None, "no .py or .ipynb file in the submission")


def test_macos_and_jupyter_leftovers_do_not_count_as_files(tmp_path: Path) -> None:
    sub = tmp_path / "class" / "ana"
    (sub / "__MACOSX" / "hw3").mkdir(parents=True)
    (sub / "hw3" / ".ipynb_checkpoints").mkdir(parents=True)
    (sub / "hw3" / "two_layer.py").write_text(OK)
    (sub / "__MACOSX" / "hw3" / "._two_layer.py").write_bytes(b"\x00\x05\x16\x07")
    (sub / "hw3" / ".ipynb_checkpoints" / "two_layer-checkpoint.py").write_text(BUG)
    (sub / "hw3" / "._helpers.py").write_bytes(b"\x00\x05")
    [found] = discover(tmp_path / "class", tmp_path / "out")
    glob = dataclasses.replace(ITEM, file="*.py")
    assert file_for(found, glob) == (sub / "hw3" / "two_layer.py", None)
    (sub / "hw3" / "two_layer.py").rename(sub / "hw3" / "net.py")
    (sub / "hw3" / "helpers.py").write_text("x = 1\n")
    path, reason = file_for(found, ITEM)
    assert path is None and "hw3/helpers.py, hw3/net.py" in reason, reason
    assert "name the one to grade two_layer.py" in reason, reason
    path, reason = file_for(found, dataclasses.replace(ITEM, file="two_layer.py"))
    assert path is None and "it holds hw3/helpers.py, hw3/net.py" in reason, reason


def test_a_rerun_on_a_new_zip_forgets_the_old_ones_students(tmp_path: Path) -> None:
    for name, students in (("old.zip", ("ana", "ben")), ("new.zip", ("ana",))):
        with zipfile.ZipFile(tmp_path / name, "w") as z:
            for s in students:
                z.writestr(f"hw3/{s}/notes.txt", "no code yet")
    scratch = tmp_path / "out" / ".submissions"
    assert [s.student for s in discover(tmp_path / "old.zip", scratch)] == ["ana", "ben"]
    assert [s.student for s in discover(tmp_path / "new.zip", scratch)] == ["ana"]


def corrupt_zip(path: Path) -> None:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("ana.py", OK * 20)
    data = bytearray(path.read_bytes())
    data[60:90] = b"\xff" * 30  # inside the deflated stream
    path.write_bytes(bytes(data))


def bomb_zip(path: Path) -> None:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("ana.py", OK)
        z.writestr("big.bin", b"\0" * (8 << 20))  # 8 MiB in ~8 KiB


@pytest.mark.parametrize("build, needle", [
    (corrupt_zip, "cannot be extracted"),
    (bomb_zip, "zip bomb"),
    (lambda p: zipfile.ZipFile(p, "w").writestr("..\\..\\evil.py", "x = 1"), "outside"),
    (lambda p: zipfile.ZipFile(p, "w").writestr("a" * 300 + ".py", "x = 1"), "aaaa"),
])
def test_a_bad_zip_is_one_line_exit_2_and_leaves_nothing(tmp_path: Path, capsys, monkeypatch,
                                                         build, needle) -> None:
    monkeypatch.setattr(unzip, "MAX_UNZIPPED", 1 << 20)
    build(tmp_path / "class.zip")
    code = main(["grade", str(tmp_path / "class.zip"), "--against", "two_layer", "--out",
                 str(tmp_path / "out"), "--no-progress"])
    err = capsys.readouterr().err.strip()
    assert code == 2 and needle in err and len(err.splitlines()) == 1, err
    assert not any(p.is_file() for p in (tmp_path / "out").rglob("*"))
    assert not list(tmp_path.parent.glob("evil.py"))


def test_out_cannot_be_the_class_folder_itself(tmp_path: Path, capsys) -> None:
    (tmp_path / "ana.py").write_text(OK)
    code = main(["grade", str(tmp_path), "--against", "two_layer", "--out", str(tmp_path),
                 "--no-progress"])
    err = capsys.readouterr().err.strip()
    assert code == 2 and "--out" in err and len(err.splitlines()) == 1, err
    assert not (tmp_path / "results.jsonl").exists()


def test_a_class_of_zips_is_graded_from_each_students_zip(tmp_path: Path, capsys,
                                                          monkeypatch) -> None:
    monkeypatch.setattr(unzip, "STUDENT_UNZIPPED", 1 << 20)
    (tmp_path / "class").mkdir()
    with zipfile.ZipFile(tmp_path / "class" / "ana.zip", "w") as z:
        z.writestr("hw3/two_layer.py", OK)
        z.writestr("__MACOSX/hw3/._two_layer.py", b"\x00\x05")
    bomb_zip(tmp_path / "class" / "ben.zip")
    with zipfile.ZipFile(tmp_path / "class" / "cy.zip", "w") as z:
        z.writestr("../../cy_was_here.py", "x = 1")
    (tmp_path / "class" / "dee").mkdir()  # a folder holding only a zip
    with zipfile.ZipFile(tmp_path / "class" / "dee" / "hw3.zip", "w") as z:
        z.writestr("two_layer.py", BUG)
    assert main(["grade", str(tmp_path / "class"), "--against", "two_layer", "--out",
                 str(tmp_path / "out"), "--jobs", "2", "--no-progress"]) == 0
    graded = rows(tmp_path / "out")
    assert {s: r["status"] for s, r in graded.items()} == {
        "ana": "passed", "ben": "missing", "cy": "missing", "dee": "failed"}
    assert "ben.zip expands to more than 1 MiB" in graded["ben"]["reason"]
    assert "outside" in graded["cy"]["reason"] and not list(tmp_path.rglob("cy_was_here.py"))


def test_gradescope_grades_a_zipped_submission_and_says_why_when_it_cannot(
        tmp_path: Path) -> None:
    (tmp_path / "submission").mkdir()
    with zipfile.ZipFile(tmp_path / "submission" / "hw3.zip", "w") as z:
        z.writestr("hw3/two_layer.py", OK)
    args = ["grade", str(tmp_path / "submission"), "--against", "two_layer", "--out",
            str(tmp_path / "out"), "--gradescope", str(tmp_path / "results.json"),
            "--no-progress"]
    assert main(args) == 0
    assert json.loads((tmp_path / "results.json").read_text())["score"] == 2.0
    (tmp_path / "submission" / "hw3.zip").write_bytes(b"PK\x03\x04 not a zip")
    assert main(args) == 0
    data = json.loads((tmp_path / "results.json").read_text())
    assert "hw3.zip" in data["output"] and data["score"] == 0
    assert all(len(t["output"].splitlines()) == 1 and "hw3.zip" in t["output"]
               for t in data["tests"]), data["tests"]


def test_the_autograder_grades_a_nested_notebook_from_a_mac(tmp_path: Path) -> None:
    def submit(submission: Path) -> None:
        (submission / "hw3").mkdir()
        (submission / "__MACOSX" / "hw3").mkdir(parents=True)
        (submission / "hw3" / "two_layer.ipynb").write_text(notebook(OK))
        (submission / "__MACOSX" / "hw3" / "._two_layer.ipynb").write_bytes(b"\x00\x05")

    data = simulated_autograder(tmp_path, 'timeout = 10\n[[item]]\nop = "two_layer"\n'
                                'points = { dW1 = 1, dW2 = 1 }\n', submit)
    assert data["score"] == 2.0, data


def test_huge_files_and_fifos_are_refused_without_being_read(tmp_path: Path) -> None:
    sub = tmp_path / "class" / "ana"
    sub.mkdir(parents=True)
    with (sub / "two_layer.py").open("wb") as f:
        f.truncate(200 << 20)  # sparse: 200 MiB the grader would read and compile
    os.mkfifo(sub / "helpers.py")  # opening it for reading would block
    os.symlink("helpers.py", sub / "more.py")  # inside the folder, to the FIFO
    [found] = discover(tmp_path / "class", tmp_path / "out")
    path, reason = file_for(found, ITEM)
    assert path is None and "200 MiB" in reason, reason
    assert file_for(found, dataclasses.replace(ITEM, file="helpers.py"))[0] is None
    path, reason = file_for(found, dataclasses.replace(ITEM, file="more.py"))
    assert path is None and "not a regular file" in reason, reason


def test_a_name_from_a_mac_is_the_same_student_as_from_windows(tmp_path: Path) -> None:
    (tmp_path / "class" / "Jose\u0301").mkdir(parents=True)  # macOS: e + combining accent
    [found] = discover(tmp_path / "class", tmp_path / "out")
    assert found.student == "Jos\u00e9"


def test_a_zip_of_macos_leftovers_only_is_named_in_one_line(tmp_path: Path, capsys) -> None:
    with zipfile.ZipFile(tmp_path / "class.zip", "w") as z:
        z.writestr("__MACOSX/._ana.py", b"\x00\x05")
        z.writestr(".DS_Store", b"Bud1")
    code = main(["grade", str(tmp_path / "class.zip"), "--against", "two_layer", "--out",
                 str(tmp_path / "out"), "--no-progress"])
    err = capsys.readouterr().err.strip()
    assert code == 2 and len(err.splitlines()) == 1 and "no .py file" in err, err
    assert f"got {tmp_path / 'class.zip'} (" in err, err  # the zip, not our extraction


def test_the_gradebook_opens_in_a_spreadsheet_as_text(tmp_path: Path) -> None:
    """UTF-8 with a BOM (Excel then reads José right) and a name that starts like a formula
    kept as text (a leading '), never run; the scores stay numbers."""
    folder = tmp_path / "class"
    folder.mkdir()
    (folder / "=HYPERLINK(1).py").write_text(OK, encoding="utf-8")
    (folder / "-ana.py").write_text(BUG, encoding="utf-8")
    (folder / "José.py").write_text(OK, encoding="utf-8")
    assert main(["grade", str(folder), "--against", "two_layer", "--out", str(tmp_path / "out"),
                 "--no-progress", "--jobs", "1"]) == 0
    raw = (tmp_path / "out" / "gradebook.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    table = book(tmp_path / "out")
    assert {"'=HYPERLINK(1)", "'-ana"} <= set(table)
    assert not any(n.startswith(("=", "+", "-", "@")) for n in table)
    assert any("Jos" in n for n in table)
    assert float(table["'=HYPERLINK(1)"]["score"]) == float(table["'=HYPERLINK(1)"]["max"])
    assert float(table["'-ana"]["score"]) < float(table["'-ana"]["max"])


def test_a_student_with_two_submissions_is_their_row_not_the_class_stopped(
        tmp_path: Path) -> None:
    """alice.py beside alice/: the grader cannot tell which is hers, so her row says so and
    the rest of the class is graded (it stopped the whole run with one line)."""
    folder = tmp_path / "class"
    (folder / "alice").mkdir(parents=True)
    (folder / "alice.py").write_text(OK, encoding="utf-8")
    (folder / "alice" / "two_layer.py").write_text(OK, encoding="utf-8")
    (folder / "bob.py").write_text(OK, encoding="utf-8")
    assert main(["grade", str(folder), "--against", "two_layer", "--out", str(tmp_path / "out"),
                 "--no-progress", "--jobs", "1"]) == 0
    got = rows(tmp_path / "out")
    assert got["bob"]["status"] == "passed"
    assert got["alice"]["status"] == "missing" and got["alice"]["score"] == 0
    assert "alice, alice.py" in got["alice"]["reason"] and "keep one" in got["alice"]["reason"]
