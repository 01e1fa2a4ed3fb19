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
import tokenize
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


@dataclass(frozen=True)
class Source:
    """What a verify runs: ``units`` (filename, source) - the file, or each notebook cell -,
    the folder it runs in and may read (``data_dir``, a notebook's own folder, or None: where
    verify was started) and the notes on what of a notebook was skipped."""

    path: Path
    units: list[tuple[str, str]]
    folder: Path | None
    notes: tuple[str, ...]


def _compiling(name: str, source: str, shown: str, line: str) -> tuple[str, str]:
    """(name, source) once it compiles; else UsageError ``"{shown}{line} N: msg"`` (``shown``:
    "FILE: syntax error", ``line``: " on line" or ", line"), without the line when Python
    names none (a null byte)."""
    try:
        compile(source, name, "exec")
    except SyntaxError as exc:
        where = f"{line} {exc.lineno}" if exc.lineno else ""
        raise UsageError(f"{shown}{where}: {exc.msg}") from None
    except ValueError as exc:  # a null byte, on Pythons that raise ValueError for it
        raise UsageError(f"{shown}: {exc}") from None
    return name, source


def checked_source(path: str | Path, cell: str | None = None,
                   data_dir: str | Path | None = None) -> Source:
    """The file (or the notebook's cells) to run, each compiling; UsageError (one line) for a
    missing file, another suffix, bad syntax, --cell on a .py, a missing --data-dir."""
    p = Path(path)
    if not p.exists():
        raise UsageError(f"{p}: no such file")
    if p.is_dir() or p.suffix not in (".py", ".ipynb"):
        raise UsageError(f"{p}: expected a Python file ending in .py or a notebook (.ipynb)")
    p = p.resolve()
    if p.suffix == ".ipynb":
        nb = read_notebook(p, cell)
        units = [_compiling(f"{p} [cell {c.number}]", c.source,
                            f"{path}: syntax error in cell {c.number}", ", line")
                 for c in nb.cells]
        notes = nb.notes
    else:
        if cell is not None:
            raise UsageError(f"--cell: only for a notebook (.ipynb), got {path}")
        try:  # as Python reads source: a UTF-8 BOM, a coding: line (PEP 263)
            with tokenize.open(p) as f:
                text = f.read()
        except (OSError, UnicodeDecodeError, SyntaxError) as exc:
            hint = "" if isinstance(exc, OSError) else "; save it as UTF-8"
            raise UsageError(f"{path}: cannot be read ({exc}){hint}") from None
        units, notes = [_compiling(str(p), text, f"{path}: syntax error", " on line")], ()
    folder = Path(data_dir) if data_dir is not None else (
        p.parent if p.suffix == ".ipynb" else None)
    if folder is not None and not folder.is_dir():
        raise UsageError(f"--data-dir: expected an existing folder, got {folder}")
    return Source(p, units, None if folder is None else folder.resolve(), notes)


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
    source = checked_source(path, cell, data_dir)
    p, folder = source.path, source.folder
    units = []
    for filename, text in source.units:
        if filename != str(p):  # a notebook cell: tracebacks show its lines
            linecache.cache[filename] = (len(text), None, text.splitlines(True), filename)
        units.append((filename, compile(text, filename, "exec")))
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
    return p, module, source.notes


def import_file(path: str | Path) -> tuple[Path, ModuleType]:
    """Import ``path`` (a .py file or a notebook) as a fresh module (see :func:`import_source`)."""
    p, module, _ = import_source(path)
    return p, module


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


def module_spec(module: Any, path: str | Path, against: str | None,
                names: tuple[str, str] = ("forward", "backward")) -> OpSpec:
    """The op's spec with the module's pair (``names``: the forward's and the backward's
    function names; the module may be the sandbox's proxies): the op from :func:`choose_op`,
    a custom layer's reference and SHAPES; UsageError (one line) otherwise."""
    missing = [n for n in names if not callable(getattr(module, n, None))]
    if missing:
        raise UsageError(f"{path}: no {' or '.join(missing)} function defined (expected "
                         f"{names[0]}(...) -> (out, cache) and {names[1]}(dout, cache))")
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
        return resolve_spec(getattr(module, names[0]), getattr(module, names[1]), op,
                            reference, shapes, getattr(module, "NONDIFF", ()), min_batch)
    except ValueError as exc:
        raise UsageError(f"{path}: {exc}") from None


def load_user_file(path: str | Path, against: str | None = None, *, cell: str | None = None,
                   data_dir: str | Path | None = None,
                   names: tuple[str, str] = ("forward", "backward")) -> UserFile:
    """Import the file (see :func:`import_source` for ``cell`` and ``data_dir``) and build its
    spec (:func:`module_spec`); UsageError (one line) otherwise."""
    p, module, notes = import_source(path, cell=cell, data_dir=data_dir)
    return UserFile(p, module, module_spec(module, path, against, names), notes)


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
