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

import argparse
import shlex
from pathlib import Path
from types import ModuleType
from typing import Any

from comparisons.core.errors import UsageError
from comparisons.core.io import (
    check_writable_file,
    ensure_out_dir,
    nonnegative_int,
    positive_int,
    write_json,
)
from comparisons.core.parser import Parser
from comparisons.experiments.common import ExperimentContext
from comparisons.experiments.dropout import experiment as dropout
from comparisons.experiments.house_prices import experiment as house_prices
from comparisons.experiments.overfitting import experiment as overfitting
from comparisons.experiments.stability import experiment as stability
from comparisons.experiments.weight_decay import experiment as weight_decay

EXPERIMENTS: dict[str, ModuleType] = {
    "overfitting": overfitting,
    "weight-decay": weight_decay,
    "dropout": dropout,
    "stability": stability,
    "house-prices": house_prices,
}

REQUIRED_KEYS = ("lockstep", "files", "findings", "summary")
# as comparisons.lockstep.train (which imports torch)
ENGINE_CHOICES = ("handmade", "torch", "both")


def add_common_arguments(p: argparse.ArgumentParser, default_seeds: int) -> None:
    """The options every experiment has."""
    p.add_argument("--engine", choices=ENGINE_CHOICES, default="both",
                   help="which engine(s) to train; 'both' runs them in lockstep (default)")
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
    """Add the sub-parser of experiment ``name`` to ``sub`` (a :class:`Parser`'s)."""
    module = EXPERIMENTS[name]
    p = sub.add_parser(name, help=module.HELP, description=module.HELP)
    add_common_arguments(p, module.DEFAULT_SEEDS)
    module.add_arguments(p)
    p.set_defaults(func=run, experiment=name, experiment_parser=p)
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


def execute(args: argparse.Namespace) -> tuple[int, dict[str, Any]]:
    """Run the experiment of parsed ``args``; write its JSON; return (exit code, payload)."""
    module = EXPERIMENTS[args.experiment]
    if args.json is not None:
        check_writable_file(args.json, "--json")  # before the run, not after it
    ctx = ExperimentContext(args.experiment, args.engine,
                            list(range(args.seed, args.seed + args.seeds)),
                            ensure_out_dir(args.out), args.dtype, args.quiet)
    payload = module.run(args, ctx)
    missing = [k for k in REQUIRED_KEYS if k not in payload]
    if missing:
        raise RuntimeError(f"experiment {args.experiment}: payload lacks {missing}")
    payload = {"experiment": args.experiment, "engine": ctx.engine, "seeds": ctx.seeds,
               "dtype": ctx.dtype, "command": command_line(args), **payload}
    path = write_json(args.json or ctx.out / f"{args.experiment}.json", payload)
    payload["json"] = str(path)
    diverged = payload["lockstep"]["first_divergent_step"] is not None
    return (1 if diverged else 0), payload


def run(args: argparse.Namespace) -> int:
    """Run, print the summary and the findings; exit 1 when the engines diverged."""
    code, payload = execute(args)
    for line in payload["summary"]:
        print(line)
    for finding, held in payload["findings"].items():
        print(f"  [{'ok' if held else 'NOT SHOWN'}] {finding}")
    print(lockstep_line(payload["lockstep"]))
    print(f"results: {payload['json']} and {len(payload['files'])} plot files in "
          f"{args.out}/")
    return code


def lockstep_line(lockstep: dict[str, Any]) -> str:
    """One line on the engines' agreement."""
    if lockstep["max_rel_diff"] is None:
        return "lockstep: one engine ran, nothing compared (use --engine both)"
    verdict = ("no step parted beyond the tolerance" if lockstep["first_divergent_step"] is None
               else f"DIVERGED at step {lockstep['first_divergent_step']} of "
                    f"{lockstep.get('divergent_run')}")
    return (f"lockstep: {lockstep.get('runs', '?')} runs compared, max relative difference "
            f"{lockstep['max_rel_diff']:.2g}; {verdict}")


def run_experiment(name: str, argv: list[str]) -> tuple[int, dict[str, Any]]:
    """Parse ``argv`` as ``backprop-lab experiment NAME argv`` and run it (for the demo)."""
    if name not in EXPERIMENTS:
        raise UsageError(f"experiment: expected one of {sorted(EXPERIMENTS)}, got {name!r}")
    parser = Parser(prog="backprop-lab experiment")
    build_experiment_parser(parser.add_subparsers(parser_class=Parser), name)
    return execute(parser.parse_args([name, *argv]))
