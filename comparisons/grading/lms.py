"""The file names LMS exports give a class's submissions, turned back into one student each.

- **Canvas** ("Download submissions"): every file at the top of the zip, named
  ``lastfirst[_LATE]_USERID_ATTACHMENTID_original.py``; a file uploaded again under the same
  name has ``-N`` before its suffix (``two_layer-1.py``). The student is ``lastfirst_USERID``;
  their files get back their original names; of two that do, the later upload (the higher
  attachment id) is kept.
- **Blackboard** ("Download assignment"): ``Assignment_USER_attempt_YYYY-MM-DD-HH-MM-SS_
  original.py`` beside a ``.txt`` receipt; the student is ``USER``, only their latest
  attempt's files are kept (a receipt alone: a student with no file).
- **Moodle** ("Download all submissions"): one folder per student, ``Full Name_ID_
  assignsubmission_file_``; the student is ``Full Name_ID`` (:func:`moodle_student`); the
  folders of its other plugins (``_assignsubmission_onlinetext_``) are not students.

:func:`lms_groups` applies only when every ``.py`` and ``.ipynb`` file at the top of the
class's folder follows one layout; the files of that layout count whatever their suffix (a
student who sent only a PDF is a student with no file), others are left out (the export's
own zip beside its files); a folder of students' own ``alice.py`` files is left as it is.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

CANVAS = re.compile(r"^(?P<name>[^\W_]+)(?:_late)?_(?P<user>\d+)_(?P<order>\d+)_(?P<file>.+)$",
                    re.IGNORECASE)
BLACKBOARD = re.compile(r"^.+?_(?P<user>[^_]+)_attempt_(?P<order>\d{4}(?:-\d\d){5})"
                        r"(?:_(?P<file>.+)|\.txt)$")
MOODLE = re.compile(r"^(?P<student>.+)_assignsubmission_(?P<plugin>[a-z]+)_?$")
RESUBMITTED = re.compile(r"-\d+(?=\.[^.]+$)")
CODE = (".py", ".ipynb")


@dataclass(frozen=True)
class Upload:
    """One exported file: the student it is of, its original name (None: Blackboard's
    receipt) and its upload order."""

    student: str
    name: str | None
    order: str
    path: Path


def _canvas(path: Path) -> Upload | None:
    m = CANVAS.match(path.name)
    if m is None:
        return None
    name = RESUBMITTED.sub("", m["file"])
    return Upload(f"{m['name']}_{m['user']}", name, m["order"].zfill(20), path)


def _blackboard(path: Path) -> Upload | None:
    m = BLACKBOARD.match(path.name)
    return None if m is None else Upload(m["user"], m["file"], m["order"], path)


def lms_groups(files: list[Path]) -> dict[str, dict[str, Path]]:
    """Student -> original file name -> the exported file, when every ``.py`` and ``.ipynb``
    of ``files`` (the files at the top of the class's folder), and at least one file, follow
    one LMS layout (other files that do not, the export's own zip or notes, are left out);
    else ``{}``."""
    for parse in (_canvas, _blackboard):
        parsed = [(p, parse(p)) for p in files]
        if not any(u is not None for _, u in parsed) or any(
                u is None and p.suffix.lower() in CODE for p, u in parsed):
            continue
        uploads = [u for _, u in parsed if u is not None]  # the instructor's notes.txt aside
        groups: dict[str, dict[str, Upload]] = {}
        latest: dict[str, str] = {}
        for u in uploads:
            latest[u.student] = max(latest.get(u.student, ""), u.order)
        for u in sorted(uploads, key=lambda u: u.order):
            if parse is _blackboard and u.order != latest[u.student]:
                continue  # an earlier attempt
            theirs = groups.setdefault(u.student, {})  # a student who sent only a receipt
            if u.name is not None:
                theirs[u.name] = u  # a later upload wins
        return {s: {n: u.path for n, u in g.items()} for s, g in groups.items()}
    return {}


def moodle_student(folder_name: str) -> str | None:
    """``Full Name_ID`` for Moodle's ``Full Name_ID_assignsubmission_file_``, None for its
    other plugins' folders (``_assignsubmission_onlinetext_``: no files), else the name."""
    m = MOODLE.match(folder_name)
    if m is None:
        return folder_name
    return m["student"] if m["plugin"] == "file" else None
