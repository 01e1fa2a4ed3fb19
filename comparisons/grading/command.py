"""One ``backprop-lab grade`` run: submissions found, graded (streamed, resumable), written.

:func:`grade` checks the output folder before anything runs, finds the students
(:mod:`comparisons.grading.submissions`), skips each (student, item) whose row is already in
``OUT/results.jsonl`` (same rubric, same file), grades the rest in the process pool with a
progress bar, appending each row as it completes, then writes ``gradebook.csv``,
``feedback/STUDENT.md`` and ``.html``, ``summary.html`` and ``grades.json`` from every row
(and, for one Gradescope submission, its ``results.json``).
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tqdm.auto import tqdm

from comparisons.core.errors import UsageError
from comparisons.core.io import check_writable_file, ensure_out_dir, write_json
from comparisons.grading.assignment import (
    assignment_text,
    check_variants,
    item_op,
    student_variant,
    variant_lines,
)
from comparisons.grading.feedback import student_blocks, to_html, to_markdown
from comparisons.grading.gradescope import results_json, write_bundle
from comparisons.grading.labs import lab_exercises
from comparisons.grading.pool import Task
from comparisons.grading.rubric import Item, Rubric, load_rubric
from comparisons.grading.runner import run_tasks
from comparisons.grading.scoring import RowStore, make_row, row_key
from comparisons.grading.submissions import (
    Submission,
    discover,
    feedback_names,
    file_for,
    gradescope_submission,
)
from comparisons.grading.summary import (
    diagnosis_counts,
    students_table,
    write_gradebook,
    write_grades_json,
    write_summary,
)


@dataclass(frozen=True)
class GradeRun:
    """What to grade and how: ``gradescope`` is the results.json path of one submission;
    ``isolated``: built-in ops' items in the sandbox (see :mod:`comparisons.grading.runner`),
    ``no_import``: packages the students' code may not import there."""

    submissions: Path
    rubric: Rubric
    out: Path
    jobs: int = os.cpu_count() or 1
    gradescope: Path | None = None
    progress: bool = True
    isolated: bool = True
    no_import: tuple[str, ...] = ()


@dataclass(frozen=True)
class Pending:
    """A (student, item) to grade: its row key and file."""

    key: str
    sub: Submission
    item: Item
    path: Path | None
    reason: str | None


def plan(run: GradeRun, subs: list[Submission]) -> list[Pending]:
    """Every (student, item) of the run, in order."""
    fingerprint = run.rubric.fingerprint()
    found = []
    for sub in subs:
        for item in run.rubric.items:
            path, reason = file_for(sub, item)
            found.append(Pending(row_key(sub.student, item, fingerprint, path), sub, item,
                                 path, reason))
    return found


def exercises_of(item: Item) -> tuple[str, ...]:
    """The exercises a lab item checks: those its points name, or, all or nothing
    (``points = N``), every exercise of the lab (none for other items)."""
    if item.lab is None:
        return ()
    return tuple(item.points) or tuple(lab_exercises(item.lab)[0])


def task_of(rubric: Rubric, p: Pending, path: Path) -> Task:
    """The verification of ``p``: under the student's variant when the rubric has a seed (its
    op for an ``"activation"`` item, its input seed mixed with the item's). The path is made
    absolute: the process that verifies it works in a scratch folder of its own."""
    variant = student_variant(rubric, p.sub.student)
    seed = rubric.seed_of(p.item)
    return Task(p.key, path.absolute(), item_op(p.item, variant), rubric.dtype,
                seed if variant is None else variant.input_seed(seed), p.item.convention,
                p.item.lab, exercises_of(p.item), variant, p.item.bias_varies)


def grade_pending(run: GradeRun, todo: list[Pending], store: RowStore) -> None:
    """Grade what is not stored yet, appending each row as it completes."""
    by_key = {p.key: p for p in todo}
    tasks = []
    for p in todo:
        if p.path is None:
            store.append(make_row(p.key, p.sub.student, p.item, None,
                                  {"status": "missing", "reason": p.reason}, 0.0))
        else:
            tasks.append(task_of(run.rubric, p, p.path))
    if not tasks:
        return
    bar = tqdm(total=len(tasks), unit="sub", desc="grading", disable=not run.progress or None)

    def done(task: Task, result: dict[str, Any], seconds: float) -> None:
        p = by_key[task.key]
        store.append(make_row(p.key, p.sub.student, p.item, p.path, result, seconds))
        bar.update(1)

    try:
        run_tasks(tasks, run.jobs, run.rubric.timeout, done, isolated=run.isolated,
                  no_import=run.no_import)
    finally:
        bar.close()


def write_feedback(out: Path, rubric: Rubric, table: list[dict[str, Any]]) -> None:
    """``feedback/STUDENT.md`` and ``.html`` for every student."""
    folder = out / "feedback"
    folder.mkdir(parents=True, exist_ok=True)
    names = feedback_names([s["student"] for s in table])
    for s in table:
        blocks = student_blocks(s["student"], rubric, s["rows"])
        variant = student_variant(rubric, s["student"])
        if variant is not None:  # after the title and score: which variant was graded
            lines = variant_lines(rubric, variant)
            blocks[2:2] = [("h2", f"your variant (variant seed {variant.variant_seed})"),
                           *(("p", f"- {line}") for line in lines)]
        name = names[s["student"]]
        (folder / f"{name}.md").write_text(to_markdown(blocks), encoding="utf-8")
        (folder / f"{name}.html").write_text(to_html(blocks, f"{rubric.title}: {s['student']}"),
                                             encoding="utf-8")


def grade(run: GradeRun) -> list[dict[str, Any]]:
    """Grade the class (or the one Gradescope submission); return the students' table."""
    start = time.perf_counter()
    check_variants(run.rubric)
    if run.gradescope is None and run.out.resolve() == Path(run.submissions).resolve():
        raise UsageError(f"--out: expected a folder other than SUBMISSIONS, got {run.out} "
                         f"(the class's own folder: its outputs would be graded as students)")
    out = ensure_out_dir(run.out)
    if run.gradescope is not None:
        check_writable_file(run.gradescope, "--gradescope")
        subs = gradescope_submission(run.submissions, out / ".submissions")
    else:
        subs = discover(run.submissions, out / ".submissions", skip=out)
    store = RowStore(out / "results.jsonl")
    everything = plan(run, subs)
    grade_pending(run, [p for p in everything if not store.done(p.key)], store)
    rows = [store.rows[p.key] for p in everything]
    table = students_table(run.rubric, [s.student for s in subs], rows)
    counts = diagnosis_counts(rows)
    write_gradebook(out / "gradebook.csv", run.rubric, table)
    write_feedback(out, run.rubric, table)
    write_summary(out, run.rubric, table, counts)
    write_grades_json(out / "grades.json", run.rubric, table, counts)
    if run.gradescope is not None:
        write_json(run.gradescope, results_json(run.rubric, rows,
                                                time.perf_counter() - start), "--gradescope")
    return table


def show_variant(rubric: Rubric, student: str) -> str:
    """``grade --show-variant STUDENT``: the student's assignment text (UsageError: no seed)."""
    return assignment_text(rubric, student)


def bundle(rubric_path: Path, out: Path) -> Path:
    """The Gradescope autograder zip for RUBRIC.toml (checked first) under ``out``."""
    load_rubric(rubric_path)
    return write_bundle(rubric_path, ensure_out_dir(out))
