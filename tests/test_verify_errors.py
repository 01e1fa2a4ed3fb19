"""Clear errors, no tracebacks: every bad argument of verify/graph is one line, exit 2.

Output paths are checked before the run (nothing printed on stdout, no report written),
input paths say which argument and what was expected, non-finite graph runs are refused, and
the Python API names ``seed``, ``against`` and ``dtype``.
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import comparisons
import comparisons.core.io
import handmade as hm
from comparisons.cli.main import main
from comparisons.verification.loader import verify_file

GALLERY = Path(__file__).parent / "verify_gallery"
RELU = str(GALLERY / "correct_relu.py")


def _one_line_error(capsys, args: list[str]) -> str:
    """Run ``args``: exit 2, nothing on stdout (nothing ran), one line on stderr; return it."""
    assert main(args) == 2
    out, err = capsys.readouterr()
    lines = err.strip().splitlines()
    assert out == "" and len(lines) == 1, err
    assert "Traceback" not in err and "[Errno" not in err, err
    return lines[0]


@pytest.fixture
def a_file(tmp_path: Path) -> Path:
    path = tmp_path / "existing_file.txt"
    path.write_text("not a folder\n")
    return path


def test_json_under_a_regular_file_is_refused_before_the_run(capsys, a_file: Path) -> None:
    line = _one_line_error(capsys, ["verify", RELU, "--json", str(a_file / "x.json")])
    assert line.startswith("backprop-lab: error: --json: expected a writable file path, got ")
    assert f"({a_file} is a file, not a folder)" in line


def test_json_that_is_a_directory_or_a_broken_link_is_refused(tmp_path: Path, capsys) -> None:
    line = _one_line_error(capsys, ["verify", RELU, "--json", str(tmp_path)])
    assert f"--json: expected a file path, got the directory {tmp_path}" in line
    link = tmp_path / "dangling.json"
    link.symlink_to(tmp_path / "missing" / "target.json")
    line = _one_line_error(capsys, ["verify", RELU, "--json", str(link)])
    assert f"--json: expected a writable file path, got {link} (a broken symbolic link)" in line
    deep = tmp_path / "gone"
    deep.symlink_to(tmp_path / "nowhere")
    line = _one_line_error(capsys, ["verify", RELU, "--json", str(deep / "x.json")])
    assert f"({deep} is a broken symbolic link)" in line


def test_json_in_a_place_that_cannot_be_written_is_refused(capsys) -> None:
    # /proc refuses new files even to root, for whom permission bits do not apply
    line = _one_line_error(capsys, ["verify", RELU, "--json", "/proc/report.json"])
    assert "--json: expected a writable file path, got /proc/report.json (cannot create " \
           "files in /proc: " in line


def test_json_on_an_unwritable_existing_file_is_refused(tmp_path: Path, capsys,
                                                        monkeypatch) -> None:
    target = tmp_path / "report.json"
    target.write_text("{}\n")

    def refuse(path: Any, mode: str = "r", *args: Any, **kwargs: Any) -> Any:
        raise PermissionError(13, "Permission denied", str(path))

    monkeypatch.setattr(comparisons.core.io, "open", refuse, raising=False)  # io.py's open only
    line = _one_line_error(capsys, ["verify", RELU, "--json", str(target)])
    assert f"--json: expected a writable file path, got {target} (Permission denied)" in line
    assert target.read_text() == "{}\n"


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0,
                    reason="root writes through permission bits (the monkeypatched case above "
                           "covers it)")
def test_json_on_a_read_only_file_is_refused(tmp_path: Path, capsys) -> None:
    target = tmp_path / "ro.json"
    target.write_text("{}\n")
    target.chmod(0o444)
    line = _one_line_error(capsys, ["verify", RELU, "--json", str(target)])
    assert "--json: expected a writable file path" in line


def test_a_missing_input_file_names_the_argument(tmp_path: Path, capsys, a_file: Path) -> None:
    missing = tmp_path / "missing_dir" / "x.py"
    line = _one_line_error(capsys, ["verify", str(missing)])
    assert line == (f"backprop-lab: error: FILE: expected an existing .py or .ipynb file, got "
                    f"{missing} (no such file)")
    line = _one_line_error(capsys, ["verify", str(tmp_path)])
    assert f"FILE: expected a .py or .ipynb file, got the directory {tmp_path}" in line
    line = _one_line_error(capsys, ["verify", str(a_file)])
    assert f"FILE: expected a .py or .ipynb file, got {a_file}" in line


def test_graph_verify_on_a_directory_says_so(tmp_path: Path, capsys) -> None:
    line = _one_line_error(capsys, ["graph", "--out", str(tmp_path / "g"), "--verify",
                                    str(tmp_path)])
    assert f"--verify: expected a .py or .ipynb file, got the directory {tmp_path}" in line
    assert not (tmp_path / "g").exists()


@pytest.mark.parametrize("make_out, needle", [
    (lambda f: f / "g", "is a file, not a folder"),
    (lambda f: f, "--out: expected a directory, got the existing file"),
    (lambda f: Path("/proc/graph_out"), "cannot create files in /proc"),
])
def test_graph_out_problems_are_one_line(capsys, a_file: Path, make_out: Any,
                                         needle: str) -> None:
    line = _one_line_error(capsys, ["graph", "--out", str(make_out(a_file))])
    assert "--out: " in line and needle in line


@pytest.mark.parametrize("lam", ["1e308", "1.7e308"])
def test_graph_refuses_a_lambda_that_makes_results_infinite(tmp_path: Path, capsys,
                                                            lam: str) -> None:
    out = tmp_path / "g"
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # an overflow warning is a second line of output
        line = _one_line_error(capsys, ["graph", "--out", str(out), "--lambda", lam])
    assert line == (f"backprop-lab: error: --lambda: {float(lam):g} makes J infinite; "
                    f"expected a value giving finite results")
    assert not list(out.glob("*"))  # refused before drawing


def test_an_os_error_no_check_caught_is_one_line_without_errno(capsys, monkeypatch) -> None:
    from comparisons.cli import verify as verify_cli

    def lost(args: Any) -> int:
        raise FileNotFoundError(2, "No such file or directory", "data/train.csv")

    monkeypatch.setattr(verify_cli, "run", lost)
    line = _one_line_error(capsys, ["verify", RELU])
    assert line == "backprop-lab: error: data/train.csv: no such file or directory"


def _relu_forward(x: np.ndarray) -> Any:
    return hm.relu_forward(x)


@pytest.mark.parametrize("seed", [1.7, -1, "abc", True, None, 2.0])
def test_a_bad_seed_is_named(seed: Any) -> None:
    message = f"seed: expected a non-negative integer, got {seed!r}"
    with pytest.raises(ValueError) as err:
        comparisons.verify(_relu_forward, hm.relu_backward, "relu", seed=seed)
    assert str(err.value) == message
    with pytest.raises(ValueError) as err:
        verify_file(RELU, seed=seed)
    assert str(err.value) == message


def test_numpy_integer_seeds_are_fine() -> None:
    report = comparisons.verify(_relu_forward, hm.relu_backward, "relu", seed=np.int64(3))
    assert report.passed and report.seed == 3 and type(report.seed) is int


@pytest.mark.parametrize("against", ["", "swish", 3])
def test_a_bad_against_is_named_and_never_becomes_linear(against: Any) -> None:
    with pytest.raises(ValueError) as err:
        comparisons.verify(hm.linear_forward, hm.linear_backward, against=against)
    assert str(err.value).startswith("against: expected one of linear, ")
    assert str(err.value).endswith(f"got {against!r}")


@pytest.mark.parametrize("against", ["", "  ", 3])
def test_verify_file_names_a_bad_against(against: Any) -> None:
    with pytest.raises(ValueError, match=r"^against: expected a non-empty op name"):
        verify_file(RELU, against=against)


@pytest.mark.parametrize("dtype", ["abc", None, "float16", np.int32])
def test_a_bad_dtype_is_a_value_error_naming_dtype(dtype: Any) -> None:
    with pytest.raises(ValueError, match=r"^dtype: expected float32 or float64, got "):
        comparisons.verify(_relu_forward, hm.relu_backward, "relu", dtype=dtype)
