"""comparisons.core.io: argparse integer types, output-path checks, writes that fail in one line."""

from __future__ import annotations

from argparse import ArgumentTypeError
from pathlib import Path
from typing import Any

import pytest

import comparisons.core.io
from comparisons.core.errors import UsageError
from comparisons.core.io import (
    check_input_file,
    check_out_dir,
    check_writable_file,
    ensure_out_dir,
    nonnegative_int,
    positive_int,
    write_json,
)


@pytest.mark.parametrize("fn, text, value", [
    (nonnegative_int, "0", 0), (nonnegative_int, "17", 17),
    (positive_int, "1", 1), (positive_int, " 40 ", 40),
])
def test_integer_types_accept(fn, text, value) -> None:
    assert fn(text) == value


@pytest.mark.parametrize("fn, text, message", [
    (nonnegative_int, "-1", "expected a non-negative integer, got -1"),
    (nonnegative_int, "1.5", "expected a non-negative integer, got '1.5'"),
    (positive_int, "0", "expected a positive integer, got 0"),
    (positive_int, "ten", "expected a positive integer, got 'ten'"),
])
def test_integer_types_reject_with_the_reason(fn, text, message) -> None:
    with pytest.raises(ArgumentTypeError) as err:
        fn(text)
    assert str(err.value) == message


def test_path_checks_accept_writable_places_and_leave_nothing_behind(tmp_path: Path) -> None:
    existing = tmp_path / "old.json"
    existing.write_text("keep\n")
    for path in (tmp_path / "new.json", tmp_path / "a" / "b" / "new.json", existing):
        assert check_writable_file(path) == path
    for path in (tmp_path, tmp_path / "a" / "b"):
        assert check_out_dir(path) == path
    assert sorted(p.name for p in tmp_path.iterdir()) == ["old.json"]  # no probe, no folder
    assert existing.read_text() == "keep\n"


def test_path_checks_name_the_option_and_the_reason(tmp_path: Path) -> None:
    a_file = tmp_path / "f.txt"
    a_file.write_text("x")
    cases = [
        (lambda: check_writable_file(a_file / "x.json", "--report"),
         f"--report: expected a writable file path, got {a_file / 'x.json'} ({a_file} is a "
         f"file, not a folder)"),
        (lambda: check_out_dir(a_file / "sub", "--dir"),
         f"--dir: expected a writable folder, got {a_file / 'sub'} ({a_file} is a file, not a "
         f"folder)"),
        (lambda: ensure_out_dir(a_file),
         f"--out: expected a directory, got the existing file {a_file}"),
        (lambda: check_input_file(tmp_path / "no.py", "--verify"),
         f"--verify: expected an existing .py file, got {tmp_path / 'no.py'} (no such file)"),
    ]
    for call, message in cases:
        with pytest.raises(UsageError) as err:
            call()
        assert str(err.value) == message


def test_a_write_failing_late_is_a_usage_error(tmp_path: Path, monkeypatch) -> None:
    def full(self: Path, text: str) -> int:
        raise OSError(28, "No space left on device", str(self))

    monkeypatch.setattr(Path, "write_text", full)
    with pytest.raises(UsageError) as err:
        write_json(tmp_path / "r.json", {"a": 1}, "--json")
    assert str(err.value) == f"--json: cannot write {tmp_path / 'r.json'} (No space left on device)"


def test_ensure_out_dir_failing_late_is_a_usage_error(tmp_path: Path, monkeypatch) -> None:
    def refuse(self: Path, *args: Any, **kwargs: Any) -> None:
        raise PermissionError(13, "Permission denied", str(self))

    monkeypatch.setattr(comparisons.core.io.Path, "mkdir", refuse)
    with pytest.raises(UsageError, match=r"^--out: cannot create the folder .* \(Permission "):
        ensure_out_dir(tmp_path / "new")
