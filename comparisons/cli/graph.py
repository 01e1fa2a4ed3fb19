"""``backprop-lab graph``: draw the two-layer network's graph, hand-written beside torch.

Writes under ``--out`` (default ``out/graph``) the forward graph with values, the backward
graph with gradients and autograd's graph beside the hand-written one (PNG and SVG each),
``graph.json`` and, with ``--dot``, DOT text; ``--worksheet`` writes the printable worksheet
instead (:mod:`comparisons.graph.worksheet`). ``--verify FILE.py`` (a ``two_layer`` file as
``backprop-lab verify`` takes it) colours the nodes by verify's report on it (the same
diagnoses, first divergence, notes and verdict), red where wrong, shows the user's gradient
beside autograd's on a wrong node, and marks the first divergence. ``--verify FILE
--intermediates`` draws a named-intermediates file instead (``verify --intermediates``'s shape:
its named tensors coloured by that report, :mod:`comparisons.graph.named`). Exit: with ``--verify``,
verify's (0 passes, 1 fails); without, 0 when the project's hand-written graph agrees with
autograd, 1 when not; 2 for bad input (one line).
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path
from typing import Any

import numpy as np

from comparisons.core.errors import UsageError
from comparisons.core.io import check_input_file, ensure_out_dir, nonnegative_int
from handmade.activations import PAIRS

ACTIVATIONS = tuple(PAIRS)
"""The hidden activations the drawn network can use: handmade's pairs, which are the
"activation" family of the op declarations (``comparisons.core.builtin_ops.ACTIVATIONS``; a test
holds them equal); read from handmade so that ``--help`` does not import torch."""


def register(sub: Any) -> None:
    """Add the ``graph`` subcommand."""
    p = sub.add_parser("graph", help="draw the two-layer network's computational graph "
                                     "(values, gradients, torch's graph beside it)")
    p.add_argument("--activation", choices=ACTIVATIONS, default="relu",
                   help="hidden activation phi (default relu, the book's)")
    p.add_argument("--lambda", dest="lam", type=float, default=0.1, metavar="L",
                   help="L2 penalty weight λ >= 0 (default 0.1)")
    p.add_argument("--bias", action="store_true",
                   help="add the hidden bias b1 (book exercise 2; not regularised)")
    p.add_argument("--out", type=Path, default=Path("out/graph"),
                   help="output folder (default out/graph)")
    p.add_argument("--dot", action="store_true", help="also write Graphviz DOT text files")
    p.add_argument("--seed", type=nonnegative_int, default=0,
                   help="seed of the weights and inputs (default 0)")
    p.add_argument("--worksheet", action="store_true",
                   help="write a printable worksheet instead (worksheet.pdf: the graph with "
                        "every shape and empty boxes for each gradient, then an answer key; "
                        "SVG pages too); takes --activation, --bias and --out")
    p.add_argument("--verify", type=Path, metavar="FILE",
                   help="a two_layer derivation (forward/backward; a .py file or a notebook): "
                        "colour the nodes by it")
    p.add_argument("--intermediates", action="store_true",
                   help="with --verify: a backprop-ninja file (forward() -> named tensors, "
                        "backward(tensors) -> 'd' + name gradients): draw its named tensors "
                        "coloured by verify --intermediates")
    p.set_defaults(func=run)


def check_args(args: argparse.Namespace) -> None:
    """UsageError (one line) for λ < 0 or not finite, a --verify path that is no file, or
    --verify with a network its two_layer file cannot describe (another activation, a bias)."""
    if not math.isfinite(args.lam) or args.lam < 0:
        raise UsageError(f"--lambda: expected a finite number >= 0, got {args.lam}")
    if args.verify is None:
        return
    check_input_file(args.verify, "--verify", (".py", ".ipynb"))
    if args.activation != "relu" or args.bias:
        raise UsageError("--verify: a two_layer file derives the book's network (ReLU, no "
                         "bias); drop --activation/--bias")


def check_finite_run(hand: Any, lam: float) -> None:
    """UsageError (one line, naming --lambda) when a node value or gradient of the recorded
    run is NaN or infinite: a λ such as 1e308 overflows J and dW, and infinite values that
    "agree" with autograd's infinite values are no check at all."""
    names = sorted(hand.nodes, key=lambda n: n != "J")  # the objective first
    for kind in ("value", "grad"):
        for name in names:
            node = hand.nodes[name]
            arr = getattr(node, kind)
            if arr is None or np.isfinite(arr).all():
                continue
            what = name if kind == "value" else f"dJ/d{name}"
            bad = "NaN" if np.isnan(arr).any() else "infinite"
            raise UsageError(f"--lambda: {lam:g} makes {what} {bad}; expected a value giving "
                             f"finite results")


def check_worksheet_args(args: argparse.Namespace) -> None:
    """UsageError (one line) for --worksheet with --verify or --dot (it draws no run)."""
    for option, given in (("--verify", args.verify is not None), ("--dot", args.dot)):
        if given:
            raise UsageError(f"--worksheet: draws the blank worksheet; drop {option}")


def check_intermediates_args(args: argparse.Namespace) -> None:
    """UsageError (one line) for --intermediates without --verify, or with an option of the
    two-layer network's drawing (the file defines its own network)."""
    if args.verify is None:
        raise UsageError("--intermediates: expected --verify FILE.py, the file to draw")
    check_input_file(args.verify, "--verify")
    given = [flag for flag, value, default in (
        ("--activation", args.activation, "relu"), ("--lambda", args.lam, 0.1),
        ("--bias", args.bias, False), ("--seed", args.seed, 0),
        ("--worksheet", args.worksheet, False)) if value != default]
    if given:
        raise UsageError(f"--intermediates: the file defines its own network and seed; drop "
                         f"{given[0]}")


def run(args: argparse.Namespace) -> int:
    """Run, draw and write; print a short summary; 0 all agree, 1 a gradient disagrees."""
    if args.intermediates:
        check_intermediates_args(args)
    elif args.worksheet:
        check_worksheet_args(args)
    else:
        check_args(args)
    out = ensure_out_dir(args.out)
    # deferred: the graphs import torch and matplotlib, which --help does not need
    from comparisons.graph.outputs import (
        run_graphs,
        write_graphs,
        write_named_graph,
        write_worksheet,
    )

    if args.worksheet:
        paths = write_worksheet(out, activation=args.activation, bias=args.bias)
        print(f"wrote the worksheet (page 1) and its answer key (page 2) to {out}/: "
              + ", ".join(p.name for p in paths))
        return 0

    if args.intermediates:
        report, written = write_named_graph(args.verify, out, dot=args.dot)
        print(report.verdict() if report.error is None else str(report))
        print(f"wrote {len(written)} files to {out}/: " + ", ".join(p.name for p in written))
        return 0 if report.passed else 1

    with np.errstate(over="ignore", invalid="ignore"):  # overflow is checked just below
        result = run_graphs(activation=args.activation, lam=args.lam, bias=args.bias,
                            seed=args.seed, user_file=args.verify)
    check_finite_run(result.hand, args.lam)  # before the (slow) drawing
    paths = write_graphs(result, out, dot=args.dot)
    for line in summary_lines(result):
        print(line)
    print(f"wrote {len(paths)} files to {out}/: " + ", ".join(p.name for p in paths))
    return 0 if result.passed else 1


def summary_lines(result: Any) -> list[str]:
    """What the run found: first the project's own check (its hand-written graph against
    autograd), then, with a user's file, ``backprop-lab verify``'s verdict on it."""
    hand, torch_graph = result.hand, result.twin.graph
    bad = [c.tensor for c in result.checks if not c.passed]
    err = result.max_rel_err
    check = (f"backprop-lab's own hand-written graph agrees with autograd (max rel err "
             f"{err:.2g})" if not bad else f"backprop-lab's own hand-written graph DISAGREES "
             f"with autograd at {bad} (a bug in backprop-lab, not in your file)")
    lines = [f"project check: {check}; {len(hand.nodes)} nodes, {len(hand.edges)} edges "
             f"(torch.autograd: {len(torch_graph.nodes)} nodes)"]
    if result.colouring is not None:
        lines += result.colouring.summary_lines()
    return lines
