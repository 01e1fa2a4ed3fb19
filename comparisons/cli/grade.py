"""``backprop-lab grade SUBMISSIONS --rubric RUBRIC.toml``: grade a whole class.

What is checked comes from ``--rubric``, or ``--against OP`` (one point per gradient of a
built-in op) or ``--convention NAME`` (one point per function of a course's file, cs231n).
SUBMISSIONS is a directory of .py files (one per student) or of folders (one per student), a
.zip of one, or with ``--gradescope results.json`` Gradescope's one submission folder. Writes
under ``--out``: results.jsonl (streamed; a rerun skips what is done), gradebook.csv,
feedback/STUDENT.md and .html, summary.html and grades.json. ``--gradescope-bundle
RUBRIC.toml`` writes the Gradescope autograder zip instead. Exit 0 when the class is graded
(wrong student code is a score, not an error), 2 for a usage problem (one line; SUBMISSIONS,
the rubric, --jobs and --out are checked before anything runs).
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
from pathlib import Path
from typing import Any

from comparisons.cli.isolation import positive_seconds
from comparisons.core.errors import UsageError
from comparisons.core.io import check_out_dir, nonnegative_int, positive_int

EPILOG = ("Three commands an instructor needs: grade SUBMISSIONS --rubric RUBRIC.toml --out "
          "DIR; the same again after a crash (graded rows are kept); grade --gradescope-bundle "
          "RUBRIC.toml --out DIR to upload autograder.zip to Gradescope.")


def package_list(text: str) -> tuple[str, ...]:
    """argparse type: comma-separated package names (``handmade,reference``)."""
    names = tuple(n.strip() for n in text.split(",") if n.strip())
    if not names or not all(n.isidentifier() for n in names):
        raise argparse.ArgumentTypeError(f"expected package names separated by commas, got "
                                         f"{text!r}")
    return names


def register(sub: Any) -> None:
    """Add the ``grade`` subcommand."""
    p = sub.add_parser("grade", help="grade a class's derivations: gradebook, feedback, "
                                     "Gradescope", description=__doc__.splitlines()[0],
                       epilog=EPILOG)
    p.add_argument("submissions", nargs="?", type=Path, metavar="SUBMISSIONS",
                   help="a directory of .py files or folders (one per student), or a .zip "
                        "(Canvas, Blackboard and Moodle exports as they come)")
    what = p.add_mutually_exclusive_group()
    what.add_argument("--against", metavar="OP", help="grade every file against this "
                                                      "built-in op (1 point per gradient)")
    what.add_argument("--convention", metavar="NAME",
                      help="grade every file as a course's file (cs231n: its layers.py), "
                           "1 point per function")
    what.add_argument("--rubric", type=Path, metavar="RUBRIC.toml",
                      help="the items, points, hidden items, seed and timeout")
    what.add_argument("--gradescope-bundle", type=Path, metavar="RUBRIC.toml",
                      help="write the Gradescope autograder zip for this rubric to --out")
    p.add_argument("--jobs", type=positive_int, default=os.cpu_count() or 1,
                   help="submissions graded at once (default: the machine's cores)")
    p.add_argument("--out", type=Path, default=Path("grades"),
                   help="output folder (default: grades)")
    p.add_argument("--seed", type=nonnegative_int, default=None,
                   help="seed of the inputs (default: the rubric's, else 0)")
    p.add_argument("--timeout", type=positive_seconds, default=None,
                   help="wall-time limit per submission, seconds (default: the rubric's, "
                        "else 60)")
    p.add_argument("--gradescope", type=Path, metavar="RESULTS.json",
                   help="SUBMISSIONS is one Gradescope submission: write its results.json")
    p.add_argument("--no-import", type=package_list, default=(), metavar="PKG,...",
                   help="packages the students' code may not import (handmade,reference: "
                        "the project's own solutions)")
    p.add_argument("--no-isolation", action="store_true",
                   help="verify in a forked process beside the student's code (no sandbox: "
                        "a hostile file can forge its own row)")
    p.add_argument("--variant-seed", type=nonnegative_int, default=None, metavar="S",
                   help="grade each student on a variant of their own derived from S and "
                        "their id: case sizes, inputs, lam/p, the activation of an item "
                        "op = \"activation\" (default: the rubric's variant_seed, else none)")
    p.add_argument("--show-variant", metavar="STUDENT",
                   help="print STUDENT's variant (their assignment text) under --rubric or "
                        "--against and --variant-seed, and grade nothing")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(func=run, quick_exit=True)  # see comparisons.cli.main.main


def _check(args: argparse.Namespace) -> None:
    if args.gradescope_bundle is not None:
        if args.submissions is not None:
            raise UsageError("grade: --gradescope-bundle takes no SUBMISSIONS (only --out)")
        return
    if args.show_variant is not None:
        if args.submissions is not None or (args.rubric is None and args.against is None):
            raise UsageError("grade --show-variant STUDENT: expected --rubric RUBRIC.toml or "
                             "--against OP and no SUBMISSIONS")
        return
    if args.submissions is None:
        raise UsageError("grade: expected SUBMISSIONS (a directory, a .zip) and --against OP "
                         "or --rubric RUBRIC.toml")
    if args.against is None and args.rubric is None and args.convention is None:
        raise UsageError("grade: expected --against OP, --convention NAME or --rubric "
                         "RUBRIC.toml, got none")
    if not args.submissions.exists():
        raise UsageError(f"SUBMISSIONS: expected a directory or a .zip, got {args.submissions} "
                         f"(no such file or directory)")
    if args.no_import and (args.no_isolation or sys.platform == "win32"):
        without = "--no-isolation too" if args.no_isolation else "Windows (no sandbox there)"
        raise UsageError(f"--no-import: expected the sandbox, which refuses the imports, got "
                         f"{without} (--no-import {','.join(args.no_import)} would not be "
                         f"enforced)")


def run(args: argparse.Namespace) -> int:
    """Grade (or write the bundle); 0 done, 2 usage."""
    # deferred: grading imports torch and matplotlib, which --help does not need; the fork
    # server (stdlib only) is started first, so its imports overlap the parent's
    from comparisons.grading import server

    _check(args)
    check_out_dir(args.out)
    if args.gradescope_bundle is None and args.show_variant is None:
        server.start()
    from comparisons.grading import command, rubric

    if args.gradescope_bundle is not None:
        print(command.bundle(args.gradescope_bundle, args.out))
        return 0
    if args.rubric is not None:
        plan = rubric.load_rubric(args.rubric)
    elif args.convention is not None:
        plan = rubric.rubric_for_convention(args.convention)
    else:
        plan = rubric.rubric_for_op(args.against)
    changes: dict[str, Any] = {}
    if args.seed is not None:
        changes["seed"] = args.seed
    if args.timeout is not None:
        changes["timeout"] = args.timeout
    if args.variant_seed is not None:
        changes["variant_seed"] = args.variant_seed
    plan = dataclasses.replace(plan, **changes)
    if args.show_variant is not None:
        print(command.show_variant(plan, args.show_variant), end="")
        return 0
    table = command.grade(command.GradeRun(args.submissions, plan, args.out, args.jobs,
                                           args.gradescope, not args.no_progress,
                                           not args.no_isolation, args.no_import))
    mean = sum(s["score"] for s in table) / len(table)
    print(f"graded {len(table)} students: mean {mean:.2f} / {plan.max_score:g}; "
          f"{args.out / 'gradebook.csv'}, {args.out / 'summary.html'}")
    return 0
