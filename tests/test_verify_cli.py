"""``backprop-lab verify``: exit codes 0/1/2, the JSON contract, usage errors as one line."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from comparisons.cli.main import main
from comparisons.core.builtin_ops import BUILTIN_OPS

HERE = Path(__file__).parent
GALLERY = HERE / "verify_gallery"
GRADIENT_KEYS = {"name", "passed", "diagnosis", "factor", "max_abs_err", "max_rel_err",
                 "message"}
LINEAR = "def forward(x, W, b):\n    return x @ W.T + b, (x, W)\n"


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_exit_0_for_a_correct_file(capsys) -> None:
    assert main(["verify", str(GALLERY / "correct_linear.py")]) == 0
    assert "verdict: PASSED" in capsys.readouterr().out


def test_cli_process_exit_1_and_the_documented_json_for_a_bug(tmp_path) -> None:
    out = tmp_path / "r" / "report.json"
    bad = subprocess.run([sys.executable, "-m", "comparisons", "verify",
                          str(GALLERY / "two_layer_no_relu_grad.py"), "--json", str(out)],
                         capture_output=True, text=True, timeout=300)
    assert bad.returncode == 1, bad.stdout + bad.stderr
    assert "missing_activation_derivative" in bad.stdout and "first divergence" in bad.stdout
    data = json.loads(out.read_text())
    assert {"op", "passed", "error", "first_divergence", "gradients"} <= set(data)
    assert (data["op"], data["passed"], data["error"]) == ("two_layer", False, None)
    assert data["first_divergence"] == "dz"
    assert [g["name"] for g in data["gradients"]] == ["do", "dW2", "dh", "dz", "dW1"]
    for g in data["gradients"]:
        assert GRADIENT_KEYS <= set(g)
        assert isinstance(g["passed"], bool) and isinstance(g["message"], str)
        assert g["factor"] is None or isinstance(g["factor"], float)
        assert isinstance(g["max_abs_err"], float) and isinstance(g["max_rel_err"], float)


def test_json_of_a_scaled_gradient_carries_its_factor(tmp_path) -> None:
    out = tmp_path / "r.json"
    assert main(["verify", str(GALLERY / "l2_no_half.py"), "--json", str(out)]) == 1
    (row,) = json.loads(out.read_text())["gradients"]
    assert (row["diagnosis"], row["factor"], row["passed"]) == ("scaled", 2.0, False)


def test_against_overrides_the_file_and_seed_changes_inputs_not_verdicts(tmp_path,
                                                                          capsys) -> None:
    path = _write(tmp_path, "mine.py", LINEAR + "def backward(dout, cache):\n"
                  "    x, W = cache\n    return dout @ W, dout.T @ x, dout.sum(0)\n")
    a, b, c = (tmp_path / f"{k}.json" for k in "abc")
    assert main(["verify", str(path), "--against", "linear", "--json", str(a)]) == 0
    assert main(["verify", str(path), "--against", "linear", "--json", str(b)]) == 0
    assert main(["verify", str(path), "--against", "linear", "--seed", "7", "--json",
                 str(c)]) == 0
    assert a.read_text() == b.read_text()  # same seed, same report
    ja, jc = json.loads(a.read_text()), json.loads(c.read_text())
    assert jc["seed"] == 7 and ja["gradients"] != jc["gradients"]


def test_a_raising_backward_is_a_failed_check_with_its_traceback(tmp_path, capsys) -> None:
    path = _write(tmp_path, "boom.py", LINEAR + "def helper(d):\n    return d.nope\n"
                  "def backward(dout, cache):\n    return helper(dout)\n")
    out = tmp_path / "boom.json"
    assert main(["verify", str(path), "--against", "linear", "--json", str(out)]) == 1
    printed = capsys.readouterr().out
    assert "Traceback" in printed and "AttributeError" in printed
    assert f'File "{path}", line 4, in helper' in printed  # the user's own frames
    assert "comparisons/" not in printed.split("Traceback")[1]  # trimmed to the user's frames
    data = json.loads(out.read_text())
    assert data["passed"] is False and "AttributeError" in data["error"]


def test_an_exception_at_import_is_a_failed_check(tmp_path, capsys) -> None:
    path = _write(tmp_path, "imp.py", "OP = 'relu'\nSCALE = 1 / 0\n")
    assert main(["verify", str(path)]) == 1
    assert "ZeroDivisionError" in capsys.readouterr().out


def test_wrong_return_structure_is_a_failed_check(tmp_path, capsys) -> None:
    path = _write(tmp_path, "two.py", LINEAR + "def backward(dout, cache):\n"
                  "    x, W = cache\n    return dout @ W, dout.T @ x\n")
    assert main(["verify", str(path), "--against", "linear"]) == 1
    assert "tuple of length 2" in capsys.readouterr().out


PAIR = "def forward(x):\n    return x, x\ndef backward(d, c):\n    return d\n"


@pytest.mark.parametrize("name, text, extra, needle", [
    ("absent.py", None, [], "no such file"),
    ("notes.txt", "x = 1\n", [], "FILE: expected a .py or .ipynb file, got"),
    ("syn.py", "OP = 'relu'\ndef forward(x):\n    return x x\n", [], "syntax error on line 3"),
    ("nof.py", "OP = 'relu'\ndef backward(d, c):\n    return d\n", [], "no forward"),
    ("nob.py", "OP = 'relu'\ndef forward(x):\n    return x, x\n", [], "no backward"),
    ("any.py", PAIR, ["--against", "swish"], "unknown op 'swish'; known ops: linear"),
    ("op.py", "OP = 'swish'\n" + PAIR, [], "OP = 'swish' is not a known op"),
    ("which.py", PAIR, [], "pass --against"),
    ("shp.py", "SHAPES = {'x': (0,)}\ndef reference(x):\n    return x\n" + PAIR, [],
     "positive ints"),
    ("ref.py", "SHAPES = {'x': ('N', 2)}\n" + PAIR, [], "reference is missing"),
    ("nd.py", "SHAPES = {'x': (2,)}\nNONDIFF = ('y',)\ndef reference(x):\n    return x\n"
     + PAIR, [], "NONDIFF"),
])
def test_usage_errors_are_one_line_exit_2(tmp_path, capsys, name, text, extra, needle) -> None:
    path = tmp_path / name if text is None else _write(tmp_path, name, text)
    assert main(["verify", str(path), *extra]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and needle in err[0] and "Traceback" not in err[0], err


@pytest.mark.parametrize("args", [["verify"], ["verify", "--list", "x.py"],
                                  ["verify", "a.py", "--dtype", "float16"]])
def test_missing_or_conflicting_arguments_exit_2(capsys, args) -> None:
    assert main(args) == 2
    assert len(capsys.readouterr().err.strip().splitlines()) == 1


def test_list_names_every_op_with_signature_and_convention(capsys) -> None:
    assert main(["verify", "--list"]) == 0
    out = capsys.readouterr().out
    for name, spec in BUILTIN_OPS.items():
        assert f"\n{name}\n" in out and spec.signature in out and spec.convention in out
    assert "SHAPES" in out and "NONDIFF" in out and "reference" in out
    assert "exact zeros" in out  # verify-only cases are listed too
