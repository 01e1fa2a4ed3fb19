"""``backprop-lab demo``: run every section that makes up the course demo, write under --out.

Each section is a function ``(out_dir: Path, quiet: bool) -> dict`` returning what it found
(its key numbers, the files it wrote and the command that reproduces it). :func:`sections`
lists them as ``(title, function)``, in the order they run.

Unless ``--quiet``, stderr says before each section starts how long it took the last time
(``demo.json`` of an earlier run in the same folder), and a section still running after
:data:`HEARTBEAT_SECONDS` says so every :data:`HEARTBEAT_SECONDS` seconds (a progress bar only
moves when a whole run of a sweep finishes, and none is drawn when stderr is not a terminal).
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

from comparisons.core.io import ensure_out_dir, write_json
from comparisons.report import check_section as check_demo
from comparisons.report import experiment_sections as experiments
from comparisons.report import graph_section as graph_demo
from comparisons.report import verify_section as verify_demo
from comparisons.report.page import build_report, collect_versions

Section = Callable[..., dict[str, Any]]  # (out: Path, *, quiet: bool) -> the section's dict
HEARTBEAT_SECONDS = 20.0
"""A running section prints a "still running" line this often (seconds)."""


def sections() -> list[tuple[str, Section]]:
    """Every demo section, ``(title, function)``, in the order they run."""
    return [
        ("Check suite", check_demo.run_section),
        ("Computational graphs", graph_demo.run_section),
        ("Verify a hand derivation", verify_demo.run_section),
        ("Overfitting", experiments.overfitting_section),
        ("Weight decay", experiments.weight_decay_section),
        ("Dropout", experiments.dropout_section),
        ("Numerical stability", experiments.stability_section),
        ("House prices", experiments.house_prices_section),
    ]


class Heartbeat:
    """Prints ``[demo] TITLE: still running (N s)`` on stderr every ``every`` seconds from a
    background thread until the ``with`` block ends; does nothing when ``enabled`` is False."""

    def __init__(self, title: str, every: float = HEARTBEAT_SECONDS,
                 enabled: bool = True) -> None:
        if not every > 0:
            raise ValueError(f"every: expected a positive number of seconds, got {every!r}")
        self.title, self.every, self.enabled = title, every, enabled
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._beat, daemon=True)

    def __enter__(self) -> Heartbeat:
        self.start = time.perf_counter()
        if self.enabled:
            self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        if self.thread.is_alive():
            self.thread.join()

    def _beat(self) -> None:
        while not self.stop.wait(self.every):
            elapsed = time.perf_counter() - self.start
            print(f"[demo] {self.title}: still running ({elapsed:.0f} s)", file=sys.stderr,
                  flush=True)


def run_section(title: str, section_fn: Section, out: Path, quiet: bool) -> dict[str, Any]:
    """Run one section; an exception becomes a failed section (with its traceback) so the
    remaining sections and the report still get made."""
    start = time.perf_counter()
    try:
        with Heartbeat(title, enabled=not quiet):
            section = dict(section_fn(out, quiet=quiet))
    except Exception:  # shown in the page and on stderr; the demo then exits 1
        section = {"passed": False, "error": traceback.format_exc(), "files": []}
        print(section["error"], file=sys.stderr)
    section.update(title=title, seconds=round(time.perf_counter() - start, 2))
    return section


def previous_seconds(out: Path) -> dict[str, float]:
    """Each section's run time in ``out/demo.json`` of an earlier run, by title ({} if none)."""
    try:
        data = json.loads((Path(out) / "demo.json").read_text(encoding="utf-8"))
        return {str(s["title"]): float(s["seconds"]) for s in data["sections"]}
    except (OSError, ValueError, KeyError, TypeError):
        return {}


def _start_line(index: int, total: int, title: str, before: dict[str, float]) -> str:
    """``[demo] 4/8 Overfitting ... (46 s last time)``."""
    hint = f" ({before[title]:.0f} s last time)" if title in before else ""
    return f"[demo] {index}/{total} {title} ...{hint}"


def run(args: argparse.Namespace) -> int:
    """Run each section in turn, then write the HTML report; exit 1 when any section failed."""
    out = ensure_out_dir(args.out)
    results: list[dict[str, Any]] = []
    steps, before = sections(), previous_seconds(out)
    if not args.quiet:
        total = (f"{sum(before.values()) / 60:.1f} minutes last time" if before
                 else "a few minutes on two cores")
        print(f"[demo] {len(steps)} sections, {total}; results under {out}/", file=sys.stderr,
              flush=True)
    for index, (title, section_fn) in enumerate(steps, start=1):
        if not args.quiet:
            print(_start_line(index, len(steps), title, before), file=sys.stderr, flush=True)
        section = run_section(title, section_fn, out, args.quiet)
        results.append(section)
        if not args.quiet:
            status = "ok" if section.get("passed", True) else "FAILED"
            print(f"[demo] {title}: {status} ({section['seconds']} s)", file=sys.stderr)
    summary = write_json(out / "demo.json", {"sections": results})
    passed = all(s.get("passed", True) for s in results)
    print(f"demo {'passed' if passed else 'FAILED'}; results in {summary.parent}/")
    report = build_report(out, results, versions=collect_versions())
    print(f"report: {report}")
    return 0 if passed else 1
