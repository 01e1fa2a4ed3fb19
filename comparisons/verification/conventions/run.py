"""The conventions by name, as ``backprop-lab verify FILE --convention NAME`` reads them."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from comparisons.core.errors import UsageError
from comparisons.verification.conventions.cs231n import verify_cs231n_file
from comparisons.verification.conventions.report import ConventionReport

CONVENTIONS: dict[str, Callable[..., ConventionReport]] = {"cs231n": verify_cs231n_file}
"""Convention name -> ``verify(path, *, dtype, seed, cell, data_dir) -> ConventionReport``."""


def verify_convention_file(path: str | Path, convention: str, *, dtype: str = "float64",
                           seed: int = 0, cell: str | None = None,
                           data_dir: str | Path | None = None) -> ConventionReport:
    """Verify ``path`` under ``convention``; UsageError (one line) for an unknown one."""
    if convention not in CONVENTIONS:
        raise UsageError(f"--convention: expected one of {', '.join(CONVENTIONS)}, "
                         f"got {convention!r}")
    return CONVENTIONS[convention](path, dtype=dtype, seed=seed, cell=cell, data_dir=data_dir)
