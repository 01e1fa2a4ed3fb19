"""The dropout experiment: the gap with and without dropout, lockstep agreement, the masks used,
and Fashion-MNIST IDX files from ``--data-dir`` (tiny files written here with ``struct``)."""

from __future__ import annotations

import dataclasses
import json
import struct
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from matplotlib.collections import PolyCollection

from comparisons.cli.main import main
from comparisons.core.tolerances import tolerance
from comparisons.experiments.common import ExperimentContext
from comparisons.experiments.dropout import experiment as dx
from comparisons.experiments.dropout import model as dm
from comparisons.experiments.dropout import plots as dp
from comparisons.experiments.threads import single_threaded
from comparisons.lockstep.train import BuildContext, MaskRecorder, run_lockstep
from comparisons.report.experiment_sections import dropout_section

TOL = tolerance("lockstep", np.float64)


@pytest.fixture(autouse=True)
def _one_thread() -> Any:
    """Small matrices: one BLAS/torch thread, as the experiment itself runs."""
    with single_threaded():
        yield


@pytest.fixture(scope="module")
def payload(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The default digits setting, seeds 0-2, handmade engine, evaluated after training (the
    experiment's training and findings without its plots, which the data-dir test covers)."""
    settings = dm.DropoutSettings(eval_every=1000)
    ctx = ExperimentContext("dropout", "handmade", [0, 1, 2], tmp_path_factory.mktemp("d"),
                            quiet=True)
    with single_threaded():
        _, runs = dx.train_all(dx.data_loader(None, settings.train_size, "float64"), settings,
                               ctx)
    gaps = dx.gap_table(runs)
    return {"runs": runs, "gaps": gaps, "findings": dx.findings(runs, gaps),
            "settings": dataclasses.asdict(settings)}


def test_the_gap_is_smaller_with_dropout_on_average_over_seeds(payload: dict[str, Any]) -> None:
    runs = {(r["seed"], r["dropout"]): r for r in payload["runs"]}
    assert sorted(runs) == [(s, d) for s in (0, 1, 2) for d in (False, True)]
    gap = {d: np.mean([runs[(s, d)]["train_acc"] - runs[(s, d)]["test_acc"] for s in (0, 1, 2)])
           for d in (False, True)}
    assert gap[True] < gap[False]
    assert min(r["train_acc"] for r in runs.values()) > 0.95  # the setting overfits
    assert payload["findings"]["gap_smaller_with_dropout_on_average"] is True


def test_the_masks_kept_a_fraction_1_minus_p(payload: dict[str, Any]) -> None:
    s = payload["settings"]
    for r in (r for r in payload["runs"] if r["dropout"]):
        for m, p, width in zip(r["masks"], s["p"], s["hidden"]):
            assert m["p"] == p and m["units"] == s["epochs"] * s["train_size"] * width
            se = np.sqrt(p * (1 - p) / m["units"])
            assert abs(m["kept_fraction"] - (1 - p)) <= dx.MAX_Z * se
    for r in (r for r in payload["runs"] if not r["dropout"]):
        assert all(m["units"] == 0 for m in r["masks"])  # p = 0: no mask drawn
    assert payload["findings"]["masks_keep_fraction_1_minus_p"] is True


def _short(**kw: Any) -> dm.DropoutSettings:
    return dm.DropoutSettings(**{"hidden": (32, 32), "epochs": 3, "train_size": 60, **kw})


def test_both_engines_agree_at_every_step_with_shared_masks() -> None:
    data = dm.load_data(np.random.default_rng(0), train_size=60)
    tally = dm.MaskTally()
    r = run_lockstep(dm.make_problem(data, _short(), True, tally), seed=0)
    assert r.first_divergent_step is None and r.max_rel_diff <= TOL.rtol
    assert np.all(r.loss_rel_diff <= TOL.rtol) and np.all(r.param_drift <= TOL.rtol)
    assert r.metric_max_rel_diff <= TOL.rtol
    for key in dm.DROPOUT_KEYS:  # the same masks went to both engines
        assert tally.kept[("handmade", key)] == tally.kept[("torch", key)] > 0


def test_unshared_masks_are_caught_and_same_seed_repeats_bit_for_bit() -> None:
    data = dm.load_data(np.random.default_rng(1), train_size=60)
    settings = _short(epochs=1)
    problem = dm.make_problem(data, settings, True)
    own = MaskRecorder(np.random.default_rng(99), ("torch",))
    lonely = dataclasses.replace(problem, torch_model=lambda ctx: dm.torch_net(
        BuildContext("torch", ctx.rng, ctx.dtype, own), 64, settings, True))
    assert run_lockstep(lonely, seed=0).first_divergent_step == 0
    a, b = (run_lockstep(problem, seed=2, engine="handmade") for _ in range(2))
    assert np.array_equal(a.step_loss["handmade"], b.step_loss["handmade"])
    assert a.metrics == b.metrics


def _idx(a: np.ndarray) -> bytes:
    """IDX bytes of a uint8 array: 00 00 08 ndim, big-endian uint32 sizes, the data."""
    return struct.pack(f">2xBB{a.ndim}I", 0x08, a.ndim, *a.shape) + a.tobytes()


def _fashion(root: Path, n_train: int = 80, n_test: int = 30) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(5)
    for kind, n in (("train", n_train), ("t10k", n_test)):
        y = np.arange(n, dtype=np.uint8) % 10
        X = rng.integers(0, 40, size=(n, 28, 28), dtype=np.uint8)
        X[np.arange(n), y, :] = 255  # a bright row per class: learnable
        (root / f"{kind}-images-idx3-ubyte").write_bytes(_idx(X))
        (root / f"{kind}-labels-idx1-ubyte").write_bytes(_idx(y))
    return root


def test_data_dir_runs_on_tiny_fashion_mnist_files_through_the_demo_section(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = _fashion(tmp_path / "fmnist")
    monkeypatch.setattr(dx, "DEMO_ARGS", ["--data-dir", str(root), "--seeds", "1", "--epochs",
                                          "2", "--batch-size", "16", "--hidden", "16,16"])
    section = dropout_section(tmp_path / "out", quiet=True)
    data = json.loads((tmp_path / "out" / section["json"]).read_text())
    s = data["settings"]
    assert s["data"] == "fashion-mnist" and s["lr"] == dx.BOOK["lr"] and s["train_size"] is None
    assert data["lockstep"]["first_divergent_step"] is None
    assert data["lockstep"]["max_rel_diff"] <= TOL.rtol
    for r in data["runs"]:
        assert {"dropout", "seed", "train_acc", "test_acc"} <= set(r)
        assert len(r["train_acc_curve"]) == len(r["test_loss_curve"]) == 2
    out = Path(section["json"]).parent
    assert {Path(f).suffix for f in data["files"]} == {".png", ".svg"} and len(data["files"]) == 8
    assert "dropout_gain.png" in data["files"] and len(data["test_acc_gain"]["mean"]) == 2
    assert all((tmp_path / "out" / out / f).stat().st_size > 0 for f in data["files"])
    assert section["passed"] is all(data["findings"].values())
    assert all((tmp_path / "out" / f).is_file() for f in section["files"])
    assert section["command"].startswith("backprop-lab experiment dropout")
    assert f"--data-dir {root}" in section["command"]


def _cut(root: Path) -> None:
    path = root / "train-images-idx3-ubyte"
    path.write_bytes(path.read_bytes()[:-7])


def _bad_magic(root: Path) -> None:
    path = root / "t10k-labels-idx1-ubyte"
    path.write_bytes(b"\x01" + path.read_bytes()[1:])


@pytest.mark.parametrize("spoil, needle", [
    (None, "empty directory"), ("missing", "existing directory"),
    (_cut, "bytes for shape"), (_bad_magic, "magic number"),
])
def test_bad_data_dir_is_one_line_and_exit_2(tmp_path: Path, spoil: Any, needle: str,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    root = tmp_path / "data"
    root.mkdir()
    if callable(spoil):
        spoil(_fashion(root))
    arg = str(tmp_path / "nowhere") if spoil == "missing" else str(root)
    code = main(["experiment", "dropout", "--data-dir", arg, "--out", str(tmp_path / "o"),
                 "--quiet", "--seeds", "1", "--epochs", "1"])
    err = capsys.readouterr().err
    assert code == 2 and needle in err and len(err.strip().splitlines()) == 1


@pytest.mark.parametrize("args, needle", [
    (["--p", "1.0,0.5"], "--p"), (["--p", "0.2"], "--p"), (["--hidden", "0,8"], "--hidden"),
    (["--lr", "-1"], "--lr"), (["--seeds", "0"], "--seeds"),
])
def test_bad_options_are_one_line_and_exit_2(args: list[str], needle: str, tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["experiment", "dropout", "--out", str(tmp_path), "--quiet", *args])
    err = capsys.readouterr().err
    assert code == 2 and needle in err and len(err.strip().splitlines()) == 1


def test_the_gain_band_spans_the_paired_seeds(payload: dict[str, Any]) -> None:
    gain = dx.gain_band(payload["runs"])
    by = {(r["seed"], r["dropout"]): r for r in payload["runs"]}
    per = np.array([[by[(s, True)]["test_acc"] - by[(s, False)]["test_acc"]] for s in (0, 1, 2)])
    assert gain["seeds"] == [0, 1, 2] and np.array_equal(gain["per_seed"], per)
    assert np.array_equal(gain["min"], per.min(axis=0))
    assert np.array_equal(gain["max"], per.max(axis=0))
    assert np.allclose(gain["mean"], per.mean(axis=0), rtol=TOL.rtol, atol=TOL.atol)
    assert np.allclose(gain["sd"], per.std(axis=0), rtol=TOL.rtol, atol=TOL.atol)
    assert gain["epochs_every_seed_gains"] == int(per.min() > 0)


def test_the_gain_figure_draws_the_seed_band(tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    drawn: list[Any] = []
    monkeypatch.setattr(dp, "save_figure", lambda fig, out, stem: drawn.append(fig) or [])
    gain = {"epochs": [1, 2, 3], "seeds": [0, 1], "per_seed": [[0.0, 0.02, 0.01],
                                                               [0.02, -0.01, 0.03]],
            "mean": [0.01, 0.005, 0.02], "sd": [0.01, 0.015, 0.01], "min": [0.0, -0.01, 0.01],
            "max": [0.02, 0.02, 0.03], "epochs_every_seed_gains": 1}
    dp.gain_figure(gain, tmp_path, "gain")
    (ax,) = drawn[0].axes
    bands = [c for c in ax.collections if isinstance(c, PolyCollection)]
    assert len(bands) == 2  # min-max and ±1 sd
    y = bands[0].get_paths()[0].vertices[:, 1]
    assert (y.min(), y.max()) == (-0.01, 0.03)
    assert "1 of 3" in ax.get_title()
