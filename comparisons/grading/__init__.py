"""``backprop-lab grade``: grade a whole class's derivations into a gradebook, feedback and
Gradescope's ``results.json``.

Layer: above :mod:`comparisons.verification` (the only part of the harness it uses) and below
:mod:`comparisons.cli` (nothing else imports it). This ``__init__`` imports nothing.

Modules, bottom up: ``lab_plan`` (what the grader runs of a shipped lab's check),
``lab_wire`` (generators, DataFrames, lambdas sent to the sandbox), ``lab_checks`` (a lab's
non-verify check run in the grader, the student's functions in the sandbox), ``labs`` (the
shipped labs' exercises as items, a student's notebook graded), ``rubric`` (RUBRIC.toml read
and checked: op, convention and lab items, points per gradient, function or exercise or per
item, hidden items, seed, dtype, timeout, variant_seed), ``assignment`` (each student's
variant and its text, ``--show-variant``), ``lms`` (Canvas, Blackboard and Moodle export
names as students), ``unzip`` (zips extracted without trusting them), ``submissions`` (a
directory of files or of folders, a zip, or one Gradescope submission, as students and their
files), ``scoring`` (a verify report scored against an item; the streamed JSONL of rows, so a
rerun skips what is done), ``server`` (the warm fork server, stdlib only), ``pool`` (a
submission verified in a fresh process forked from it, under a wall-time limit: ``--no-isolation``),
``workers`` (``--jobs`` grader processes forked from the server, each verifying in its own
sandboxed children), ``runner`` (every task in the process it belongs in: the sandbox through
``workers``, the verdict computed by a grader; ``--no-isolation`` through ``pool``),
``feedback`` (each student's Markdown and HTML), ``summary`` (gradebook.csv, summary.html
with its two charts, grades.json), ``gradescope`` (results.json and the autograder zip),
``command`` (the run).
"""
