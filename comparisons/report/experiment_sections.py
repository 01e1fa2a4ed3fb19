"""The experiments' demo sections (fast settings): overfitting, weight decay, dropout,
numerical stability, house prices. Each experiment module keeps its ``DEMO_ARGS`` (read when
the section runs); the sections live here, above the experiment CLI they run through.

Each runs the experiment through the same code path as ``backprop-lab experiment NAME`` and
passes when both engines agreed at every step (float64, the lockstep tolerance) and every
expected finding held. Files are relative to the demo's output folder; the PNGs are listed
(the SVG twins and the full JSON are written beside them).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from comparisons.experiments.dropout import experiment as dropout
from comparisons.experiments.house_prices import experiment as house_prices
from comparisons.experiments.overfitting import experiment as overfitting
from comparisons.experiments.runner import run_experiment
from comparisons.experiments.stability import experiment as stability

OVERFITTING_ARGS = overfitting.DEMO_ARGS
WEIGHT_DECAY_ARGS = ["--seeds", "1", "--lambdas", "0,0.1,1,3,10,100"]


def _section(name: str, args: list[str], out: Path,
             quiet: bool) -> tuple[dict[str, Any], dict[str, Any]]:
    """Run ``name`` into ``out/name``: (the common part of every section's result, the payload)."""
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
        "findings": payload["findings"], "workers": payload.get("workers", 1),
    }, payload


def overfitting_section(out: Path, *, quiet: bool = False) -> dict[str, Any]:
    """Three fits, seeds 0-2, 400 epochs each, the overfit fit on 20 examples: cubic weights,
    test losses, on how many seeds the overfit fit's test loss exceeds its training loss."""
    section, payload = _section("overfitting", OVERFITTING_ARGS, out, quiet)
    section["seeds_showing_overfit"] = payload["seeds_showing_overfit"]
    for fit in (f for f in payload["fits"] if f["seed"] == payload["fits"][0]["seed"]):
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


def dropout_section(out: Path, *, quiet: bool = False) -> dict[str, Any]:
    """The digits setting, seeds 0 and 1, both engines (files under out/dropout).

    Passes when the engines agreed at every step and every finding held; reports the gaps.
    """
    section, payload = _section("dropout", dropout.DEMO_ARGS, out, quiet)
    for g in payload["gaps"]:
        section[f"seed{g['seed']}_gap_without"] = g["gap_without"]
        section[f"seed{g['seed']}_gap_with"] = g["gap_with"]
    for r in payload["runs"]:
        section[f"seed{r['seed']}_{'with' if r['dropout'] else 'without'}_test_acc"] = \
            r["test_acc"]
    return section


def stability_section(out: Path, *, quiet: bool = False) -> dict[str, Any]:
    """Two seeds, both engines, the default network (files under out/stability).

    Passes when every gradient agreed and every finding held; reports the first-to-last ratios.
    """
    section, payload = _section("stability", stability.DEMO_ARGS, out, quiet)
    for r in payload["gradient_norms"]["runs"]:
        key = f"{r['activation']}_{r['init']}_seed{r['seed']}"
        section[f"{key}_signal_ratio"] = r["signal_ratio"]
        section[f"{key}_weight_grad_ratio"] = r["first_to_last_ratio"]
    section["sigmoid_grad_at_edges"] = payload["sigmoid"]["grad_at_edges"]
    section["log10_product_after_100"] = [r["log10_max_abs"][-1]
                                          for r in payload["matrix_product"]["runs"]]
    return section


def house_prices_section(out: Path, *, quiet: bool = False) -> dict[str, Any]:
    """Ames, 2 folds, 40 epochs, the baseline and one MLP, over this machine's cores: the sweep
    on the handmade engine, the baseline and the best on both engines in lockstep (the default
    ``--engine checked``); the section names the worker count and what ran in lockstep.

    Passes when both engines agree at every step of the runs compared (and a re-run of the best
    reproduced the sweep's numbers); the log-RMSE targets hold for the full-length run, 5 folds
    and more epochs, not for this short one."""
    argv = [*house_prices.DEMO_ARGS, "--out", str(Path(out) / "house_prices")] + (
        ["--quiet"] if quiet else [])
    code, payload = run_experiment("house-prices", argv)
    avg = {r["config"]["name"]: r["avg_valid_log_rmse"] for r in payload["results"]}
    best = payload["best"]["name"]
    held = payload["findings"]
    return {"passed": code == 0 and held["engines_agree_at_every_step"]
            and held.get("lockstep_rerun_reproduces_the_sweep", True),
            "workers": payload["workers"], "engine_mode": payload["engine_mode"],
            "lockstep_checked": payload["lockstep_checked"],
            "lockstep_runs": payload["lockstep"]["runs"],
            "files": [f"house_prices/{f}" for f in payload["files"] if not f.endswith(".svg")],
            "command": payload["command"], "baseline_avg_valid_log_rmse": avg["baseline"],
            "best": best, "best_avg_valid_log_rmse": avg[best],
            "lockstep_max_rel_diff": payload["lockstep"]["max_rel_diff"],
            "stats": payload["stats"]}
