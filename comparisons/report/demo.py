"""``backprop-lab demo``: run every section that makes up the course demo, write under --out.

Each section is a function ``(out_dir: Path, quiet: bool) -> dict`` returning what it found
(its key numbers, the files it wrote and the command that reproduces it). :func:`sections`
lists them as ``(title, function)``, in the order they run.
"""

from __future__ import annotations

import argparse
import sys
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


def run_section(title: str, section_fn: Section, out: Path, quiet: bool) -> dict[str, Any]:
    """Run one section; an exception becomes a failed section (with its traceback) so the
    remaining sections and the report still get made."""
    start = time.perf_counter()
    try:
        section = dict(section_fn(out, quiet=quiet))
    except Exception:  # shown in the page and on stderr; the demo then exits 1
        section = {"passed": False, "error": traceback.format_exc(), "files": []}
        print(section["error"], file=sys.stderr)
    section.update(title=title, seconds=round(time.perf_counter() - start, 2))
    return section


def run(args: argparse.Namespace) -> int:
    """Run each section in turn, then write the HTML report; exit 1 when any section failed."""
    out = ensure_out_dir(args.out)
    results: list[dict[str, Any]] = []
    for title, section_fn in sections():
        if not args.quiet:
            print(f"[demo] {title} ...", file=sys.stderr, flush=True)
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
