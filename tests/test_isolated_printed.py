"""What a student's code printed is in the isolated reports of ``verify --convention`` and
``verify --intermediates`` (text and JSON) and in ``grade``'s feedback, capped and escaped as
``verify FILE`` has it (one helper: ``sandbox.isolated.Printed``); in-process, nothing
changes (the code prints to the terminal, the JSON has no such keys)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from comparisons.cli.main import main
from comparisons.verification.conventions.cs231n import verify_cs231n_file
from comparisons.verification.conventions.isolated import verify_convention_isolated
from comparisons.verification.intermediates import verify_intermediates_file
from comparisons.verification.intermediates_isolated import verify_intermediates_isolated
from comparisons.verification.sandbox.limits import SHOWN

HERE = Path(__file__).resolve().parent
NINJA = HERE.parent / "comparisons/verification/examples/ninja_mlp.py"
EXTRA = ("printed", "printed_bytes", "refused")

LAYERS = """
import numpy as np

print("imported \\x1b[2J layers")


def affine_forward(x, w, b):
    return x.reshape(x.shape[0], -1) @ w + b, (x, w, b)


def affine_backward(dout, cache):
    x, w, b = cache
    print("in affine_backward", dout.shape)
    {extra}
    return (dout @ w.T).reshape(x.shape), x.reshape(x.shape[0], -1).T @ dout, dout.sum(0)
"""
FLOOD = "chunk = 'x' * 2**20\n    for _ in range(1024):\n        print(chunk)"


def _layers(tmp_path: Path, extra: str = "pass") -> Path:
    path = tmp_path / "layers.py"
    path.write_text(LAYERS.format(extra=extra))
    return path


def test_a_cs231n_files_prints_are_in_its_isolated_report(tmp_path: Path) -> None:
    report = verify_convention_isolated(_layers(tmp_path), "cs231n")
    text, data = str(report), report.to_json()
    assert report.passed and data["passed"] is True
    assert "your code printed:" in text and "  | imported \\x1b[2J layers" in text
    assert "  | in affine_backward" in text and "\x1b" not in text  # escaped, no cursor tricks
    assert text.splitlines()[-1].startswith("verdict: PASSED")  # the verdict stays last
    assert data["printed"].startswith("imported \\x1b[2J layers\nin affine_backward")
    assert data["printed_bytes"] == len(report.printed.encode()) + len("\x1b") - len("\\x1b")
    assert data["refused"] == []


def test_the_cli_json_of_a_convention_file_has_what_it_printed(tmp_path: Path) -> None:
    out = tmp_path / "r.json"
    assert main(["verify", str(_layers(tmp_path)), "--convention", "cs231n",
                 "--json", str(out)]) == 0
    data = json.loads(out.read_text())
    assert "in affine_backward" in data["printed"] and data["printed_bytes"] > 0


def test_a_1gb_print_in_a_cs231n_backward_stays_capped(tmp_path: Path) -> None:
    report = verify_convention_isolated(_layers(tmp_path, FLOOD), "cs231n")
    assert not report.passed and "output limit" in str(report.section("affine").report.error)
    shown = report.printed.replace("\\x1b", "\x1b")  # SHOWN characters, then escaped
    assert len(shown) == SHOWN and 2**20 <= report.printed_bytes < 2**30
    assert f"your code printed (the first {SHOWN} characters of " in str(report)


def test_in_process_convention_reports_are_unchanged(tmp_path: Path, capsys) -> None:
    path = _layers(tmp_path)
    data = verify_cs231n_file(path).to_json()
    assert not set(EXTRA) & set(data)
    assert "in affine_backward" in capsys.readouterr().out  # printed where it ran, as before
    out = tmp_path / "r.json"
    assert main(["verify", str(path), "--convention", "cs231n", "--in-process",
                 "--json", str(out)]) == 0
    assert "your code printed" not in capsys.readouterr().out
    assert not set(EXTRA) & set(json.loads(out.read_text()))


NINJA_PRINTS = """

print("ninja imported")
shipped_backward = backward


def backward(t):
    print("in backward")
    return shipped_backward(t)
"""


def _ninja(tmp_path: Path) -> Path:
    path = tmp_path / "ninja.py"
    path.write_text(NINJA.read_text() + NINJA_PRINTS)
    return path


def test_an_intermediates_files_prints_are_in_its_isolated_report(tmp_path: Path) -> None:
    path = _ninja(tmp_path)
    report = verify_intermediates_isolated(path)
    text, data = str(report), report.to_json()
    assert report.passed and "your code printed (the file runs in two processes" in text
    # the truth's child (import, forward) first, then backward's (import, backward)
    assert data["printed"] == "ninja imported\nninja imported\nin backward\n"
    assert data["printed_bytes"] == len(data["printed"])
    core = {k: v for k, v in data.items() if k not in EXTRA}
    assert core == verify_intermediates_file(path).to_json()


@pytest.mark.parametrize("hidden", [False, True])
def test_grade_feedback_shows_what_a_convention_file_printed(hidden: bool,
                                                            tmp_path: Path) -> None:
    folder = tmp_path / "class"
    folder.mkdir()
    _layers(folder).rename(folder / "ada.py")
    rubric = tmp_path / "rubric.toml"
    rubric.write_text(f'[[item]]\nname = "layers"\nconvention = "cs231n"\n'
                      f'hidden = {str(hidden).lower()}\npoints = {{ affine = 2 }}\n')
    assert main(["grade", str(folder), "--rubric", str(rubric), "--out", str(tmp_path / "out"),
                 "--no-progress"]) == 0
    feedback = (tmp_path / "out" / "feedback" / "ada.md").read_text()
    # a hidden item's prints would show its hidden inputs: not in the feedback
    assert ("in affine_backward (" in feedback) is not hidden
    assert ("your code printed" in feedback) is not hidden
