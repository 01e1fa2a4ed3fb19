"""The class's results: ``gradebook.csv``, ``grades.json`` and ``summary.html``.

``gradebook.csv``: ``student, score, max, <one column per item: its score>, status``, one
line per student in the order of SUBMISSIONS. A student's status is the first of
``crashed, timeout, error, missing, failed, passed`` that one of their items has.
``grades.json``: ``{"rubric", "students": [{"student", "score", "max", "status", "rows"}],
"diagnoses": {code: count}}``. ``summary.html``: the score histogram (a bar centred on each
score the rubric's points allow, :func:`rubric_step` apart, empty ones kept) and a bar chart
of the diagnosis codes the most students' work shows (each chart's SVG inline, its PNG beside it,
also as ``figures/*.png`` and ``*.svg``), then the gradebook as a table. The charts have the
look of :mod:`comparisons.core.plotstyle` (its width, fonts and colour cycle; saved with its
``save``).
"""

from __future__ import annotations

import base64
import csv
import html
import json
import math
from collections import Counter
from collections.abc import Iterable
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np

from comparisons.core import plotstyle

plotstyle.use()
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.ticker import MaxNLocator  # noqa: E402

from comparisons.grading.feedback import points  # noqa: E402
from comparisons.grading.rubric import Rubric  # noqa: E402

STATUS_ORDER = ("crashed", "timeout", "error", "missing", "failed", "passed")
TOP_CODES = 12
MAX_BARS = 101
"""At most this many bars in the score histogram (100 whole points: one bar per score)."""
MAX_LABELS = 21
"""At most this many labelled ticks under it (then every 2nd, 5th, 10th, ... score)."""


def student_status(rows: list[dict[str, Any]]) -> str:
    """The most serious status among a student's rows."""
    present = {r["status"] for r in rows}
    return next((s for s in STATUS_ORDER if s in present), "missing")


def students_table(rubric: Rubric, students: list[str],
                   rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One entry per student: total score, max, status and their rows in item order."""
    order = {i.name: k for k, i in enumerate(rubric.items)}
    table = []
    for student in students:
        mine = sorted((r for r in rows if r["student"] == student), key=lambda r: order[r["item"]])
        table.append({"student": student, "score": float(sum(r["score"] for r in mine)),
                      "max": rubric.max_score, "status": student_status(mine), "rows": mine})
    return table


def diagnosis_counts(rows: list[dict[str, Any]]) -> dict[str, int]:
    """How many (student, item) results show each code, most common first."""
    counts = Counter(code for r in rows for code in r["codes"])
    return dict(counts.most_common())


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
"""What a spreadsheet reads as the start of a formula in a text cell (CSV injection)."""


def text_cell(text: str) -> str:
    """``text`` as a spreadsheet shows it, never run: a leading ``'`` when it starts like a
    formula (a student named ``=HYPERLINK(...)`` stays a name)."""
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text


def write_gradebook(path: Path, rubric: Rubric, table: list[dict[str, Any]]) -> None:
    """``gradebook.csv``: student, score, max, one column per item, status. UTF-8 with a BOM
    (Excel reads José and 李 right; Python reads it with ``encoding="utf-8-sig"``), every text
    cell through :func:`text_cell`."""
    with path.open("w", newline="", encoding="utf-8-sig") as f:
        writer = csv.writer(f)
        writer.writerow(["student", "score", "max", *(text_cell(i.name) for i in rubric.items),
                         "status"])
        for s in table:
            item_scores = {r["item"]: points(r["score"]) for r in s["rows"]}
            writer.writerow([text_cell(s["student"]), points(s["score"]), points(s["max"]),
                             *(item_scores.get(i.name, "") for i in rubric.items), s["status"]])


def score_step(values: Iterable[float]) -> float:
    """The largest step of which every one of ``values`` is a whole multiple: their greatest
    common divisor as fractions (denominators up to 1000), so 0.5 for points 2.5 and 1, 1 for
    whole points; 1 when every value is 0."""
    step = Fraction(0)
    for v in values:
        f = Fraction(v).limit_denominator(1000)
        step = Fraction(math.gcd(step.numerator * f.denominator, f.numerator * step.denominator),
                        step.denominator * f.denominator)
    return float(step) if step > 0 else 1.0


def rubric_step(rubric: Rubric) -> float:
    """The step between the scores a student can get: :func:`score_step` of every item's points
    (an all-or-nothing item's total), since a score is a sum of them."""
    return score_step(v for i in rubric.items
                      for v in ((i.total,) if i.total is not None else i.points.values()))


def score_bars(scores: list[float], best: float, step: float | None = None
               ) -> tuple[list[float], list[int]]:
    """The score histogram's bars: centres 0, step, 2 step, ... and ``best`` itself (the last
    bar, always there), and how many ``scores`` are nearest to each centre (halfway between two:
    the higher). ``step`` defaults to :func:`score_step` of ``scores`` and ``best``; one that
    would give more than :data:`MAX_BARS` bars is multiplied by 2, 5, 10, 20, ... until it does
    not (a score then counts in its nearest bar; a multiple less than half a step below
    ``best`` gives way to ``best``'s bar)."""
    if step is not None and not (math.isfinite(step) and step > 0):
        raise ValueError(f"step: expected a positive number of points, got {step!r}")
    if not (math.isfinite(best) and best >= 0):
        raise ValueError(f"best: expected a score >= 0, got {best!r}")
    base = score_step([*scores, best]) if step is None else step
    width = next((base * m * 10 ** e for e in range(12) for m in (1, 2, 5)
                  if best / (base * m * 10 ** e) < MAX_BARS - 0.5), best / (MAX_BARS - 1))
    n = math.ceil(best / width - 0.5 - 1e-9)  # multiples at least half a step below best
    centres = [float(round(k * width, 9)) for k in range(n)] + [float(best)]
    middles = np.array([(a + b) / 2 for a, b in zip(centres, centres[1:])])
    counts = np.bincount(np.searchsorted(middles, np.asarray(scores, dtype=float), side="right"),
                         minlength=len(centres))
    return centres, [int(c) for c in counts]


def score_histogram(scores: list[float], best: float, step: float | None = None) -> Figure:
    """Histogram of the class's ``scores`` out of ``best``, plot width: one bar per possible
    score (:func:`score_bars`; ``step``: :func:`rubric_step`), centred on it, empty ones kept,
    ticks at the scores (at most :data:`MAX_LABELS` labelled, ``best`` always), the count over
    each bar when every score is labelled; the axis label says when a bar merges scores."""
    centres, counts = score_bars(scores, best, step)
    width = float(np.diff(centres).min()) if len(centres) > 1 else 1.0
    fig, ax = plt.subplots(figsize=plotstyle.figsize(4.0), layout="constrained")
    bars = ax.bar(centres, counts, width=0.8 * width, color="C0", edgecolor="white")
    every = next(m * 10 ** e for e in range(20) for m in (1, 2, 5)
                 if len(centres) <= MAX_LABELS * m * 10 ** e)
    labelled = [c for k, c in enumerate(centres[:-1])
                if k % every == 0 and (len(centres) - 1 - k) * 2 >= every] + [best]
    ax.set_xticks(labelled, [points(c) for c in labelled])
    ax.set_xticks(centres, minor=True)
    ax.set_xlim(centres[0] - 0.6 * width, centres[-1] + 0.6 * width)
    if every == 1:
        ax.bar_label(bars, labels=[str(c) if c else "" for c in counts], fontsize="small")
    ax.set_ylim(0, max(counts + [1]) * 1.15)
    asked = score_step([*scores, best]) if step is None else step
    merged = "; a bar counts the scores nearest it" if width > asked * (1 + 1e-9) else ""
    ax.set_xlabel(f"score (of {points(best)}{merged})")
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_ylabel("students")
    ax.set_title("scores")
    return fig


def diagnoses_chart(counts: dict[str, int]) -> Figure:
    """Horizontal bars of the :data:`TOP_CODES` most common codes (``counts`` most common
    first, as :func:`diagnosis_counts` orders them), the most common on top."""
    top = list(counts.items())[:TOP_CODES][::-1]
    fig, ax = plt.subplots(figsize=plotstyle.figsize(0.4 * max(len(top), 2) + 1.4),
                           layout="constrained")
    ax.barh([c for c, _ in top], [n for _, n in top], color="C1")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("results showing it (student × item)")
    ax.set_title("most common diagnoses")
    return fig


def _embed(fig: Figure, folder: Path, stem: str) -> str:
    """Save PNG and SVG under ``folder``; the HTML of the SVG inline and the PNG beside it."""
    png, svg = plotstyle.save(fig, folder, stem)
    plt.close(fig)
    svg_text = svg.read_text(encoding="utf-8")
    svg_text = svg_text[svg_text.index("<svg"):]
    data = base64.b64encode(png.read_bytes()).decode()
    return (f"<figure>{svg_text}<figcaption><a download=\"{stem}.png\" "
            f"href=\"data:image/png;base64,{data}\">PNG</a></figcaption></figure>")


def write_summary(out: Path, rubric: Rubric, table: list[dict[str, Any]],
                  counts: dict[str, int]) -> Path:
    """``summary.html`` with both charts and the gradebook."""
    e = html.escape
    figures = out / "figures"
    charts = _embed(score_histogram([s["score"] for s in table], rubric.max_score,
                                    rubric_step(rubric)), figures, "scores")
    charts += (_embed(diagnoses_chart(counts), figures, "diagnoses") if counts
               else "<p>No diagnosis: every result is right.</p>")
    head = "".join(f"<th>{e(h)}</th>" for h in
                   ["student", "score", "max", *(i.name for i in rubric.items), "status"])
    lines = []
    for s in table:
        cells = [s["student"], points(s["score"]), points(s["max"]),
                 *(points(r["score"]) for r in s["rows"]), s["status"]]
        lines.append("<tr>" + "".join(f"<td>{e(str(c))}</td>" for c in cells) + "</tr>")
    mean = sum(s["score"] for s in table) / len(table) if table else 0.0
    page = (f"<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>{e(rubric.title)}"
            f"</title><style>body{{font-family:sans-serif;max-width:70em;margin:2em auto}}"
            f"table{{border-collapse:collapse}}td,th{{border:1px solid #bbb;padding:.2em .6em}}"
            f"figure svg{{max-width:100%;height:auto}}</style></head><body>\n"
            f"<h1>{e(rubric.title)}</h1><p>{len(table)} students, mean score "
            f"{mean:.2f} / {points(rubric.max_score)}</p>\n{charts}\n"
            f"<h2>gradebook</h2><table><tr>{head}</tr>{''.join(lines)}</table>\n</body></html>\n")
    path = out / "summary.html"
    path.write_text(page, encoding="utf-8")
    return path


def write_grades_json(path: Path, rubric: Rubric, table: list[dict[str, Any]],
                      counts: dict[str, int]) -> None:
    """``grades.json``: the rubric, every student with their rows, the diagnosis counts."""
    data = {"rubric": rubric.to_json(), "students": table, "diagnoses": counts}
    path.write_text(json.dumps(data, indent=1, allow_nan=False) + "\n", encoding="utf-8")
