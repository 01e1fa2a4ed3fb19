"""backprop-lab's comparison side: the harness that proves hand-written backprop right or
says what is wrong with it. One subpackage per concept; imports run downward only:

* ``core``: compare, tolerances, finite differences, the op declarations, errors, file I/O;
* ``data``: the data sets (synthetic, digits, Fashion-MNIST, house prices) and minibatches;
* ``check``: the built-in suite of ``backprop-lab check``;
* ``verify``: ``backprop-lab verify``, a student's pair run and each gradient diagnosed;
* ``lockstep``: the handmade and torch engines trained side by side, step by step;
* ``graph``: the two-layer network's computational graph beside torch.autograd's;
* ``experiments``: the book's experiments, one package each, and their runner;
* ``labs``: what the course notebooks import (the check an exercise cell ends with);
* ``report``: the demo: its sections, its runner and the HTML page;
* ``cli``: the ``backprop-lab`` command, every subcommand's arguments (the only place
  that knows about the terminal).

``comparisons.verify(forward, backward, against="linear")`` verifies a hand-written pair;
submodules are imported only when used, so ``import comparisons`` stays light.
"""

from __future__ import annotations

from comparisons import verify
from comparisons.verify.report import VerifyReport

__all__ = ["VerifyReport", "verify"]
