"""Each student's feedback, ``feedback/STUDENT.md`` and ``.html``: per item the score, one
line per scored gradient (points, verdict, diagnosis code), then the verify report's verdict,
each wrong gradient's message, the first divergence and what the student's code printed.

A hidden item's feedback is its points and diagnosis codes only: no messages, no case names,
no divergence, nothing the code printed (they would describe the hidden inputs). The same
blocks are rendered as Markdown (also Gradescope's per-test ``output``) and as a small
standalone HTML page.
"""

from __future__ import annotations

import html
from typing import Any

from comparisons.grading.rubric import Item, Rubric

Block = tuple[str, Any]
"""``("h1" | "h2" | "p" | "pre", text)`` or ``("table", (header, rows))``."""

HIDDEN_NOTE = ("Hidden item: its cases are not shown; the verdicts and diagnosis codes below "
               "are all the feedback until the due date.")


def points(x: float) -> str:
    """``3`` for 3.0, ``2.5`` for 2.5."""
    return f"{x:g}"


def wrong_gradients(report: dict[str, Any], prefix: str = "") -> list[Block]:
    """A verify report's wrong forward value, wrong gradients and first divergence."""
    blocks: list[Block] = []
    fwd = report.get("forward") or {}
    if fwd and not fwd.get("passed"):
        blocks.append(("p", f"{prefix}forward value wrong: {fwd.get('message') or ''}".strip()))
    for g in report.get("gradients", []):
        if not g.get("passed") or g.get("fd") == "FAIL":
            where = f" (case {g['case']})" if g.get("case") else ""
            blocks.append(("p", f"{prefix}{g.get('name')}: {g.get('diagnosis')}{where}. "
                                f"{g.get('message', '')}"))
    if report.get("first_divergence"):
        blocks.append(("p", f"{prefix}first divergence: {report['first_divergence']}"))
    return blocks


def section_blocks(section: dict[str, Any]) -> list[Block]:
    """What is wrong in one function's section of a convention report."""
    name = f"{section.get('function')}: "
    if section.get("error"):
        return [("p", f"{name}{str(section['error']).splitlines()[0]}"),
                ("pre", section["error"])]
    blocks = wrong_gradients(section, name)
    blocks += [("p", f"{name}{c.get('name')}: {c.get('diagnosis')}. {c.get('message', '')}")
               for c in section.get("checks", []) if not c.get("passed")]
    return blocks


def item_blocks(item: Item, row: dict[str, Any]) -> list[Block]:
    """The blocks of one item's result (the row of :mod:`comparisons.grading.scoring`)."""
    blocks: list[Block] = [("h2", f"{item.name}: {points(row['score'])} / "
                                  f"{points(row['max'])} ({row['status']})")]
    if row.get("file"):
        what = (f"lab {item.lab}" if item.lab else f"convention {item.convention}"
                if item.convention else f"op {item.op}")
        blocks.append(("p", f"{what}, file {row['file'].rsplit('/', 1)[-1]}"))
    table = [[t["name"], f"{points(t['score'])} / {points(t['max'])}",
              "right" if t["passed"] else "wrong", t["diagnosis"] or "—"] for t in row["tests"]]
    blocks.append(("table", (["checked", "points", "verdict", "diagnosis"], table)))
    if item.hidden:
        blocks.append(("p", HIDDEN_NOTE))
        return blocks
    report = row.get("report")
    if row.get("reason"):
        blocks.append(("p", f"reason: {row['reason']}"))
    if report is not None and report.get("error"):
        blocks.append(("pre", report["error"]))
    elif report is not None and "functions" in report:
        for section in report["functions"]:
            blocks += [] if section.get("passed") else section_blocks(section)
    elif report is not None:
        blocks += wrong_gradients(report)
    return blocks + printed_blocks(report or {})


def printed_blocks(report: dict[str, Any]) -> list[Block]:
    """What the student's code printed (the report's first SHOWN characters, escaped)."""
    if not report.get("printed_bytes"):
        return []
    return [("p", f"your code printed ({report['printed_bytes']:,} bytes in all):"),
            ("pre", str(report.get("printed", "")))]


def student_blocks(student: str, rubric: Rubric, rows: list[dict[str, Any]]) -> list[Block]:
    """The blocks of a student's whole feedback (``rows`` in the rubric's item order)."""
    total, best = sum(r["score"] for r in rows), sum(r["max"] for r in rows)
    blocks: list[Block] = [("h1", f"{rubric.title}: {student}"),
                           ("p", f"score: {points(total)} / {points(best)}")]
    by_name = {i.name: i for i in rubric.items}
    for row in rows:
        blocks += item_blocks(by_name[row["item"]], row)
    return blocks


def _cell(text: Any) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def to_markdown(blocks: list[Block]) -> str:
    """The blocks as Markdown."""
    out: list[str] = []
    for kind, body in blocks:
        if kind == "h1":
            out.append(f"# {body}")
        elif kind == "h2":
            out.append(f"## {body}")
        elif kind == "pre":
            fence = "~~~~" if "```" in body else "```"
            out.append(f"{fence}\n{body}\n{fence}")
        elif kind == "table":
            header, rows = body
            lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
            lines += ["| " + " | ".join(_cell(c) for c in r) + " |" for r in rows]
            out.append("\n".join(lines))
        else:
            out.append(str(body))
    return "\n\n".join(out) + "\n"


def to_html(blocks: list[Block], title: str) -> str:
    """The blocks as a standalone HTML page (every text escaped)."""
    e = html.escape
    body: list[str] = []
    for kind, content in blocks:
        if kind in ("h1", "h2", "p"):
            body.append(f"<{kind}>{e(str(content))}</{kind}>")
        elif kind == "pre":
            body.append(f"<pre>{e(content)}</pre>")
        elif kind == "table":
            header, rows = content
            head = "".join(f"<th>{e(h)}</th>" for h in header)
            cells = "".join("<tr>" + "".join(f"<td>{e(str(c))}</td>" for c in r) + "</tr>"
                            for r in rows)
            body.append(f"<table><tr>{head}</tr>{cells}</table>")
    style = ("body{font-family:sans-serif;max-width:60em;margin:2em auto}"
             "table{border-collapse:collapse}td,th{border:1px solid #bbb;padding:.2em .6em}"
             "pre{background:#f4f4f4;padding:.6em;overflow-x:auto}")
    return (f"<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>{e(title)}</title>"
            f"<style>{style}</style></head><body>\n" + "\n".join(body) + "\n</body></html>\n")
