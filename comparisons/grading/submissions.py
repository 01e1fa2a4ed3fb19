"""SUBMISSIONS as students and their files.

Accepted: a directory of ``.py`` (or ``.ipynb``, for a lab) files (one per student, named by
the file's stem), a
directory of folders (one per student, named by the folder; both may mix), a ``.zip`` of
either (extracted under the output folder; members that would land outside it are refused;
a single top folder is the class's),
and one Gradescope submission (``/autograder/submission``: the folder is one student's, named
by the first submitter's email in the ``submission_metadata.json`` beside it, so that a
``--variant-seed`` variant is that student's; ``submission`` when there is none). Names
starting with ``.`` or ``_`` (``__MACOSX``, ``.git``) are skipped.

Which file of a student's folder an item checks: the item's ``file`` (a glob), else the
folder's only ``.py`` file, else ``OP.py`` (``layers.py`` for a convention);
:func:`file_for` says why when none fits.
"""

from __future__ import annotations

import json
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

from comparisons.core.errors import UsageError
from comparisons.grading.rubric import Item

WANT = "a directory of .py files or of folders (one per student), or a .zip of one"


@dataclass(frozen=True)
class Submission:
    """One student's work: ``path`` is their .py file or their folder."""

    student: str
    path: Path


def safe_name(student: str) -> str:
    """The student id as a file name: anything but letters, digits, ``.``, ``-``, ``_`` is ``_``."""
    return re.sub(r"[^\w.-]", "_", student) or "_"


def _visible(path: Path) -> bool:
    return not path.name.startswith((".", "_"))


def extract_zip(path: Path, into: Path) -> Path:
    """Extract the zip into ``into``; UsageError for a bad zip or a member escaping it."""
    try:
        with zipfile.ZipFile(path) as archive:
            root = into.resolve()
            for member in archive.namelist():
                target = (root / member).resolve()
                if target != root and root not in target.parents:
                    raise UsageError(f"SUBMISSIONS: {path}: the member {member!r} would be "
                                     f"written outside the extraction folder; refused")
            archive.extractall(root)
    except zipfile.BadZipFile:
        raise UsageError(f"SUBMISSIONS: expected {WANT}, got {path} (not a valid zip)") from None
    entries = [p for p in root.iterdir() if _visible(p)]
    if len(entries) == 1 and entries[0].is_dir():
        return entries[0]  # one wrapping folder holding the class
    return root


def discover(path: str | Path, scratch: Path) -> list[Submission]:
    """Every student's submission under ``path`` (sorted by student); a zip is extracted into
    ``scratch``. UsageError (one line) for a missing path or one holding no submission."""
    p = Path(path)
    if not p.exists():
        raise UsageError(f"SUBMISSIONS: expected {WANT}, got {p} (no such file or directory)")
    if p.is_file():
        if p.suffix.lower() != ".zip":
            raise UsageError(f"SUBMISSIONS: expected {WANT}, got the file {p}")
        p = extract_zip(p, scratch)
    found: dict[str, Submission] = {}
    for entry in sorted(p.iterdir()):
        if not _visible(entry) or not (entry.is_dir() or entry.suffix in (".py", ".ipynb")):
            continue
        student = entry.stem if entry.is_file() else entry.name
        if student in found:
            raise UsageError(f"SUBMISSIONS: {p}: the student {student!r} has both a file and "
                             f"a folder; keep one")
        found[student] = Submission(student, entry)
    if not found:
        raise UsageError(f"SUBMISSIONS: expected {WANT}, got {p} (no .py file or folder in it)")
    return list(found.values())


def gradescope_submission(path: str | Path) -> list[Submission]:
    """Gradescope's one submission folder as its single student (see the module docstring)."""
    p = Path(path)
    if not p.is_dir():
        raise UsageError(f"SUBMISSIONS: expected Gradescope's submission folder, got {p} "
                         f"({'a file' if p.exists() else 'no such directory'})")
    return [Submission(gradescope_student(p.parent / "submission_metadata.json"), p)]


def gradescope_student(metadata: Path) -> str:
    """The first submitter's email in Gradescope's ``submission_metadata.json`` (``users``),
    else ``"submission"`` (no file, unreadable, or no email)."""
    try:
        users = json.loads(metadata.read_text(encoding="utf-8")).get("users") or [{}]
        email = users[0].get("email") if isinstance(users[0], dict) else None
    except (OSError, ValueError, AttributeError):
        return "submission"
    return email if isinstance(email, str) and email.strip() else "submission"


def file_for(sub: Submission, item: Item) -> tuple[Path | None, str | None]:
    """The file of ``sub`` that ``item`` checks, or None and the reason none fits."""
    if sub.path.is_file():
        return sub.path, None
    if item.file is not None:
        matches = sorted(m for m in sub.path.rglob(item.file) if m.is_file())
        if len(matches) == 1:
            return matches[0], None
        if not matches:
            return None, f"no file matching {item.file!r} in the submission"
        names = ", ".join(m.relative_to(sub.path).as_posix() for m in matches)
        return None, f"{len(matches)} files match {item.file!r} ({names}); expected one"
    kind = "*.ipynb" if item.lab is not None else "*.py"
    files = sorted(m for m in sub.path.rglob(kind)
                   if all(_visible(Path(part)) for part in m.relative_to(sub.path).parts))
    if len(files) == 1:
        return files[0], None
    named = [m for m in files if m.name == item.default_file]
    if len(named) == 1:
        return named[0], None
    if not files:
        return None, f"no {kind[1:]} file in the submission"
    return None, (f"{len(files)} {kind[1:]} files in the submission and none is "
                  f"{item.default_file} "
                  f"(the rubric's file = \"...\" names the one to check)")
