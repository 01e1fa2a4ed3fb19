"""The warm fork server grade's processes are forked from (this module: stdlib only).

:func:`start` starts it at once, so that its imports (NumPy, torch, the verification) run
while the parent is still importing its own: on two cores the two ~3 s imports overlap.
Where ``forkserver`` does not exist (Windows), processes are spawned (correct, slower).
"""

from __future__ import annotations

import multiprocessing
import multiprocessing.forkserver
import os
from pathlib import Path
from typing import Any

HOME = Path(__file__).resolve().parents[2]
"""Where ``comparisons`` is installed (the clone, or site-packages): the server's folder."""
WARM_MODULES = ["numpy", "torch", "comparisons.verification.loader",
                "comparisons.verification.conventions.run", "comparisons.grading.pool",
                "comparisons.grading.runner", "comparisons.cli.main"]
"""What the fork server imports once, before a grader process (``comparisons.grading.runner``,
the sandboxed path) or a submission's process (``comparisons.grading.pool``,
``--no-isolation``) is forked from it (``comparisons.cli.main``: a child re-runs the console
script, which imports it)."""


def context() -> Any:
    """The multiprocessing context: a warm fork server where there is one, else spawn."""
    if "forkserver" in multiprocessing.get_all_start_methods():
        ctx = multiprocessing.get_context("forkserver")
        ctx.set_forkserver_preload(WARM_MODULES)
        return ctx
    return multiprocessing.get_context("spawn")


def start() -> Any:
    """The context, its fork server started now (its imports run in the background).

    The server is ``python -c``, whose ``sys.path`` starts with its working folder, and it
    imports :data:`WARM_MODULES` before it reads the parent's path: started in the grader's
    working folder (an instructor inside the students' folder), a student's ``numpy.py``
    would run in it. It is started in the folder this package is installed in (:data:`HOME`:
    nothing there but the project's own modules), with ``PYTHONSAFEPATH`` set (Python 3.11+:
    no working folder on the path at all)."""
    ctx = context()
    if ctx.get_start_method() == "forkserver":
        os.environ["PYTHONSAFEPATH"] = "1"
        back = os.getcwd()
        os.chdir(HOME)
        try:
            multiprocessing.forkserver.ensure_running()
        finally:
            os.chdir(back)
    return ctx
