"""Honest exits: sys.exit, exit(), KeyboardInterrupt and other BaseExceptions in user code.

Each way the user's module or functions can *end* (rather than fail) is a failed check with
the reason, exit 1, the text report printed and the --json file written; never exit 0, never
the end of verify. A Ctrl-C during the harness's own work still stops the program.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import comparisons
from comparisons.cli.main import main
from comparisons.verification import cases

RELU = ("import sys\nimport numpy as np\nOP = 'relu'\n"
        "def forward(x):\n    FWD\n    return np.maximum(x, 0), x\n"
        "def backward(dout, x):\n    BWD\n    return dout * (x > 0)\n")


class Ended(BaseException):
    """A BaseException that is neither an Exception nor one Python names."""


def _main(args: list[str]) -> int:
    """``main(args)``, failing the test (not the session) if anything escapes it."""
    try:
        return main(args)
    except BaseException as exc:  # the point of these tests: nothing may escape
        pytest.fail(f"escaped verify: {exc!r}")


def _file(tmp_path: Path, fwd: str = "pass", bwd: str = "pass", top: str = "") -> Path:
    path = tmp_path / "mine.py"
    path.write_text(top + RELU.replace("FWD", fwd).replace("BWD", bwd))
    return path


@pytest.mark.parametrize("fwd, bwd, reason", [
    ("pass", "sys.exit(0)", "your backward (case CASE, float64) called sys.exit(0)"),
    ("pass", "sys.exit()", "your backward (case CASE, float64) called sys.exit()"),
    ("pass", "raise SystemExit(3)", "your backward (case CASE, float64) called sys.exit(3)"),
    ("pass", "exit()", "your backward (case CASE, float64) called sys.exit()"),
    ("raise KeyboardInterrupt", "pass",
     "your forward (case CASE, float64) raised KeyboardInterrupt"),
    ("pass", "raise GeneratorExit", "your backward (case CASE, float64) raised GeneratorExit"),
])
def test_an_exit_in_forward_or_backward_is_a_failed_check(tmp_path: Path, capsys, fwd: str,
                                                          bwd: str, reason: str) -> None:
    out = tmp_path / "r" / "report.json"
    assert _main(["verify", str(_file(tmp_path, fwd, bwd)), "--json", str(out)]) == 1
    printed = capsys.readouterr().out
    pattern = re.escape(reason).replace("CASE", r"[^,()]+") + ":"
    assert re.search("ERROR: " + pattern, printed)
    assert re.search("verdict: FAILED: " + pattern[:-1], printed)  # the verdict says why
    data = json.loads(out.read_text())
    assert data["passed"] is False and re.match(pattern, data["error"])


@pytest.mark.parametrize("top, reason", [
    ("import sys\nsys.exit(0)\n", "called sys.exit(0)"),
    ("raise SystemExit('bye')\n", "called sys.exit('bye')"),
    ("raise KeyboardInterrupt\n", "raised KeyboardInterrupt"),
])
def test_an_exit_while_importing_is_a_failed_check(tmp_path: Path, capsys, top: str,
                                                   reason: str) -> None:
    path, out = _file(tmp_path, top=top), tmp_path / "imp.json"
    assert _main(["verify", str(path), "--json", str(out)]) == 1
    assert f"ERROR: importing {path} {reason}:" in capsys.readouterr().out
    assert json.loads(out.read_text())["error"].startswith(f"importing {path} {reason}:")


SNEAKY = ("class Sneaky:\n    def __array__(self, dtype=None, copy=None):\n"
          "        sys.exit(0)\n")


def test_an_exit_from_a_returned_object_is_the_users_too(tmp_path: Path, capsys) -> None:
    path = _file(tmp_path, fwd="return Sneaky(), x", top="import sys\n" + SNEAKY)
    assert _main(["verify", str(path)]) == 1
    printed = capsys.readouterr().out
    assert "ERROR: your code (a value it returned) called sys.exit(0):" in printed
    assert "in __array__" in printed  # the user's frame is shown


def test_the_api_reports_exits_of_every_kind() -> None:
    def forward(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return np.maximum(x, 0), x

    def ends(exc: BaseException) -> Any:
        def backward(dout: np.ndarray, x: np.ndarray) -> np.ndarray:
            raise exc
        return backward

    for exc, reason in ((SystemExit(0), "called sys.exit(0)"),
                        (KeyboardInterrupt(), "raised KeyboardInterrupt"),
                        (Ended(), "raised Ended")):
        try:
            report = comparisons.verify(forward, ends(exc), "relu")
        except BaseException as escaped:  # noqa: BLE001 - nothing may escape
            pytest.fail(f"escaped verify: {escaped!r}")
        assert not report.passed and report.error is not None
        assert re.match(rf"your backward \(case [^,()]+, float64\) {re.escape(reason)}:",
                        report.error)


def test_an_exit_in_a_custom_reference_is_a_failed_check() -> None:
    def reference(x: Any) -> Any:
        raise SystemExit(0)

    report = comparisons.verify(lambda x: (2 * x, None), lambda d, c: 2 * d, "double",
                                reference=reference, shapes={"x": (3,)})
    assert not report.passed
    assert report.error is not None and "your reference" in report.error
    assert "called sys.exit(0)" in report.error


def test_a_ctrl_c_in_the_harness_still_stops_the_program(monkeypatch, capsys) -> None:
    def interrupted(*args: Any) -> Any:
        raise KeyboardInterrupt

    monkeypatch.setattr(cases, "reference_run", interrupted)
    with pytest.raises(KeyboardInterrupt):
        comparisons.verify(lambda x: (np.maximum(x, 0), x), lambda d, x: d * (x > 0), "relu")
    assert main(["verify", "--against", "relu", str(Path(__file__).parent / "verify_gallery"
                                                     / "correct_relu.py")]) == 130
    assert "interrupted" in capsys.readouterr().err
