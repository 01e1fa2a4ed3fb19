"""Load a user's derivation file and verify it: ``verify_file("my_linear.py")``.

The file is imported by path under a unique module name. It must define ``forward`` and
``backward``. The op is ``--against`` (``against=``) if given, else the file's
``OP = "linear"``, else a custom layer when the file defines ``reference`` and ``SHAPES``
(see :mod:`comparisons.verification.custom`). Usage problems raise :class:`UsageError` with one line
(no such file, not a .py, a syntax error and its line, forward/backward missing, unknown op);
anything raised while importing the file, ``sys.exit(...)`` and KeyboardInterrupt included, is
the user's code failing: a report with ``error`` ("importing FILE called sys.exit(0)").
"""

from __future__ import annotations

import importlib.util
import itertools
import re
import sys
import traceback
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

from comparisons.core.builtin_ops import BUILTIN_OPS
from comparisons.core.errors import UsageError
from comparisons.core.ops import OpSpec
from comparisons.verification.aggregate import build_report
from comparisons.verification.arguments import check_against, check_dtype, check_seed
from comparisons.verification.guard import UserCodeError, error_text, exit_reason
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


def _import_traceback(exc: BaseException, path: Path) -> str:
    """The traceback from the first frame inside the user's file on."""
    frames = traceback.extract_tb(exc.__traceback__)
    start = next((i for i, f in enumerate(frames) if Path(f.filename) == path), 0)
    lines = ["Traceback (most recent call last):\n", *traceback.format_list(frames[start:])]
    lines += traceback.format_exception_only(type(exc), exc)
    return "".join(lines).rstrip()


def import_file(path: str | Path) -> tuple[Path, ModuleType]:
    """Import ``path`` as a fresh module; UsageError for a missing file, not .py, bad syntax."""
    p = Path(path)
    if not p.exists():
        raise UsageError(f"{p}: no such file")
    if p.is_dir() or p.suffix != ".py":
        raise UsageError(f"{p}: expected a Python file ending in .py")
    p = p.resolve()
    stem = re.sub(r"\W", "_", p.stem)
    name = f"_backprop_lab_user_{next(_COUNTER)}_{stem}"
    spec = importlib.util.spec_from_file_location(name, p)
    if spec is None or spec.loader is None:
        raise UsageError(f"{p}: cannot be imported as a Python module")
    module = importlib.util.module_from_spec(spec)
    try:
        source = p.read_text()
        compile(source, str(p), "exec")
    except SyntaxError as exc:
        raise UsageError(f"{path}: syntax error on line {exc.lineno}: {exc.msg}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"{path}: cannot be read ({exc})") from None
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException as exc:  # the user's module-level code may raise, exit, be stopped
        sys.modules.pop(name, None)
        raise UserCodeError(f"importing {path}", _import_traceback(exc, p),
                            exit_reason(exc)) from exc
    return p, module


def _pair(module: ModuleType, path: str | Path) -> tuple[Any, Any]:
    missing = [n for n in ("forward", "backward") if not callable(getattr(module, n, None))]
    if missing:
        raise UsageError(f"{path}: no {' or '.join(missing)} function defined (expected "
                         f"forward(...) -> (out, cache) and backward(dout, cache))")
    return module.forward, module.backward


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


def load_user_file(path: str | Path, against: str | None = None) -> UserFile:
    """Import the file, find forward/backward and the op; UsageError (one line) otherwise."""
    p, module = import_file(path)
    forward, backward = _pair(module, path)
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
    return UserFile(p, module, spec)


def verify_file(path: str | Path, against: str | None = None, *, dtype: str = "float64",
                seed: int = 0) -> VerifyReport:
    """Load ``path`` and verify it; anything raised while importing it is in ``report.error``.

    ``seed``: an integer >= 0 and ``dtype``: float32/float64, else ValueError naming them;
    ``against``: None or an op name (UsageError for an unknown one).
    """
    name, seed = check_dtype(dtype), check_seed(seed)
    against = check_against(against, custom=True)
    try:
        user = load_user_file(path, against)
    except UserCodeError as exc:
        return VerifyReport(against or Path(path).stem, name, seed, error=error_text(exc))
    return build_report(user.spec, name, seed)
