"""Gallery files an op's own test file keeps inline, so adding an op adds no gallery files.

A test file ``tests/test_<op>.py`` of a built-in op (or ``tests/test_<family>.py`` of its
family: test_normalization.py for batchnorm and layernorm) may define ``PLANTED`` and
``CORRECT``:
dicts of file stem -> module source, written exactly as the files under tests/verify_gallery
(planted bugs, with ``OP`` and ``EXPECT``) and tests/verify_correct (correct derivations) are.
:func:`inline_paths` writes them to a temporary directory at collection time, and the gallery
tests run them with their own files: same checks, same coverage rules.
"""

from __future__ import annotations

import atexit
import importlib
import shutil
import tempfile
from pathlib import Path

from comparisons.core.builtin_ops import BUILTIN_OPS, DECLARATIONS

HERE = Path(__file__).parent


def inline_paths(kind: str) -> list[Path]:
    """The ``kind`` ("PLANTED" or "CORRECT") sources of every op's test file, as .py files."""
    out = Path(tempfile.mkdtemp(prefix=f"backprop_lab_{kind.lower()}_"))
    atexit.register(shutil.rmtree, out, ignore_errors=True)
    paths = []
    modules = dict.fromkeys([*(f"test_{op}" for op in BUILTIN_OPS),
                             *(f"test_{d.family}" for d in DECLARATIONS.values())])
    for module in modules:
        if (HERE / f"{module}.py").exists():
            for stem, source in getattr(importlib.import_module(module), kind, {}).items():
                path = out / f"{stem}.py"
                path.write_text(source, encoding="utf-8")
                paths.append(path)
    return sorted(paths)
