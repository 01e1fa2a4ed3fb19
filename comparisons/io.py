"""Small output helpers shared by every subcommand: JSON that is strict, folders that exist."""

from __future__ import annotations

import json
import math
from argparse import ArgumentTypeError
from pathlib import Path
from typing import Any

from comparisons.errors import UsageError


def _finite(value: Any) -> Any:
    """Replace NaN/Inf (not valid JSON) by None, recursively."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    return value


def write_json(path: Path | str, data: Any) -> Path:
    """Write ``data`` as strict JSON (NaN → null) to ``path``, creating parent folders."""
    path = Path(path)
    if path.is_dir():
        raise UsageError(f"--json: expected a file path, got the directory {path}")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(_finite(data), indent=2, allow_nan=False) + "\n")
    return path


def ensure_out_dir(path: Path | str) -> Path:
    """Create the output folder ``--out`` (and parents); UsageError when it is a file."""
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise UsageError(f"--out: expected a directory, got the existing file {path}")
    path.mkdir(parents=True, exist_ok=True)
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
