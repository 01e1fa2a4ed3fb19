"""Every experiment's command-line arguments, light (no torch, no matplotlib): what
``backprop-lab experiment NAME --help`` needs, without loading what the experiment trains with.

Registry: :data:`OPTIONS` maps a name to the module that holds the experiment's ``HELP``,
``DEFAULT_SEEDS`` and ``add_arguments(parser)`` (its ``options`` module); the module that runs it is
in :data:`comparisons.experiments.runner.EXPERIMENTS`, under the same name. Each experiment gets
its own sub-parser, so it can add options (``--lambdas 0,1,3``) beside the common ones:
``--engine handmade|torch|both`` (default both; an options module may widen the choices with
``ENGINES`` and change the default with ``DEFAULT_ENGINE``), ``--seeds K``, ``--seed S`` (first
seed), ``--out DIR``, ``--json PATH`` (default ``DIR/NAME.json``), ``--dtype``, ``--quiet``.
"""

from __future__ import annotations

import argparse
import shlex
from pathlib import Path
from types import ModuleType
from typing import Any

from comparisons.core.io import nonnegative_int, positive_int
from comparisons.experiments.cnn import options as cnn
from comparisons.experiments.dropout import options as dropout
from comparisons.experiments.house_prices import options as house_prices
from comparisons.experiments.overfitting import options as overfitting
from comparisons.experiments.stability import options as stability
from comparisons.experiments.weight_decay import options as weight_decay

OPTIONS: dict[str, ModuleType] = {
    "overfitting": overfitting,
    "weight-decay": weight_decay,
    "dropout": dropout,
    "stability": stability,
    "house-prices": house_prices,
    "cnn": cnn,
}

# as comparisons.lockstep.train (which imports torch)
ENGINE_CHOICES = ("handmade", "torch", "both")


def add_common_arguments(p: argparse.ArgumentParser, default_seeds: int,
                         engines: tuple[str, ...] = ENGINE_CHOICES,
                         default_engine: str = "both") -> None:
    """The options every experiment has (``engines``: the choices of ``--engine``)."""
    p.add_argument("--engine", choices=engines, default=default_engine,
                   help=f"which engine(s) to train; 'both' runs them in lockstep "
                        f"(default {default_engine})")
    p.add_argument("--seeds", type=positive_int, default=default_seeds,
                   help=f"number of seeds (default {default_seeds})")
    p.add_argument("--seed", type=nonnegative_int, default=0, help="first seed (default 0)")
    p.add_argument("--out", type=Path, default=Path("out/experiments"),
                   help="folder for plots and JSON (default out/experiments)")
    p.add_argument("--json", type=Path, help="JSON path (default OUT/NAME.json)")
    p.add_argument("--dtype", choices=("float64", "float32"), default="float64",
                   help="precision of both engines (default float64)")
    p.add_argument("--quiet", action="store_true", help="no progress bars or progress lines")


def build_experiment_parser(sub: Any, name: str) -> argparse.ArgumentParser:
    """Add the sub-parser of experiment ``name`` to ``sub`` (a :class:`Parser`'s); its
    defaults record ``experiment=name`` and ``experiment_parser`` (for :func:`command_line`)."""
    module = OPTIONS[name]
    p = sub.add_parser(name, help=module.HELP, description=module.HELP)
    add_common_arguments(p, module.DEFAULT_SEEDS, getattr(module, "ENGINES", ENGINE_CHOICES),
                         getattr(module, "DEFAULT_ENGINE", "both"))
    module.add_arguments(p)
    p.set_defaults(experiment=name, experiment_parser=p)
    return p


def command_line(args: argparse.Namespace) -> str:
    """The ``backprop-lab experiment ...`` command that reproduces ``args`` (non-defaults),
    from the options the experiment's :class:`~comparisons.core.parser.Parser` recorded."""
    words = ["backprop-lab", "experiment", args.experiment]
    for action in args.experiment_parser.options:
        value = getattr(args, action.dest, None)
        if not action.option_strings or action.dest == "help" or value == action.default:
            continue
        if isinstance(value, bool):
            words.append(action.option_strings[-1])
            continue
        text = ",".join(map(str, value)) if isinstance(value, list) else str(value)
        words += [action.option_strings[-1], text]
    return shlex.join(words)
