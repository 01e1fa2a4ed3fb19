"""``backprop-lab experiment NAME [options]``: the book's experiments, both engines in lockstep.

Registry: :data:`EXPERIMENTS` maps a name to its module (imported here: ``--help`` lists every
experiment's options anyway, and none imports torch at import time), following the contract in
:mod:`comparisons.experiments.common` (``HELP``, ``DEFAULT_SEEDS``, ``add_arguments(parser)``,
``run(args, ctx) -> dict``). Each experiment gets its own sub-parser, so it can add options
(``backprop-lab experiment weight-decay --lambdas 0,1,3``) beside the common ones:
``--engine handmade|torch|both`` (default both), ``--seeds K``, ``--seed S`` (first seed),
``--out DIR``, ``--json PATH`` (default ``DIR/NAME.json``), ``--dtype``, ``--quiet``.

Exit codes: 0 done, 1 the engines parted beyond the lockstep tolerance, 2 bad input (one line).
Whether the expected findings held is reported in the JSON's ``"findings"`` and on stdout.
"""

from __future__ import annotations

from typing import Any

from comparisons.experiments.runner import EXPERIMENTS, build_experiment_parser


def register(sub: Any) -> None:
    """Add ``experiment`` with one sub-parser per registered experiment."""
    p = sub.add_parser("experiment", help="run one of the book's experiments (overfitting, "
                       "weight decay, ...) with both engines in lockstep",
                       description=__doc__.splitlines()[0])
    names = p.add_subparsers(dest="experiment", metavar="NAME", parser_class=type(p))
    names.required = True
    for name in EXPERIMENTS:
        build_experiment_parser(names, name)
