"""SUBMISSIONS as students and their files.

Accepted: a directory of ``.py`` (or ``.ipynb``) files (one per student, named by the file's
stem), a directory of folders (one per student, named by the folder; both may mix), a
``.zip`` of either, and one Gradescope submission (``/autograder/submission``: the folder is
one student's, named by the first submitter's email in the ``submission_metadata.json``
beside it, so that a ``--variant-seed`` variant is that student's; ``submission`` when there
is none). Canvas's, Blackboard's and Moodle's export names are read back as students
(:mod:`comparisons.grading.lms`). Names starting with ``.`` or ``_`` (``__MACOSX``, ``._x.py``,
``.DS_Store``, ``.git``, ``.ipynb_checkpoints``) are skipped, and so is the output folder
when it lies inside SUBMISSIONS.

Zips (:mod:`comparisons.grading.unzip`: refused, in one line, when a member would land
outside, past their byte limits, corrupt): the class's is extracted afresh under the output
folder (``.submissions/``); a student's own (``alice.zip`` in a class of zips, where no
``.py`` or ``.ipynb`` file lies beside them; or the zips of a folder holding no ``.py`` or
``.ipynb`` file, a Canvas upload among them) is extracted there too and graded as their
folder; when it cannot be, that is the reason of their rows.

Which file of a student's folder an item checks: the item's ``file`` (a glob), else the
folder's only ``.py`` file, else ``OP.py`` (``layers.py`` for a convention), else, for an op,
the folder's only notebook; :func:`file_for` says why when none fits - and refuses a file
that is a symbolic link leading out of the student's folder (out of SUBMISSIONS for a file
of its own) and a ``.py`` file holding a notebook's JSON.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import unicodedata
from dataclasses import dataclass, replace
from pathlib import Path

from comparisons.core.errors import UsageError
from comparisons.grading.lms import lms_groups, moodle_student
from comparisons.grading.rubric import Item
from comparisons.grading.unzip import Budget, extract_class, run_budget, unzip

WANT = "a directory of .py files or of folders (one per student), or a .zip of one"
SUFFIXES = (".py", ".ipynb")
MAX_SOURCE_BYTES = {".py": 8 << 20, ".ipynb": 64 << 20}
"""The largest file graded, per suffix: the grader reads and compiles it."""


@dataclass(frozen=True)
class Submission:
    """One student's work: ``path`` is their .py file or their folder; ``within``: the folder
    the files graded must lie in once symbolic links are followed (None: anywhere);
    ``problem``: why nothing of it can be graded (their zip could not be extracted)."""

    student: str
    path: Path
    within: Path | None = None
    problem: str | None = None


def safe_name(student: str) -> str:
    """The student id as a file name: anything but letters, digits, ``.``, ``-``, ``_`` is ``_``."""
    return re.sub(r"[^\w.-]", "_", student) or "_"


def _visible(path: Path) -> bool:
    return not path.name.startswith((".", "_"))


def _inside(target: Path, folder: Path) -> bool:
    return target == folder or folder in target.parents


def _lms_folders(files: list[Path], scratch: Path) -> dict[str, Submission]:
    """Canvas's or Blackboard's files as a folder per student (copies under ``scratch``)."""
    groups = lms_groups(files)
    found = {}
    for name_as_given, named in sorted(groups.items()):
        student = unicodedata.normalize("NFC", name_as_given)
        folder = scratch / "students" / safe_name(student)
        folder.mkdir(parents=True, exist_ok=True)
        for name, path in named.items():
            shutil.copyfile(path, folder / safe_name(name))
        found[student] = Submission(student, folder, folder.resolve())
    return found


def opened(sub: Submission, scratch: Path, budget: Budget) -> Submission:
    """``sub`` with its own zips extracted under ``scratch`` (see the module docstring): a
    ``.zip`` file of its own, or a folder whose only submission files are zips."""
    if sub.path.is_dir():
        zips = sorted(m for m in sub.path.iterdir() if m.suffix.lower() == ".zip"
                      and m.is_file() and _visible(m))
        if not zips or any(_files(sub, f"*{kind}", default=True) for kind in SUFFIXES):
            return sub
    elif sub.path.suffix.lower() == ".zip":
        zips = [sub.path]
    else:
        return sub
    folder = scratch / "students" / safe_name(sub.student)
    if sub.path.is_dir() and sub.path.resolve() != folder.resolve():
        shutil.rmtree(folder, ignore_errors=True)  # extracted afresh, beside no copy
    try:
        for z in zips:
            if sub.within is not None and not _inside(z.resolve(), sub.within):
                raise UsageError(f"{z.name} is a symbolic link to a file outside your "
                                 f"submission; submit the file itself")
            unzip(z, folder / (z.stem or "zip"), z.name, budget)
            if z.parent.resolve() == folder.resolve():
                z.unlink()  # our copy of a Canvas upload: its files are beside it now
    except UsageError as exc:
        return replace(sub, problem=str(exc))
    return Submission(sub.student, folder, folder.resolve())


def discover(path: str | Path, scratch: Path, skip: Path | None = None) -> list[Submission]:
    """Every student's submission under ``path`` (sorted by student); zips are extracted
    into ``scratch``; ``skip`` (the output folder) is not a student. UsageError (one line)
    for a missing path or one holding no submission, or a refused zip of the class."""
    p = given = Path(path)
    if not p.exists():
        raise UsageError(f"SUBMISSIONS: expected {WANT}, got {p} (no such file or directory)")
    budget = run_budget()
    if p.is_file():
        if p.suffix.lower() != ".zip":
            raise UsageError(f"SUBMISSIONS: expected {WANT}, got the file {p}")
        p = extract_class(p, scratch / "unzipped", budget)
    shutil.rmtree(scratch / "students", ignore_errors=True)
    skipped = {skip.resolve(), scratch.resolve()} if skip is not None else {scratch.resolve()}
    every = [e for e in sorted(p.iterdir()) if _visible(e) and e.resolve() not in skipped]
    found = _lms_folders([e for e in every if not e.is_dir()], scratch)
    files = [e.suffix.lower() for e in every if not e.is_dir()]
    kinds = SUFFIXES if any(k in SUFFIXES for k in files) else (".zip",)  # a class of zips
    entries = [e for e in every if e.is_dir() or (not found and e.suffix.lower() in kinds)]
    within = p.resolve()
    several: dict[str, list[str]] = {}
    for entry in entries:
        student = entry.stem if not entry.is_dir() else moodle_student(entry.name)
        if student is None:
            continue  # a Moodle folder holding no files
        student = unicodedata.normalize("NFC", student)  # macOS names are decomposed
        several.setdefault(student, []).append(entry.name)
        if student not in found:
            found[student] = Submission(student, entry,
                                        within / entry.name if entry.is_dir() else within)
    if not found:
        raise UsageError(f"SUBMISSIONS: expected {WANT}, got {given} (no .py file or folder "
                         f"in it)")
    for student, names in several.items():  # that student's row says so; the class is graded
        if len(names) > 1:
            found[student] = replace(found[student], problem=(
                f"the class folder holds more than one submission of yours "
                f"({', '.join(names[:5])}): the grader cannot tell which to grade; keep one"))
    return [found[s] if found[s].problem else opened(found[s], scratch, budget)
            for s in sorted(found)]


def gradescope_submission(path: str | Path, scratch: Path | None = None) -> list[Submission]:
    """Gradescope's one submission folder as its single student (see the module docstring);
    a zip in it, holding the files, extracted into ``scratch``."""
    p = Path(path)
    if not p.is_dir():
        raise UsageError(f"SUBMISSIONS: expected Gradescope's submission folder, got {p} "
                         f"({'a file' if p.exists() else 'no such directory'})")
    sub = Submission(gradescope_student(p.parent / "submission_metadata.json"), p, p.resolve())
    if scratch is not None:
        shutil.rmtree(scratch / "students", ignore_errors=True)
        sub = opened(sub, scratch, run_budget())
    return [sub]


def gradescope_student(metadata: Path) -> str:
    """The first submitter's email in Gradescope's ``submission_metadata.json`` (``users``),
    else ``"submission"`` (no file, unreadable, or no email)."""
    try:
        users = json.loads(metadata.read_text(encoding="utf-8")).get("users") or [{}]
        email = users[0].get("email") if isinstance(users[0], dict) else None
    except (OSError, ValueError, AttributeError):
        return "submission"
    return email if isinstance(email, str) and email.strip() else "submission"


def _shown(path: Path, sub: Submission) -> str:
    return path.name if sub.path.is_file() else path.relative_to(sub.path).as_posix()


def refused(sub: Submission, path: Path) -> str | None:
    """Why the file ``path`` of ``sub`` is not graded: a symbolic link leading out of the
    submission, a file past :data:`MAX_SOURCE_BYTES`, or a ``.py`` file holding a notebook's
    JSON; None when it is fine."""
    if sub.within is not None and not _inside(path.resolve(), sub.within):
        return (f"{_shown(path, sub)} is a symbolic link to a file outside your "
                f"submission; submit the file itself")
    if not path.is_file():  # a FIFO would block the grader, a device never end
        return f"{_shown(path, sub)} is not a regular file; submit the file itself"
    try:
        size = path.stat().st_size
        with path.open("rb") as f:
            head = f.read(4096).lstrip(b"\xef\xbb\xbf \t\r\n")
    except OSError as exc:
        return f"{_shown(path, sub)} cannot be read ({exc.strerror})"
    most = MAX_SOURCE_BYTES.get(path.suffix, MAX_SOURCE_BYTES[".py"])
    if size > most:
        return (f"{_shown(path, sub)} is {size / 2**20:.0f} MiB, more than the "
                f"{most / 2**20:g} MiB a {path.suffix or '.py'} file may be; submit the code "
                f"alone (a notebook: its outputs cleared)")
    if path.suffix == ".py":
        if head.startswith(b"{") and b'"cells"' in head:
            return (f"{_shown(path, sub)} holds a Jupyter notebook (JSON), not Python: "
                    f"submit it as a .ipynb, or export it as a .py (File > Download as)")
    return None


def _files(sub: Submission, pattern: str, default: bool) -> list[Path]:
    """The files of ``sub``'s folder matching ``pattern``, hidden folders' (``.x``,
    ``__MACOSX``) and hidden files (``._x.py``) left out; ``default``: ``_x.py`` too."""
    found = []
    for m in sub.path.rglob(pattern):
        parts = m.relative_to(sub.path).parts
        if (m.is_file() or m.is_symlink()) and all(_visible(Path(d)) for d in parts[:-1]) \
                and not m.name.startswith("." if not default else (".", "_")):
            found.append(m)
    return sorted(found)


def _chosen(sub: Submission, item: Item) -> tuple[Path | None, str | None]:
    if sub.path.is_file() or (sub.path.is_symlink() and not sub.path.is_dir()):
        return sub.path, None
    if item.file is not None:
        matches = _files(sub, item.file, default=False)
        if len(matches) == 1:
            return matches[0], None
        if not matches:
            there = [_shown(m, sub) for k in SUFFIXES for m in _files(sub, f"*{k}", True)]
            held = f" (it holds {', '.join(there[:5])})" if there \
                else _zipped(sub)
            return None, f"no file matching {item.file!r} in the submission{held}"
        names = ", ".join(_shown(m, sub) for m in matches)
        return None, f"{len(matches)} files match {item.file!r} ({names}); expected one"
    kinds = ("*.ipynb",) if item.lab is not None else ("*.py", "*.ipynb")
    for kind in kinds:
        files = _files(sub, kind, default=True)
        if len(files) == 1:
            return files[0], None
        want = Path(item.default_file).stem + kind[1:]
        named = [m for m in files if m.name == want]
        if len(named) == 1:
            return named[0], None
        if files:
            names = ", ".join(_shown(m, sub) for m in files)
            return None, (f"{len(files)} {kind[1:]} files in the submission ({names}) and "
                          f"none is named {want}: submit one, or name the one to grade "
                          f"{want}")
    return None, f"no {' or '.join(k[1:] for k in kinds)} file in the submission{_zipped(sub)}"


def _zipped(sub: Submission) -> str:
    """A hint when the folder holds a zip (not opened beside .py or .ipynb files)."""
    zips = [m.name for m in sorted(sub.path.glob("*.zip"))] if sub.path.is_dir() else []
    return (f" (it holds {', '.join(zips)}, not opened beside .py or .ipynb files: submit "
            f"the files themselves)") if zips else ""


def file_for(sub: Submission, item: Item) -> tuple[Path | None, str | None]:
    """The file of ``sub`` that ``item`` checks, or None and the reason none fits."""
    if sub.problem is not None:
        return None, sub.problem
    path, reason = _chosen(sub, item)
    if path is not None and (why := refused(sub, path)) is not None:
        return None, why
    return path, reason


def feedback_names(students: list[str], longest: int = 60) -> dict[str, str]:
    """Each student's feedback file name (no suffix): :func:`safe_name`, cut to ``longest``
    characters, with a short hash of the id when two would be the same file on a
    case-insensitive disk (``Alice``/``alice``, ``a b``/``a_b``) or the name was cut."""
    base = {s: safe_name(s) for s in students}
    clashes: dict[str, int] = {}
    for name in base.values():
        clashes[name[:longest].casefold()] = clashes.get(name[:longest].casefold(), 0) + 1
    names = {}
    for s, name in base.items():
        if len(name) > longest or clashes[name[:longest].casefold()] > 1:
            name = f"{name[:longest]}-{hashlib.sha256(s.encode()).hexdigest()[:8]}"
        names[s] = name
    return names
