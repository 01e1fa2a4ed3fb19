"""The stability experiment: vanishing sigmoid gradients, exploding products, Xavier vs N(0, 0.01).

One small run through the CLI (depth 8, width 64, three seeds, both engines) feeds most tests;
the rest call the computations directly.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import handmade as hm
from comparisons.cli.main import main
from comparisons.core.tolerances import tolerance
from comparisons.experiments.stability import compute as sc
from comparisons.experiments.stability import experiment as st
from comparisons.report.experiment_sections import stability_section

SEEDS = [0, 1, 2]


@pytest.fixture(scope="module")
def section(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The demo section at small settings (depth 8, width 64, three seeds, both engines)."""
    out = tmp_path_factory.mktemp("demo")
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(st, "DEMO_ARGS", ["--seeds", "3", "--depth", "8", "--width", "64",
                                     "--batch", "128"])
        result = stability_section(out, quiet=True)
    return {**result, "out": out}


@pytest.fixture(scope="module")
def payload(section: dict[str, Any]) -> dict[str, Any]:
    """The experiment's JSON, as written."""
    path = section["out"] / section["json"]
    return {**json.loads(path.read_text()), "json": str(path)}


def _rows(payload: dict[str, Any], activation: str, init: str) -> dict[int, dict[str, Any]]:
    return {r["seed"]: r for r in payload["gradient_norms"]["runs"]
            if (r["activation"], r["init"]) == (activation, init)}


@pytest.mark.parametrize("activation", ["tanh", "sigmoid"])
def test_normal_init_signal_vanishes_towards_the_input_but_xavier_keeps_it(
        payload: dict[str, Any], activation: str) -> None:
    xavier, normal = _rows(payload, activation, "xavier_uniform"), _rows(payload, activation,
                                                                         "normal")
    assert sorted(xavier) == sorted(normal) == SEEDS
    for seed in SEEDS:
        x, n = xavier[seed]["input_grad_norms"], normal[seed]["input_grad_norms"]
        assert len(x) == len(n) == 8
        # first-to-last ratio: orders of magnitude smaller with N(0, 0.01)
        assert n[0] / n[-1] * st.VANISH_FACTOR <= x[0] / x[-1]
        # ... and monotone: every layer's signal is weaker than the one above it
        assert np.all(np.diff(n) > 0)
        w_x, w_n = xavier[seed]["weight_grad_norms"], normal[seed]["weight_grad_norms"]
        assert w_n[0] * st.VANISH_FACTOR <= w_x[0]


def test_xavier_with_tanh_keeps_every_layer_within_a_small_factor(
        payload: dict[str, Any]) -> None:
    for row in _rows(payload, "tanh", "xavier_uniform").values():
        for norms in (row["weight_grad_norms"], row["input_grad_norms"]):
            assert max(norms) / min(norms) <= st.SMALL_FACTOR
    assert all(payload["findings"].values()) and len(payload["findings"]) == 5


def test_sigmoid_gradient_peaks_at_a_quarter_and_vanishes_at_the_edges(
        payload: dict[str, Any]) -> None:
    sig = payload["sigmoid"]
    x, grad = np.array(sig["x"]), np.array(sig["grad"])
    assert len(x) == 160 and x[0] == -8.0 and math.isclose(x[-1], 7.9)
    assert grad[np.argmin(np.abs(x))] == sig["grad_max"] == 0.25  # sigma(0) = 1/2
    slope = [math.exp(-abs(v)) / (1 + math.exp(-abs(v))) ** 2 for v in (-8.0, x[-1])]
    assert math.isclose(sig["grad_at_edges"], max(slope), rel_tol=1e-12)
    assert sig["grad_at_edges"] < st.EDGE_FRACTION * sig["grad_max"]


def test_products_of_random_matrices_explode_at_the_predicted_rate(
        payload: dict[str, Any]) -> None:
    """4x4 N(0, 1): top Lyapunov exponent (ln 2 + digamma(2)) / 2 nats per factor."""
    runs = payload["matrix_product"]["runs"]
    assert [r["seed"] for r in runs] == SEEDS
    rate = (math.log(2) + (1 - np.euler_gamma)) / 2 / math.log(10)  # ~0.242 decades
    slopes = [np.polyfit(np.arange(101), r["log10_max_abs"], 1)[0] for r in runs]
    assert abs(np.mean(slopes) - rate) < 0.15 * rate
    assert all(r["log10_max_abs"][-1] > st.EXPLODED_LOG10 for r in runs)


def test_both_engines_agree_and_the_json_holds_every_plotted_number(
        payload: dict[str, Any]) -> None:
    lock = payload["lockstep"]
    assert lock["first_divergent_step"] is None
    assert 0 <= lock["max_rel_diff"] <= tolerance("autograd", np.float64).rtol
    assert lock["compared"] == len(payload["checks"]) == 2 + 2 * 2 * 3 * (2 * 8 + 8)
    data = json.loads(Path(payload["json"]).read_text())
    for row in data["gradient_norms"]["runs"]:
        assert set(row["by_engine"]) == {"handmade", "torch"}
        assert row["by_engine"]["handmade"]["weight_grad_norms"] == row["weight_grad_norms"]
    out = Path(payload["json"]).parent
    assert {Path(f).suffix for f in data["files"]} == {".png", ".svg"}
    assert len(data["files"]) == 8 and all((out / f).stat().st_size > 0 for f in data["files"])


def test_a_wrong_handmade_backward_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    good = hm.Sigmoid._backward
    monkeypatch.setattr(hm.Sigmoid, "_backward", staticmethod(lambda d, c: good(d, c) * 1.001))
    _, checks = sc.gradient_norm_run(0, "sigmoid", "normal", ("handmade", "torch"), depth=3,
                                     width=8, batch=16)
    assert not all(c.passed for c in checks)
    assert st.lockstep_entry(checks, True)["first_divergent_step"] == 0


def test_same_seed_same_numbers_and_float32_agrees() -> None:
    a, _ = sc.gradient_norm_run(4, "tanh", "xavier_uniform", ("handmade",), depth=4, width=16,
                                batch=32)
    b, _ = sc.gradient_norm_run(4, "tanh", "xavier_uniform", ("handmade",), depth=4, width=16,
                                batch=32)
    c, _ = sc.gradient_norm_run(5, "tanh", "xavier_uniform", ("handmade",), depth=4, width=16,
                                batch=32)
    assert a == b and a["weight_grad_norms"] != c["weight_grad_norms"]
    _, checks = sc.gradient_norm_run(4, "sigmoid", "normal", ("handmade", "torch"), depth=4,
                                     width=16, batch=32, dtype=np.float32)
    assert checks and all(c.passed and c.dtype == "float32" for c in checks)


def test_one_engine_reports_no_comparison(tmp_path: Path) -> None:
    row, checks = sc.gradient_norm_run(0, "tanh", "normal", ("torch",), depth=3, width=8,
                                       batch=16)
    assert checks == [] and row["engine"] == "torch" and list(row["by_engine"]) == ["torch"]
    assert st.lockstep_entry(checks, False)["max_rel_diff"] is None


@pytest.mark.parametrize("args, needle", [
    (["--depth", "1"], "--depth"),
    (["--batch", "5000"], "--batch"),
    (["--activations", "relu"], "--activations"),
    (["--factors", "0"], "--factors"),
])
def test_bad_input_is_one_line_and_exit_2(args: list[str], needle: str, tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["experiment", "stability", "--out", str(tmp_path), "--quiet", *args])
    err = capsys.readouterr().err
    assert code == 2 and needle in err and len(err.strip().splitlines()) == 1


def test_demo_section_passes_and_lists_its_files(section: dict[str, Any]) -> None:
    assert section["passed"] is True and all(section["findings"].values())
    assert section["lockstep_first_divergent_step"] is None
    assert section["command"].startswith("backprop-lab experiment stability")
    assert "--depth 8 --width 64 --batch 128" in section["command"]
    assert len(section["files"]) == 4
    assert all((section["out"] / f).is_file() for f in section["files"])
    ratios = [v for k, v in section.items() if k.endswith("_signal_ratio")]
    assert len(ratios) == 2 * 2 * 3 and all(0 < r < 10 for r in ratios)
