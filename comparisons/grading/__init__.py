"""``backprop-lab grade``: grade a whole class's derivations into a gradebook, feedback and
Gradescope's ``results.json``.

Layer: above :mod:`comparisons.verification` (the only part of the harness it uses) and below
:mod:`comparisons.cli` (nothing else imports it). This ``__init__`` imports nothing.

Modules, bottom up: ``rubric`` (RUBRIC.toml read and checked: items, points per gradient or
per item, hidden items, seed, timeout), ``submissions`` (a directory of files or of folders,
a zip, or one Gradescope submission, as students and their files), ``scoring`` (a verify
report scored against an item; the streamed JSONL of rows, so a rerun skips what is done),
``server`` (the warm fork server, stdlib only), ``pool`` (a submission verified in a fresh
process forked from it, under a wall-time limit), ``runner`` (``--jobs`` at a time, each
built-in op's and convention's submission in verify's sandbox, the verdict computed by the
grader; ``--no-isolation`` through ``pool``), ``feedback`` (each
student's Markdown and HTML), ``summary`` (gradebook.csv, summary.html with its two charts,
grades.json), ``gradescope`` (results.json and the autograder zip), ``command`` (the run).
"""
