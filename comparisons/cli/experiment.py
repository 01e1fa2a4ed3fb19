"""``backprop-lab experiment NAME [options]``: the book's experiments, both engines in lockstep.

Each experiment's sub-parser comes from :mod:`comparisons.experiments.arguments` (light: every
experiment's options, for ``--help``); the experiment itself, from
:mod:`comparisons.experiments.runner`, is imported when it runs.

Exit codes: 0 done, 1 the engines parted beyond the lockstep tolerance, 2 bad input (one line).
Whether the expected findings held is reported in the JSON's ``"findings"`` and on stdout.
"""

from __future__ import annotations

import argparse
from typing import Any

from comparisons.experiments.arguments import OPTIONS, build_experiment_parser


def register(sub: Any) -> None:
    """Add ``experiment`` with one sub-parser per registered experiment."""
    p = sub.add_parser("experiment", help="run one of the book's experiments (overfitting, "
                       "weight decay, ...) with both engines in lockstep",
                       description=__doc__.splitlines()[0])
    names = p.add_subparsers(dest="experiment", metavar="NAME", parser_class=type(p))
    names.required = True
    for name in OPTIONS:
        build_experiment_parser(names, name).set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Run the experiment, print its summary and findings; exit 1 when the engines diverged."""
    # deferred: the experiments import torch and matplotlib, which --help does not need
    from comparisons.experiments import runner

    return runner.run(args)
