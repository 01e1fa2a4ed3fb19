"""The demo report: one self-contained HTML page built from what the demo sections returned.

:func:`build_report` knows nothing about particular sections. Each section dict gives at least
``title``, ``passed`` (True, False or absent), ``files`` (paths relative to the output folder)
and ``command`` (the exact command that reproduces it); every other scalar entry is a key
number and goes into the section's table (nested dicts are flattened as ``outer.inner``), named
in words (:func:`comparisons.report.labels.label`; a section may give its own ``labels``, by
key). Optional: ``note`` (a paragraph under the heading, e.g. that a failure shown is planted)
and ``folded`` (file name -> a one-line summary: that file is shown collapsed behind it).

Files are embedded: PNG, JPEG, GIF and SVG images as base64 ``data:`` URIs (so an SVG's
scripts can never run), text files (``.txt``, ``.json``, ...) as escaped ``<pre>`` blocks,
in a ``<details>`` when long (open up to 400 lines; JSON and CSV data start closed).
The page loads nothing from the network or the disk.
"""

from __future__ import annotations

import base64
import datetime as _dt
import json
import os
import platform
import re
from collections.abc import Iterator, Mapping, Sequence
from importlib import metadata
from pathlib import Path
from typing import Any

from comparisons.report import html as h
from comparisons.report import labels as key_labels

REPORT_NAME = "report.html"
NOT_NUMBERS = frozenset({"files", "command", "title", "passed", "error", "labels", "note",
                         "folded"})
IMAGE_TYPES = {".png": "image/png", ".svg": "image/svg+xml", ".jpg": "image/jpeg",
               ".jpeg": "image/jpeg", ".gif": "image/gif"}
SIGNATURES = {".png": b"\x89PNG\r\n\x1a\n", ".jpg": b"\xff\xd8", ".jpeg": b"\xff\xd8",
              ".gif": b"GIF8"}
TEXT_TYPES = frozenset({".txt", ".json", ".csv", ".md", ".log", ".dot", ".py", ".tex"})
OPEN_LINES = 30  # text files up to this many lines are shown plainly, longer ones collapsible
FOLDED_LINES = 400  # collapsible text up to this many lines starts open (JSON/CSV start closed)
MAX_TEXT_CHARS = 200_000  # longer text files are cut, with a note saying so
MAX_LIST_ITEMS = 8  # lists of scalars up to this length are shown in the numbers table


def collect_versions() -> dict[str, str]:
    """Versions of Python and the numerical stack, the platform and the CPU count."""
    versions = {"Python": platform.python_version()}
    for label, dist in (("NumPy", "numpy"), ("torch", "torch"), ("matplotlib", "matplotlib")):
        try:
            versions[label] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            versions[label] = "not installed"
    versions["platform"] = platform.platform()
    versions["CPUs"] = str(os.cpu_count())
    return versions


def _verdict(section: Mapping[str, Any]) -> bool | None:
    """True / False from ``passed``; None when the section gives no verdict."""
    passed = section.get("passed")
    return None if passed is None else bool(passed)


def _format(value: Any) -> tuple[str, bool]:
    """A scalar as display text, and whether it is a number (right-aligned)."""
    if isinstance(value, bool) or value is None:
        return ("—" if value is None else str(value)), False
    if isinstance(value, int):
        return str(value), True
    if isinstance(value, float):
        return f"{value:.6g}", True
    return str(value), False


def _flatten(prefix: str, value: Any, depth: int = 0) -> Iterator[tuple[str, str, bool]]:
    """Rows of the numbers table for one entry: scalars, short scalar lists, nested dicts."""
    if isinstance(value, Mapping) and depth < 3:
        for key, inner in value.items():
            yield from _flatten(f"{prefix}.{key}", inner, depth + 1)
    elif isinstance(value, list | tuple):
        if len(value) <= MAX_LIST_ITEMS and all(not isinstance(v, Mapping | list | tuple)
                                                for v in value):
            yield prefix, ", ".join(_format(v)[0] for v in value), False
        else:
            yield prefix, f"[{len(value)} items]", False
    elif isinstance(value, str | int | float | bool) or value is None:
        text, numeric = _format(value)
        yield prefix, text, numeric


def key_numbers(section: Mapping[str, Any]) -> list[tuple[str, str, bool]]:
    """``(name, text, is_numeric)`` rows for every entry except files/command/title/verdict."""
    rows: list[tuple[str, str, bool]] = []
    for key, value in section.items():
        if key not in NOT_NUMBERS:
            rows.extend(_flatten(str(key), value))
    return rows


def labelled_numbers(section: Mapping[str, Any]) -> list[tuple[str, str, bool]]:
    """:func:`key_numbers` with each key replaced by its label (the section's ``labels``
    first)."""
    own = section.get("labels")
    labels = {str(k): str(v) for k, v in own.items()} if isinstance(own, Mapping) else {}
    return [(key_labels.label(key, labels), text, numeric)
            for key, text, numeric in key_numbers(section)]


def _image(path: Path, name: str) -> str:
    """An ``<img>`` with the file as a base64 data URI, or a note when the file is not one."""
    suffix = path.suffix.lower()
    data = path.read_bytes()
    signature = SIGNATURES.get(suffix)
    if (signature and not data.startswith(signature)) or (suffix == ".svg" and b"<svg" not in data):
        return f'<p class="note">{h.esc(name)}: not a valid {h.esc(suffix[1:])} image</p>'
    uri = f"data:{IMAGE_TYPES[suffix]};base64,{base64.b64encode(data).decode('ascii')}"
    return h.figure(uri, name)


def _text(path: Path, name: str, summary: str | None = None) -> str:
    """A text file as a ``<pre>`` block; collapsible when long or raw data (JSON, CSV), and
    always collapsed behind ``summary`` when one is given."""
    text = path.read_text(encoding="utf-8", errors="replace")
    cut = ""
    if len(text) > MAX_TEXT_CHARS:
        text, cut = text[:MAX_TEXT_CHARS], f" (first {MAX_TEXT_CHARS} characters)"
    if path.suffix.lower() == ".json":
        try:
            text = json.dumps(json.loads(text), indent=2)
        except ValueError:
            pass
    lines = text.count("\n") + 1
    block = h.pre(text.rstrip("\n"), label=name)
    raw_data = path.suffix.lower() in (".json", ".csv")
    if summary is not None:
        return h.details(f"{summary} ({name}, {lines} lines){cut}", block)
    if lines <= OPEN_LINES and not raw_data:
        return f"<h3>{h.esc(name)}{h.esc(cut)}</h3>{block}"
    shown = lines <= FOLDED_LINES and not raw_data
    return h.details(f"{name} ({lines} lines){cut}", block, open_=shown)


def render_file(out_dir: Path, name: str, summary: str | None = None) -> str:
    """One of a section's files, embedded by kind; a note when it is missing or unknown.
    ``summary``: a text file is shown collapsed behind this line."""
    path = Path(name) if Path(name).is_absolute() else out_dir / name
    suffix = path.suffix.lower()
    if not path.is_file():
        return f'<p class="note">{h.esc(name)}: file not found</p>'
    if suffix in IMAGE_TYPES:
        return _image(path, name)
    if suffix in TEXT_TYPES:
        return _text(path, name, summary)
    return f'<p class="note">{h.esc(name)}: not embedded (unknown kind)</p>'


def _anchor(index: int, title: str) -> str:
    """A unique, URL-safe id for section ``index``."""
    slug = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")[:40]
    return f"s{index + 1}-{slug}" if slug else f"s{index + 1}"


def render_section(index: int, section: Mapping[str, Any], out_dir: Path) -> str:
    """One ``<section>``: title and badge, key numbers, command, error, images and texts."""
    title = str(section.get("title", f"Section {index + 1}"))
    anchor = _anchor(index, title)
    parts = [f'<section class="report" id="{anchor}" aria-labelledby="{anchor}-h">',
             f'<div class="section-head"><h2 id="{anchor}-h">{h.esc(title)}</h2>'
             f"{h.badge(_verdict(section))}</div>",
             *([f'<p class="note-box">{h.esc(section["note"])}</p>'] if section.get("note")
               else []),
             h.numbers_table(labelled_numbers(section), "key numbers")]
    command = section.get("command")
    if command:
        parts += ["<h3>Reproduce</h3>", h.pre(str(command), label=f"command for {title}")]
    if section.get("error"):
        parts += ["<h3>Error</h3>", h.pre(str(section["error"]), label=f"error in {title}")]
    files = [str(f) for f in section.get("files", [])]
    images = [f for f in files if Path(f).suffix.lower() in IMAGE_TYPES]
    others = [f for f in files if f not in images]
    folded = {str(k): str(v) for k, v in dict(section.get("folded") or {}).items()}
    parts += [render_file(out_dir, f, folded.get(f)) for f in images + others]
    parts.append("</section>")
    return "".join(parts)


def _summary(sections: Sequence[Mapping[str, Any]]) -> tuple[str, bool]:
    """One line counting passed / failed / no-verdict sections, and whether none failed."""
    verdicts = [_verdict(s) for s in sections]
    failed = verdicts.count(False)
    text = f"{verdicts.count(True)} of {len(sections)} sections passed, {failed} failed"
    if None in verdicts:
        text += f", {verdicts.count(None)} without a verdict"
    return text, failed == 0


def _toc(sections: Sequence[Mapping[str, Any]]) -> str:
    """The table of contents: one link per section with its verdict in words."""
    words = {True: "passed", False: "FAILED", None: "no verdict"}
    items = "".join(
        f'<li><a href="#{_anchor(i, str(s.get("title", f"Section {i + 1}")))}">'
        f'{h.esc(s.get("title", f"Section {i + 1}"))}</a> — {words[_verdict(s)]}</li>'
        for i, s in enumerate(sections)
    )
    return f'<nav class="toc" aria-label="Contents"><h2>Contents</h2><ol>{items}</ol></nav>'


def build_report(
    out_dir: Path | str,
    sections: Sequence[Mapping[str, Any]],
    *,
    versions: Mapping[str, str],
    title: str = "backprop-lab demo report",
    generated: _dt.datetime | None = None,
) -> Path:
    """Write ``out_dir/report.html`` from the section dicts and return its path.

    ``versions`` (e.g. :func:`collect_versions`) is listed in the footer; ``generated`` is the
    time shown in the header (now by default).
    """
    out_dir = Path(out_dir)
    when = (generated or _dt.datetime.now().astimezone()).strftime("%Y-%m-%d %H:%M %Z").strip()
    summary, ok = _summary(sections)
    head = (f"<h1>{h.esc(title)}</h1><p class=\"meta\">Generated {h.esc(when)}</p>"
            f'<p class="summary">{h.badge(ok)} {h.esc(summary)}</p>')
    body = "".join(render_section(i, s, out_dir) for i, s in enumerate(sections))
    env = "".join(f"<li>{h.esc(k)}: {h.esc(v)}</li>" for k, v in versions.items())
    footer = f"<h2>Environment</h2><ul>{env}</ul>"
    path = out_dir / REPORT_NAME
    path.write_text(h.page(title, head, _toc(sections), body, footer), encoding="utf-8")
    return path
