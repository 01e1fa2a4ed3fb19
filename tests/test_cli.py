"""The command line: exit codes, one-line errors, the JSON contract of ``check``."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys

import pytest

import handmade as hm
from comparisons.cli.main import main
from comparisons.core import builtin_ops


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "comparisons", *args], capture_output=True,
                          text=True, timeout=300)


def test_check_exits_0_and_writes_the_documented_json(tmp_path) -> None:
    path = tmp_path / "out" / "check.json"
    proc = _run("check", "--json", str(path))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    data = json.loads(path.read_text())
    assert data["passed"] is True and data["checks"]
    keys = {"name", "tensor", "dtype", "shape", "against", "max_abs_err", "max_rel_err", "passed"}
    for row in data["checks"]:
        assert keys <= set(row)
        assert row["against"] in ("autograd", "finite_differences", "lockstep")
        assert (row["against"] == "lockstep") == row["name"].startswith("CNN[")  # trained twins
        assert isinstance(row["shape"], list)
    assert "passed, 0 failed" in proc.stdout.splitlines()[-1]


@pytest.mark.parametrize("args, needle", [
    (["check", "--dtype", "float16"], "--dtype"),
    (["check", "--seed", "-3"], "--seed"),
    (["check", "--bogus"], "unrecognized"),
    (["frobnicate"], "invalid choice"),
    ([], "COMMAND"),
])
def test_usage_errors_are_one_line_and_exit_2(args: list[str], needle: str) -> None:
    proc = _run(*args)
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and needle in lines[0] and "Traceback" not in proc.stderr


def test_json_path_that_is_a_directory_is_a_usage_error(tmp_path) -> None:
    assert main(["check", "--json", str(tmp_path)]) == 2


def test_an_unwritable_json_path_is_refused_before_the_suite_runs(tmp_path, monkeypatch,
                                                                  capsys) -> None:
    import comparisons.check.suite as suite

    def never(*args, **kwargs):
        raise AssertionError("the suite ran before --json was checked")

    monkeypatch.setattr(suite, "run_suite", never)
    blocker = tmp_path / "a_file"
    blocker.write_text("")
    assert main(["check", "--json", str(blocker / "x.json")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--json" in err[0]


def test_a_mismatch_exits_1(monkeypatch, capsys) -> None:
    def wrong_sign(dout, cache):
        return -hm.relu_backward(dout, cache)

    spec = dataclasses.replace(builtin_ops.BUILTIN_OPS["relu"], backward=wrong_sign)
    monkeypatch.setitem(builtin_ops.BUILTIN_OPS, "relu", spec)
    assert main(["check", "--quiet"]) == 1
    assert "0 failed" not in capsys.readouterr().out
