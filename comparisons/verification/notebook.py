"""A Jupyter notebook as verify's input: its code cells, in order, as Python a module can run.

``verify lab.ipynb`` and ``graph --verify lab.ipynb`` run the notebook's code cells in order in
one module (as "Restart & Run All" would, up to the cell asked for) and then check the
``forward``/``backward`` the cells defined. What plain Python cannot run is skipped, each with a
note in the report: a cell magic (a cell starting with ``%%``: ``%%time``, ``%%capture``) skips
its whole cell; a line magic or a shell line (``%matplotlib inline``, ``!pip install torch``,
``x = !ls``) becomes ``pass``, so the code around it keeps its indentation. ``--cell TAG`` runs
the cells up to and including the last one tagged TAG (or whose id is TAG) and checks what they
defined: a notebook that defines ``backward`` in several exercises is checked at the one asked
for. Each cell compiles under the name ``lab.ipynb [cell 3]``, so a traceback points into
the cell (cells are numbered from 1 among all cells, markdown included, as Jupyter shows them).

The format read is nbformat 4 (``{"cells": [{"cell_type", "source", "metadata": {"tags"},
"id"}]}``), parsed as JSON: no Jupyter installation is needed. A file that is not such a
notebook, a notebook without code cells and an unknown ``--cell`` are one-line usage errors.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from comparisons.core.errors import UsageError

MAGIC = re.compile(r"^(?P<indent>\s*)(?:[%!]|[\w.\[\], ]+=\s*[%!])")
"""A line magic or shell line (``%matplotlib``, ``!pip``, ``files = !ls``), after indentation."""


@dataclass(frozen=True)
class CodeCell:
    """One code cell to run: ``number`` (from 1, all cells counted), its Python source."""

    number: int
    source: str
    tags: tuple[str, ...]
    cell_id: str | None


@dataclass(frozen=True)
class NotebookSource:
    """The code cells to run, in order, and what was skipped (``notes``, one line each)."""

    path: Path
    cells: tuple[CodeCell, ...]
    notes: tuple[str, ...]


def _text(source: Any) -> str:
    """A cell's source: a list of lines or one string (both are valid nbformat)."""
    if isinstance(source, list):
        return "".join(str(line) for line in source)
    return source if isinstance(source, str) else ""


def _load(path: Path) -> list[dict[str, Any]]:
    """The notebook's cells; UsageError (one line) when it is not an nbformat-4 notebook."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"{path}: cannot be read ({exc})") from None
    except json.JSONDecodeError as exc:
        raise UsageError(f"{path}: not a Jupyter notebook (invalid JSON on line {exc.lineno}: "
                         f"{exc.msg})") from None
    cells = data.get("cells") if isinstance(data, dict) else None
    if not isinstance(cells, list):
        raise UsageError(f"{path}: not a Jupyter notebook (expected a JSON object with a "
                         f"\"cells\" list, nbformat 4)")
    return [c for c in cells if isinstance(c, dict)]


def strip_magics(source: str, number: int) -> tuple[str | None, list[str]]:
    """``source`` with IPython-only lines made ``pass`` (None: a cell magic, skipped whole, or
    a cell of nothing but IPython lines), and one note per skipped line or cell."""
    lines = source.splitlines()
    first = next((line.strip() for line in lines if line.strip()), "")
    if first.startswith("%%"):
        return None, [f"cell {number}: skipped (cell magic {first.split()[0]})"]
    out, notes = [], []
    for line in lines:
        m = MAGIC.match(line)
        if m is None:
            out.append(line)
            continue
        out.append(f"{m.group('indent')}pass")
        notes.append(f"cell {number}: skipped {line.strip()!r} (IPython, not Python)")
    if all(not line.strip() or MAGIC.match(line) for line in lines):
        return None, notes
    return "\n".join(out) + "\n", notes


def _tags(cell: dict[str, Any]) -> tuple[str, ...]:
    tags = (cell.get("metadata") or {}).get("tags") or ()
    return tuple(str(t) for t in tags) if isinstance(tags, list | tuple) else ()


def _cut_at(cells: list[CodeCell], cell: str, path: Path) -> list[CodeCell]:
    """The cells up to and including the last one tagged ``cell`` (or with that id)."""
    hits = [i for i, c in enumerate(cells) if cell in c.tags or c.cell_id == cell]
    if not hits:
        known = sorted({t for c in cells for t in c.tags})
        listed = ", ".join(known) if known else "none"
        raise UsageError(f"--cell: expected a tag or cell id of {path.name}, got {cell!r} "
                         f"(tags in the notebook: {listed})")
    return cells[: hits[-1] + 1]


def read_notebook(path: str | Path, cell: str | None = None) -> NotebookSource:
    """The code cells of the notebook at ``path`` to run, magics stripped (see the module
    docstring); with ``cell``, only those up to the last cell tagged ``cell``."""
    p = Path(path)
    cells, notes = [], []
    for number, raw in enumerate(_load(p), start=1):
        if raw.get("cell_type") != "code":
            continue
        source, skipped = strip_magics(_text(raw.get("source")), number)
        notes += skipped
        if source is not None and source.strip():
            cell_id = raw.get("id")
            cells.append(CodeCell(number, source, _tags(raw),
                                  cell_id if isinstance(cell_id, str) else None))
    if not cells:
        raise UsageError(f"{p}: expected a notebook with code cells, got none to run")
    if cell is not None:
        kept = _cut_at(cells, cell, p)
        if len(kept) < len(cells):
            notes.append(f"--cell {cell}: ran cells up to cell {kept[-1].number}; "
                         f"{len(cells) - len(kept)} later code cell(s) not run")
        cells = kept
    return NotebookSource(p, tuple(cells), tuple(notes))
