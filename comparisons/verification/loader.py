"""Load a user's derivation file and verify it: ``verify_file("my_linear.py")``.

The file (a .py file, or a notebook's code cells: :mod:`comparisons.verification.notebook`) is
imported by path under a unique module name. It must define ``forward`` and ``backward`` (or
the two names given). The op is ``--against`` (``against=``) if given, else the file's
``OP = "linear"``, else a custom layer when the file defines ``reference`` and ``SHAPES``
(see :mod:`comparisons.verification.custom`). Usage problems raise :class:`UsageError` with one line
(no such file, not a .py/.ipynb, a syntax error and its line, forward/backward missing, unknown
op, a data file read at import that is not there);
anything raised while importing the file, ``sys.exit(...)`` and KeyboardInterrupt included, is
the user's code failing: a report with ``error`` ("importing FILE called sys.exit(0)").
"""

from __future__ import annotations

import contextlib
import itertools
import linecache
import os
import re
import sys
import traceback
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from types import ModuleType
from typing import Any

from comparisons.core.builtin_ops import BUILTIN_OPS
from comparisons.core.errors import UsageError
from comparisons.core.ops import OpSpec
from comparisons.verification.aggregate import build_report
from comparisons.verification.arguments import check_against, check_dtype, check_seed
from comparisons.verification.guard import UserCodeError, error_text, exit_reason
from comparisons.verification.notebook import read_notebook
from comparisons.verification.report import VerifyReport
from comparisons.verification.runner import resolve_spec

_COUNTER = itertools.count()
KNOWN = ", ".join(BUILTIN_OPS)


@dataclass(frozen=True)
class UserFile:
    """A loaded derivation file and the spec it is verified against."""

    path: Path
    module: ModuleType
    spec: OpSpec
    notes: tuple[str, ...] = ()


def _import_traceback(exc: BaseException, files: list[str]) -> str:
    """The traceback from the first frame inside the user's file (or a notebook cell) on."""
    frames = traceback.extract_tb(exc.__traceback__)
    start = next((i for i, f in enumerate(frames) if f.filename in files), 0)
    lines = ["Traceback (most recent call last):\n", *traceback.format_list(frames[start:])]
    lines += traceback.format_exception_only(type(exc), exc)
    return "".join(lines).rstrip()


def _user_path(path: str | Path) -> Path:
    """``path`` resolved; UsageError for a missing file, a folder, not .py / .ipynb."""
    p = Path(path)
    if not p.exists():
        raise UsageError(f"{p}: no such file")
    if p.is_dir() or p.suffix not in (".py", ".ipynb"):
        raise UsageError(f"{p}: expected a Python file ending in .py or a notebook (.ipynb)")
    return p.resolve()


def _compiled(path: Path, shown: str | Path, cell: str | None
              ) -> tuple[list[tuple[str, Any]], tuple[str, ...]]:
    """(filename, code object) per unit to run (the file, or each notebook cell), and notes."""
    if path.suffix == ".ipynb":
        nb = read_notebook(path, cell)
        units = []
        for c in nb.cells:
            name = f"{path} [cell {c.number}]"
            linecache.cache[name] = (len(c.source), None, c.source.splitlines(True), name)
            try:
                units.append((name, compile(c.source, name, "exec")))
            except SyntaxError as exc:
                raise UsageError(f"{shown}: syntax error in cell {c.number}, line {exc.lineno}: "
                                 f"{exc.msg}") from None
        return units, nb.notes
    if cell is not None:
        raise UsageError(f"--cell: only for a notebook (.ipynb), got {shown}")
    try:
        source = path.read_text()
        return [(str(path), compile(source, str(path), "exec"))], ()
    except SyntaxError as exc:
        raise UsageError(f"{shown}: syntax error on line {exc.lineno}: {exc.msg}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"{shown}: cannot be read ({exc})") from None


@contextlib.contextmanager
def _working_dir(folder: Path | None) -> Iterator[None]:
    """Run in ``folder`` (None: stay), then come back."""
    if folder is None:
        yield
        return
    before = Path.cwd()
    os.chdir(folder)
    try:
        yield
    finally:
        os.chdir(before)


def _missing_data(exc: FileNotFoundError, shown: str | Path, folder: Path) -> UsageError:
    """The one line for a file reading a data file that is not there."""
    return UsageError(f"{shown}: reads {str(exc.filename)!r} while it is imported, and there is "
                      f"no such file in {folder}: put it there or pass --data-dir DIR")


def import_source(path: str | Path, *, cell: str | None = None,
                  data_dir: str | Path | None = None) -> tuple[Path, ModuleType, tuple[str, ...]]:
    """Import a .py file or a notebook's code cells (:mod:`~comparisons.verification.notebook`)
    as a fresh module; returns (path, module, notes on what of a notebook was skipped).

    It runs in ``data_dir`` if given, else a notebook in its own folder (as Jupyter does) and a
    .py file where verify was started. UsageError (one line) for a missing file, another
    suffix, bad syntax, an unknown ``cell``, and a data file read at import that is not there.
    """
    p = _user_path(path)
    units, notes = _compiled(p, path, cell)
    folder = Path(data_dir) if data_dir is not None else (
        p.parent if p.suffix == ".ipynb" else None)
    if folder is not None and not folder.is_dir():
        raise UsageError(f"--data-dir: expected an existing folder, got {folder}")
    stem = re.sub(r"\W", "_", p.stem)
    name = f"_backprop_lab_user_{next(_COUNTER)}_{stem}"
    module = ModuleType(name)
    module.__file__ = str(p)
    sys.modules[name] = module
    try:
        with _working_dir(folder):
            for _, code in units:
                exec(code, module.__dict__)  # noqa: S102 - running the user's file is the point
    except FileNotFoundError as exc:
        sys.modules.pop(name, None)
        raise _missing_data(exc, path, folder or Path.cwd()) from None
    except BaseException as exc:  # the user's module-level code may raise, exit, be stopped
        sys.modules.pop(name, None)
        raise UserCodeError(f"importing {path}", _import_traceback(exc, [f for f, _ in units]),
                            exit_reason(exc)) from exc
    return p, module, notes


def import_file(path: str | Path) -> tuple[Path, ModuleType]:
    """Import ``path`` (a .py file or a notebook) as a fresh module (see :func:`import_source`)."""
    p, module, _ = import_source(path)
    return p, module


def _pair(module: ModuleType, path: str | Path, names: tuple[str, str]) -> tuple[Any, Any]:
    missing = [n for n in names if not callable(getattr(module, n, None))]
    if missing:
        fwd, bwd = names
        raise UsageError(f"{path}: no {' or '.join(missing)} function defined (expected "
                         f"{fwd}(...) -> (out, cache) and {bwd}(dout, cache))")
    return getattr(module, names[0]), getattr(module, names[1])


def choose_op(module: ModuleType, path: str | Path, against: str | None) -> str:
    """The op name: --against, else OP in the file, else the file's stem for a custom layer."""
    custom = hasattr(module, "reference") or hasattr(module, "SHAPES")
    if against is not None:
        if against in BUILTIN_OPS or custom:
            return against
        raise UsageError(f"--against: unknown op {against!r}; known ops: {KNOWN}")
    op = getattr(module, "OP", None)
    if op is not None:
        if isinstance(op, str) and (op in BUILTIN_OPS or custom):
            return op
        raise UsageError(f"{path}: OP = {op!r} is not a known op; known ops: {KNOWN}")
    if custom:
        return Path(path).stem
    raise UsageError(f"{path}: cannot tell which op this derivation is for: pass --against OP "
                     f"(one of {KNOWN}), set OP = \"...\" in the file, or define reference + "
                     f"SHAPES for a layer of your own")


def load_user_file(path: str | Path, against: str | None = None, *, cell: str | None = None,
                   data_dir: str | Path | None = None,
                   names: tuple[str, str] = ("forward", "backward")) -> UserFile:
    """Import the file (see :func:`import_source` for ``cell`` and ``data_dir``), find the pair
    (``names``: the forward's and the backward's function names) and the op; UsageError (one
    line) otherwise."""
    p, module, notes = import_source(path, cell=cell, data_dir=data_dir)
    forward, backward = _pair(module, path, names)
    op = choose_op(module, path, against)
    reference = shapes = min_batch = None
    if op not in BUILTIN_OPS:
        reference, shapes = getattr(module, "reference", None), getattr(module, "SHAPES", None)
        min_batch = getattr(module, "MIN_BATCH", None)
        for what, value in (("reference", reference), ("SHAPES", shapes)):
            if value is None:
                raise UsageError(f"{path}: a custom layer needs both reference and SHAPES; "
                                 f"{what} is missing")
    try:
        spec = resolve_spec(forward, backward, op, reference, shapes,
                            getattr(module, "NONDIFF", ()), min_batch)
    except ValueError as exc:
        raise UsageError(f"{path}: {exc}") from None
    return UserFile(p, module, spec, notes)


def verify_file(path: str | Path, against: str | None = None, *, dtype: str = "float64",
                seed: int = 0, cell: str | None = None, data_dir: str | Path | None = None,
                names: tuple[str, str] = ("forward", "backward")) -> VerifyReport:
    """Load ``path`` (a .py file or a notebook) and verify it; anything raised while importing
    it is in ``report.error``; what of a notebook was skipped is in ``report.input_notes``.

    ``seed``: an integer >= 0 and ``dtype``: float32/float64, else ValueError naming them;
    ``against``: None or an op name (UsageError for an unknown one); ``cell``, ``data_dir``:
    see :func:`import_source`; ``names``: the pair's function names.
    """
    name, seed = check_dtype(dtype), check_seed(seed)
    against = check_against(against, custom=True)
    try:
        user = load_user_file(path, against, cell=cell, data_dir=data_dir, names=names)
    except UserCodeError as exc:
        return VerifyReport(against or Path(path).stem, name, seed, error=error_text(exc))
    return replace(build_report(user.spec, name, seed), input_notes=list(user.notes))
