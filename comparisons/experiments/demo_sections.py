"""Demo sections of the overfitting and weight-decay experiments (fast settings, one seed).

Each runs the experiment through the same code path as ``backprop-lab experiment NAME`` and
passes when both engines agreed at every step (float64, the lockstep tolerance) and every
expected finding held. Files are relative to the demo's output folder; the PNGs are listed
(the SVG twins and the full JSON are written beside them).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from comparisons.experiments.cli import run_experiment

OVERFITTING_ARGS = ["--seeds", "1", "--epochs", "400"]
WEIGHT_DECAY_ARGS = ["--seeds", "1", "--lambdas", "0,0.1,1,3,10,100"]


def _section(name: str, args: list[str], out: Path, quiet: bool) -> dict[str, Any]:
    """Run ``name`` into ``out/name``; the common part of every section's result."""
    folder = Path(out) / name
    argv = [*args, "--out", str(folder), *(["--quiet"] if quiet else [])]
    code, payload = run_experiment(name, argv)
    if not quiet:
        for line in payload["summary"]:
            print(line)
    lockstep = payload["lockstep"]
    agreed = code == 0 and lockstep["first_divergent_step"] is None and lockstep["runs"] > 0
    return {
        "passed": bool(agreed and all(payload["findings"].values())),
        "files": [str(Path(name) / f) for f in payload["files"] if f.endswith(".png")],
        "command": payload["command"].replace(" --quiet", ""),
        "json": str(Path(payload["json"]).relative_to(out)),
        "lockstep_max_rel_diff": lockstep["max_rel_diff"],
        "lockstep_first_divergent_step": lockstep["first_divergent_step"],
        "findings": payload["findings"],
    }, payload


def overfitting_section(out: Path, *, quiet: bool = False) -> dict[str, Any]:
    """Three fits, seed 0, 400 epochs each: cubic weights, test losses, lockstep agreement."""
    section, payload = _section("overfitting", OVERFITTING_ARGS, out, quiet)
    for fit in payload["fits"]:
        section[f"{fit['name']}_weights"] = [round(w, 4) for w in fit["weights"][:4]]
        section[f"{fit['name']}_test_loss"] = fit["test_loss"]
    return section


def weight_decay_section(out: Path, *, quiet: bool = False) -> dict[str, Any]:
    """Both conventions, seed 0, a six-value λ sweep: ‖w‖₂ and test loss at λ = 0 and 3."""
    section, payload = _section("weight-decay", WEIGHT_DECAY_ARGS, out, quiet)
    for run in payload["runs"]:
        if run["lambda"] in (0.0, 3.0):
            key = f"{run['convention']}_lambda{run['lambda']:g}"
            section[f"{key}_w_norm"] = run["w_norm"]
            section[f"{key}_test_loss"] = run["test_loss"]
    section["algebra_identity_holds"] = payload["algebra"]["passed"]
    return section
