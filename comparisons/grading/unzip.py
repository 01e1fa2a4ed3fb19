"""Zips extracted without trusting them: the class's ``SUBMISSIONS.zip`` and a student's own.

:func:`unzip` writes every member itself, after checking them all: a member that would land
outside the extraction folder (``../x``, ``/etc/x``, ``..\\x`` from Windows) is refused, and
so is a zip declaring more than its byte limit or :data:`MAX_MEMBERS` members; the bytes are
counted as they are written too, so a header that lies about its size is stopped at the
limit. Any refusal or a corrupt or encrypted zip is one :class:`UsageError` line and leaves
nothing extracted. A :class:`Budget` is the bytes left to a whole run (the class's zip and
every student's), so that a class of zips of zips cannot fill the disk either.
"""

from __future__ import annotations

import shutil
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

from comparisons.core.errors import UsageError

MAX_UNZIPPED = 2 << 30
"""The most bytes one run extracts in all (2 GiB)."""
STUDENT_UNZIPPED = 256 << 20
"""The most bytes one student's zip may expand to (256 MiB)."""
MAX_MEMBERS = 100_000
CHUNK = 1 << 20


@dataclass
class Budget:
    """The bytes a run may still extract."""

    left: int


def run_budget() -> Budget:
    """A run's budget: :data:`MAX_UNZIPPED` bytes."""
    return Budget(MAX_UNZIPPED)


def _mib(n: int) -> str:
    return f"{n / 2**20:g} MiB"


def _targets(archive: zipfile.ZipFile, root: Path, limit: int,
             label: str) -> list[tuple[zipfile.ZipInfo, Path]]:
    """Every member and where it goes, all checked before anything is written."""
    members = archive.infolist()
    if len(members) > MAX_MEMBERS:
        raise UsageError(f"{label}: {len(members)} members, more than {MAX_MEMBERS}; refused")
    if sum(info.file_size for info in members) > limit:  # as declared: refused at once
        raise UsageError(f"{label} expands to more than {_mib(limit)} (a zip bomb?); refused")
    targets = []
    for info in members:
        target = (root / info.filename.replace("\\", "/")).resolve()
        if target != root and root not in target.parents:
            raise UsageError(f"{label}: the member {info.filename!r} would be written outside "
                             f"the extraction folder; refused")
        targets.append((info, target))
    return targets


def _write(archive: zipfile.ZipFile, targets: list[tuple[zipfile.ZipInfo, Path]], root: Path,
           limit: int, label: str) -> int:
    root.mkdir(parents=True)
    written = 0
    for info, target in targets:
        if info.is_dir() or target == root:
            target.mkdir(parents=True, exist_ok=True)
            continue
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            with archive.open(info) as src, target.open("wb") as dst:
                while chunk := src.read(CHUNK):
                    written += len(chunk)
                    if written > limit:
                        raise UsageError(f"{label} expands to more than {_mib(limit)} (a zip "
                                         f"bomb?); refused")
                    dst.write(chunk)
        except OSError as exc:  # a name too long, the disk full: said with the member
            raise UsageError(f"{label}: the member {info.filename!r} cannot be written "
                             f"({exc.strerror or exc})") from None
    return written


def unzip(path: Path, into: Path, label: str, budget: Budget | None = None,
          limit: int | None = None) -> Path:
    """Extract the zip ``path`` afresh into ``into`` (what was there is removed), at most
    ``limit`` bytes (default :data:`STUDENT_UNZIPPED`; and what ``budget`` has left, which is
    charged); the resolved folder. UsageError ``"{label} ..."`` (one line, nothing left
    extracted) otherwise."""
    limit = STUDENT_UNZIPPED if limit is None else limit
    root = into.resolve()
    shutil.rmtree(root, ignore_errors=True)
    cap = limit if budget is None else min(limit, budget.left)
    try:
        with zipfile.ZipFile(path) as archive:
            written = _write(archive, _targets(archive, root, cap, label), root, cap, label)
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError,
            OSError, UsageError) as exc:
        shutil.rmtree(root, ignore_errors=True)
        if isinstance(exc, UsageError):
            raise
        why = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise UsageError(f"{label}: it cannot be extracted ({why or type(exc).__name__})"
                         ) from None
    if budget is not None:
        budget.left -= written
    return root


def extract_class(path: Path, into: Path, budget: Budget | None = None,
                  limit: int | None = None) -> Path:
    """The class's zip extracted into ``into`` (at most ``limit``, default
    :data:`MAX_UNZIPPED`): its single top folder when it has one (``__MACOSX`` and other
    names starting with ``.`` or ``_`` aside), else ``into``."""
    limit = MAX_UNZIPPED if limit is None else limit
    root = unzip(path, into, f"SUBMISSIONS: {path}", budget, limit)
    entries = [p for p in root.iterdir() if not p.name.startswith((".", "_"))]
    if len(entries) == 1 and entries[0].is_dir():
        return entries[0]  # one wrapping folder holding the class
    return root
