"""A verify report scored against a rubric item, and the streamed rows of a run.

A **row** is one student's result on one item (plain JSON)::

    {"key", "student", "item", "file", "status", "score", "max", "reason", "elapsed",
     "codes": [diagnosis codes of what is wrong], "tests": [{"name", "score", "max",
     "passed", "diagnosis"}], "report": VerifyReport JSON | null, "text": str | null}

``status``: ``passed`` (every point earned), ``failed`` (verified, something wrong),
``error`` (the code raised, exited, or is no derivation verify can load), ``timeout`` (a
time limit), ``crashed`` (the process ended without a report, a signal, the memory limit),
``missing`` (no file for the item).
A gradient earns its points when its row passed and its finite-difference witness did not
fail; ``forward`` when the forward value is right; an all-or-nothing item when the whole
report passed. Nothing is earned when the report has an error.

Rows are appended to ``results.jsonl`` as each completes (:class:`RowStore`), so a crash
loses nothing already graded; a rerun skips every row whose key (student, item, the
rubric's fingerprint, the file's hash) is already there. A torn last line is ignored.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from pathlib import Path
from typing import Any

from comparisons.grading.rubric import FORWARD, Item

EARNED = ("passed",)
NOT_VERIFIED = ("error", "timeout", "crashed", "missing")


def plain(value: Any) -> Any:
    """``value`` as strict JSON data: NumPy scalars as Python numbers, NaN/Inf as None."""
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if hasattr(value, "item") and not isinstance(value, str | bytes):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)


def file_hash(path: Path | None) -> str:
    """The sha256 of the file's bytes (``"-"`` for no file or one that cannot be read)."""
    try:
        return "-" if path is None else hashlib.sha256(path.read_bytes()).hexdigest()[:16]
    except OSError:
        return "-"


def row_key(student: str, item: Item, fingerprint: str, path: Path | None) -> str:
    """What makes a row reusable on a rerun."""
    return "|".join((student, item.name, fingerprint, file_hash(path)))


def _gradient_row(report: dict[str, Any], name: str) -> dict[str, Any] | None:
    return next((g for g in report.get("gradients", []) if g.get("name") == name), None)


def section_code(section: dict[str, Any] | None) -> str:
    """What is wrong with a convention's section: a gradient's diagnosis, else a check's."""
    if section is None:
        return "missing_function"
    if section.get("error") is not None:
        return "error"
    codes = [str(g.get("diagnosis")) for g in section.get("gradients", []) if not g.get("passed")]
    codes += [str(c.get("diagnosis")) for c in section.get("checks", []) if not c.get("passed")]
    fwd = section.get("forward") or {}
    if fwd and not fwd.get("passed"):
        codes.append("forward_wrong")
    return next((c for c in codes if c != "unknown"), codes[0] if codes else "unknown")


def sections(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """A convention report's sections by function name."""
    return {str(f.get("function")): f for f in report.get("functions", [])}


def convention_tests(item: Item, report: dict[str, Any]) -> list[dict[str, Any]]:
    """One test per scored function: its points when its section passed."""
    clean, found = report.get("error") is None, sections(report)
    tests = []
    for name, pts in item.points.items():
        section = found.get(name)
        ok = clean and section is not None and bool(section.get("passed"))
        tests.append({"name": name, "score": pts if ok else 0.0, "max": pts, "passed": ok,
                      "diagnosis": None if ok else section_code(section)})
    return tests


def score_tests(item: Item, report: dict[str, Any]) -> list[dict[str, Any]]:
    """The item's tests (one per scored gradient or function, or one for an all-or-nothing
    item)."""
    clean = report.get("error") is None
    if (item.convention is not None or item.lab is not None) and item.total is None:
        return convention_tests(item, report)
    if item.total is not None:
        ok = clean and bool(report.get("passed"))
        wrong = [g.get("diagnosis") for g in report.get("gradients", []) if not g.get("passed")]
        wrong += [section_code(f) for f in report.get("functions", []) if not f.get("passed")]
        return [{"name": item.name, "score": item.total if ok else 0.0, "max": item.total,
                 "passed": ok, "diagnosis": None if ok else (wrong[0] if wrong else "error")}]
    tests = []
    for name, pts in item.points.items():
        if name == FORWARD:
            fwd = report.get("forward") or {}
            ok, code = clean and bool(fwd.get("passed")), "forward_wrong"
        else:
            g = _gradient_row(report, name) or {}
            ok = clean and bool(g.get("passed")) and g.get("fd") != "FAIL"
            code = g.get("diagnosis") or "error"
        tests.append({"name": name, "score": pts if ok else 0.0, "max": pts, "passed": ok,
                      "diagnosis": None if ok else code})
    return tests


def unverified_tests(item: Item, status: str) -> list[dict[str, Any]]:
    """Every test of the item at 0 points, its diagnosis the status (timeout, error, ...)."""
    names = [item.name] if item.total is not None else list(item.points)
    maxima = [item.total] if item.total is not None else list(item.points.values())
    return [{"name": n, "score": 0.0, "max": m, "passed": False, "diagnosis": status}
            for n, m in zip(names, maxima)]


def error_status(headline: str) -> str:
    """``timeout`` or ``crashed`` when the sandbox's error headline says so, else ``error``
    ("your backward (case N=1, float64) exceeded the 10 s time limit", "... crashed: SIGSEGV",
    "... ended the process with exit code 0 (os._exit)", "... exceeded the memory limit")."""
    if re.search(r"exceeded the [\d.]+ s (total |CPU )?time limit", headline):
        return "timeout"
    if re.search(r"crashed: |ended the process|exceeded the memory limit", headline):
        return "crashed"
    return "error"


def class_codes(status: str, report: dict[str, Any] | None,
                tests: list[dict[str, Any]]) -> list[str]:
    """What went wrong, for the class's chart: the status when nothing was verified, else the
    diagnoses of every wrong gradient (``unknown`` only when nothing is named)."""
    if status in NOT_VERIFIED:
        return [status]
    if report is None:
        return []
    if "functions" in report:
        return sorted({str(t["diagnosis"]) for t in tests if not t["passed"]})
    found = {str(g.get("diagnosis")) for g in report.get("gradients", []) if not g.get("passed")}
    fwd = report.get("forward") or {}
    if fwd and not fwd.get("passed"):
        found.add("forward_wrong")
    if not found and any(not t["passed"] for t in tests):
        found.add("fd_disagrees")
    return sorted(found - {"unknown"} or found)


def make_row(key: str, student: str, item: Item, path: Path | None, result: dict[str, Any],
             elapsed: float) -> dict[str, Any]:
    """The row of one graded (student, item) from the worker's result.

    ``result``: ``{"status": "verified", "report", "text"}`` or ``{"status": one of
    NOT_VERIFIED, "reason"}``.
    """
    report = result.get("report")
    reason = result.get("reason")
    if result.get("status") == "verified" and report is not None:
        tests = score_tests(item, report)
        if report.get("error") is not None:
            reason = str(report["error"]).splitlines()[0].rstrip(":")
            status = error_status(reason)
        else:
            status = "passed" if all(t["passed"] for t in tests) else "failed"
    else:
        status = str(result.get("status", "crashed"))
        tests = unverified_tests(item, status)
    codes = class_codes(status, report, tests)
    return {"key": key, "student": student, "item": item.name,
            "file": None if path is None else str(path), "status": status,
            "score": float(sum(t["score"] for t in tests)), "max": item.max_score,
            "reason": reason, "elapsed": round(elapsed, 4), "codes": codes, "tests": tests,
            "report": report, "text": result.get("text")}


class RowStore:
    """``results.jsonl`` under the output folder: rows appended and flushed one by one."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.rows: dict[str, dict[str, Any]] = {}
        text = path.read_text(encoding="utf-8", errors="replace") if path.exists() else ""
        if text and not text.endswith("\n"):
            with path.open("a", encoding="utf-8") as f:
                f.write("\n")  # end a torn line, so the next row starts on its own
        for line in text.splitlines():
            try:
                row = json.loads(line)
            except json.JSONDecodeError:
                continue  # a line torn by a crash: graded again
            if isinstance(row, dict) and isinstance(row.get("key"), str):
                self.rows[row["key"]] = row

    def done(self, key: str) -> bool:
        """True when the row of ``key`` is already stored."""
        return key in self.rows

    def append(self, row: dict[str, Any]) -> None:
        """Store the row and append it to the file at once."""
        row = plain(row)
        self.rows[row["key"]] = row
        with self.path.open("a", encoding="utf-8") as f:
            f.write(json.dumps(row, allow_nan=False) + "\n")
            f.flush()
