"""Small I/O helpers shared by every subcommand: JSON that is strict, folders that exist.

Output paths are checked *before* a long run: :func:`check_writable_file` (``--json``) and
:func:`check_out_dir` (``--out``) raise a one-line UsageError naming the option, what was
expected and what was given (a directory where a file is due, a folder under a regular file, a
broken symbolic link, a place that cannot be written). They probe by creating and removing a
temporary file, so a read-only file system or ``/proc`` is caught even for root, for whom
permission bits do not apply; nothing is left behind. :func:`write_json` and
:func:`ensure_out_dir` check the same way and turn a late OSError into a UsageError.
:func:`check_input_file` does the same for an input file (``FILE.py``, ``--verify``).
"""

from __future__ import annotations

import json
import math
import os
import tempfile
from argparse import ArgumentTypeError
from pathlib import Path
from typing import Any

from comparisons.core.errors import UsageError


def _finite(value: Any) -> Any:
    """Replace NaN/Inf (not valid JSON) by None, recursively."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    return value


def _nearest_existing(path: Path, option: str, given: Path, want: str) -> Path:
    """The nearest ancestor of ``path`` (itself included) that exists; UsageError when it is
    not a folder or a broken symbolic link stands in the way."""
    for folder in (path, *path.parents):
        if folder.is_dir():
            return folder
        if folder.is_symlink() and not folder.exists():
            raise UsageError(f"{option}: expected {want}, got {given} ({folder} is a broken "
                             f"symbolic link)")
        if folder.exists():
            raise UsageError(f"{option}: expected {want}, got {given} ({folder} is a file, "
                             f"not a folder)")
    return Path(".")


def _probe_folder(folder: Path, option: str, given: Path, want: str) -> None:
    """UsageError unless a file can be created (and is removed again) in ``folder``."""
    try:
        fd, name = tempfile.mkstemp(dir=folder, prefix=".backprop-lab-probe-")
    except OSError as exc:
        raise UsageError(f"{option}: expected {want}, got {given} (cannot create files in "
                         f"{folder}: {exc.strerror})") from None
    os.close(fd)
    os.unlink(name)


def check_writable_file(path: Path | str, option: str = "--json") -> Path:
    """UsageError (one line, naming ``option``) unless ``path`` can be written as a file;
    missing parent folders are fine (they are created on writing). Nothing is created."""
    path, want = Path(path), "a writable file path"
    if path.is_dir():
        raise UsageError(f"{option}: expected a file path, got the directory {path}")
    if path.is_symlink() and not path.exists():
        raise UsageError(f"{option}: expected {want}, got {path} (a broken symbolic link)")
    if path.exists():
        try:
            open(path, "ab").close()  # appending nothing: the file is unchanged
        except OSError as exc:
            raise UsageError(f"{option}: expected {want}, got {path} ({exc.strerror})") from None
        return path
    _probe_folder(_nearest_existing(path.parent, option, path, want), option, path, want)
    return path


def check_out_dir(path: Path | str, option: str = "--out") -> Path:
    """UsageError (one line, naming ``option``) unless ``path`` is, or can be created as, a
    folder that files can be written in. Nothing is created."""
    path, want = Path(path), "a writable folder"
    if path.exists() and not path.is_dir():
        raise UsageError(f"{option}: expected a directory, got the existing file {path}")
    _probe_folder(_nearest_existing(path, option, path, want), option, path, want)
    return path


def check_input_file(path: Path | str, option: str,
                     suffix: str | tuple[str, ...] = ".py") -> Path:
    """UsageError (one line, naming ``option``) unless ``path`` is an existing file ending in
    ``suffix`` (or one of them): a missing file, a directory and another suffix are each said
    as such."""
    path = Path(path)
    suffixes = (suffix,) if isinstance(suffix, str) else suffix
    kind = " or ".join(suffixes)
    if path.is_dir():
        raise UsageError(f"{option}: expected a {kind} file, got the directory {path}")
    if not path.exists():
        why = "a broken symbolic link" if path.is_symlink() else "no such file"
        raise UsageError(f"{option}: expected an existing {kind} file, got {path} ({why})")
    if path.suffix not in suffixes:
        raise UsageError(f"{option}: expected a {kind} file, got {path}")
    return path


def write_json(path: Path | str, data: Any, option: str = "--json") -> Path:
    """Write ``data`` as strict JSON (NaN → null) to ``path``, creating parent folders;
    UsageError naming ``option`` when it cannot be written."""
    path = check_writable_file(path, option)
    text = json.dumps(_finite(data), indent=2, allow_nan=False) + "\n"
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    except OSError as exc:
        raise UsageError(f"{option}: cannot write {path} ({exc.strerror})") from None
    return path


def ensure_out_dir(path: Path | str, option: str = "--out") -> Path:
    """Check (:func:`check_out_dir`) and create the output folder and its parents."""
    path = check_out_dir(path, option)
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(f"{option}: cannot create the folder {path} ({exc.strerror})") from None
    return path


def _int_at_least(text: str, low: int, kind: str) -> int:
    """``int(text)`` if it is >= ``low``, else ArgumentTypeError naming the ``kind`` wanted."""
    try:
        value = int(text)
    except ValueError:
        raise ArgumentTypeError(f"expected a {kind} integer, got {text!r}") from None
    if value < low:
        raise ArgumentTypeError(f"expected a {kind} integer, got {value}")
    return value


def nonnegative_int(text: str) -> int:
    """argparse type: an integer ≥ 0 (for seeds and counts)."""
    return _int_at_least(text, 0, "non-negative")


def positive_int(text: str) -> int:
    """argparse type: an integer ≥ 1 (for sizes, epochs, folds)."""
    return _int_at_least(text, 1, "positive")
