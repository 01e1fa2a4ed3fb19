"""The limits of one isolated submission (:class:`Limits`), with their defaults.

Light (no NumPy, no torch): the command line builds a :class:`Limits` from its options.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

MB = 2**20


@dataclass(frozen=True)
class Limits:
    """What one submission's child process may use.

    ``call_timeout``: seconds of wall time for one call into the student's code;
    ``import_timeout``: for importing the file (a file that imports torch takes seconds on a
    loaded machine); ``total_timeout``: seconds for all its calls together; ``memory_mb``:
    the address-space limit (RLIMIT_AS, which counts what is reserved: torch alone reserves
    ~0.7 GB); ``cpu_seconds``: CPU time (RLIMIT_CPU); ``file_size_mb``: the largest file the
    child may write (RLIMIT_FSIZE); ``output_kb``: what the code may print before the
    submission fails (the first ``SHOWN`` characters are kept for the report);
    ``message_mb``: the largest reply the parent reads; ``no_import``: top-level packages the
    code may not import (``("handmade", "reference")`` for grading: the project's solutions).
    """

    call_timeout: float = 10.0
    total_timeout: float = 60.0
    import_timeout: float = 30.0
    memory_mb: int = 3072
    cpu_seconds: int = 120
    file_size_mb: int = 64
    output_kb: int = 1024
    message_mb: int = 256
    no_import: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name == "no_import":
                if isinstance(value, str) or not all(isinstance(v, str) for v in value):
                    raise ValueError(f"no_import: expected a tuple of package names, got "
                                     f"{value!r}")
                object.__setattr__(self, "no_import", tuple(value))
            elif isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
                raise ValueError(f"{f.name}: expected a positive number, got {value!r}")


SHOWN = 2000
"""Characters of what the student's code printed that a report shows."""


PRELOADS = ("torch",)
"""What a fork server may import before it forks (:mod:`.torch_forkserver`): a lab notebook
imports torch, ~2 s a child; a fork of a server that imported it once costs milliseconds. Its
children still run only the student's code, under the same limits and audit hook."""
