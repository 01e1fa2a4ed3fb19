"""backprop-lab's comparison side: the harness that proves hand-written backprop right or
says what is wrong with it. One subpackage per concept; imports run downward only:

* ``core``: compare, tolerances, finite differences, the op declarations, errors, file I/O;
* ``data``: the data sets (synthetic, digits, Fashion-MNIST, house prices) and minibatches;
* ``check``: the built-in suite of ``backprop-lab check``;
* ``verification``: ``backprop-lab verify``, a student's pair run and each gradient
  diagnosed;
* ``lockstep``: the handmade and torch engines trained side by side, step by step;
* ``graph``: the two-layer network's computational graph beside torch.autograd's;
* ``experiments``: the book's experiments, one package each, and their runner;
* ``labs``: what the course notebooks import (the check an exercise cell ends with);
* ``report``: the demo: its sections, its runner and the HTML page;
* ``cli``: the ``backprop-lab`` command, every subcommand's arguments (the only place
  that knows about the terminal).

``comparisons.verify(forward, backward, against="linear")`` verifies a hand-written pair (the
function of ``comparisons.verification.runner``); torch is imported when it runs, not by
``import comparisons``, so the command line's ``--help`` stays light.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from typing import Any


def _drop_the_working_folder() -> None:
    """Under ``python -m comparisons`` Python puts the working folder first on ``sys.path``;
    an instructor grading from inside the students' folder would import a student's
    ``numpy.py`` into the grader. Unless the package lives there (a clone run without
    installing it), the folder is dropped before anything else is imported."""
    if sys.argv[:1] != ["-m"] or not sys.path:
        return
    here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    if os.path.abspath(sys.path[0] or os.curdir) != here:
        del sys.path[0]


_drop_the_working_folder()

from comparisons.verification.report import VerifyReport  # noqa: E402 - after the guard

__all__ = ["VerifyReport", "verify"]


def verify(forward: Callable[..., Any], backward: Callable[..., Any], against: str | None = None,
           **options: Any) -> VerifyReport:
    """Verify a hand-written ``forward``/``backward`` pair against the built-in op ``against``
    (or a layer of your own: ``reference=``, ``shapes=``); every option and the report are
    those of :func:`comparisons.verification.runner.verify`."""
    from comparisons.verification import runner  # the one lazy import: torch loads here

    return runner.verify(forward, backward, against, **options)
