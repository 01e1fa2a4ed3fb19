"""Run one of the book's experiments from its parsed arguments: ``backprop-lab experiment NAME``.

Registry: :data:`EXPERIMENTS` maps a name to the module that runs it, following the contract in
:mod:`comparisons.experiments.common` (``run(args, ctx) -> dict``); its arguments are parsed by
:mod:`comparisons.experiments.arguments` (light, for ``--help``), under the same name.

Exit codes: 0 done, 1 the engines parted beyond the lockstep tolerance, 2 bad input (one line).
Whether the expected findings held is reported in the JSON's ``"findings"`` and on stdout.
"""

from __future__ import annotations

import argparse
from types import ModuleType
from typing import Any

from comparisons.core.errors import UsageError
from comparisons.core.io import check_writable_file, ensure_out_dir, write_json
from comparisons.core.parser import Parser
from comparisons.experiments.arguments import build_experiment_parser, command_line
from comparisons.experiments.cnn import experiment as cnn
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
    "cnn": cnn,
}

REQUIRED_KEYS = ("lockstep", "files", "findings", "summary")


def execute(args: argparse.Namespace) -> tuple[int, dict[str, Any]]:
    """Run the experiment of parsed ``args``; write its JSON; return (exit code, payload)."""
    module = EXPERIMENTS[args.experiment]
    if args.json is not None:
        check_writable_file(args.json, "--json")  # before the run, not after it
    ctx = ExperimentContext(args.experiment, args.engine,
                            list(range(args.seed, args.seed + args.seeds)),
                            ensure_out_dir(args.out), args.dtype, args.quiet,
                            getattr(args, "jobs", 1))
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
