"""The benchmarks cannot rot: one ``--tiny`` run end to end (structure, finite positive ratios,
targets consistent with the numbers), plus the pieces that must be right whatever the timings:
both sides of a step do the same maths, the batched loss equals torch's, the targets' logic.
No wall-time assertions anywhere.
"""

from __future__ import annotations

import copy
import json
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from benchmarks import steps, table
from benchmarks.fd_network import make_network
from comparisons.core.compare import compare
from comparisons.core.finite_diff import numerical_gradient

ROOT = Path(__file__).resolve().parent.parent


def _positive(x: float) -> bool:
    return isinstance(x, int | float) and math.isfinite(x) and x > 0


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory) -> tuple[dict, str]:
    path = tmp_path_factory.mktemp("bench") / "bench.json"
    proc = subprocess.run([sys.executable, "-m", "benchmarks", "--tiny", "--json", str(path)],
                          capture_output=True, text=True, cwd=ROOT, timeout=900)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return json.loads(path.read_text()), proc.stdout


def test_tiny_run_has_every_measurement(tiny_run) -> None:
    data, _ = tiny_run
    assert data["tiny"] is True
    assert {"nproc", "cpu_model", "torch_threads", "load_average_end"} <= set(data["machine"])
    assert _positive(data["gemm"]["float32"]) and _positive(data["gemm"]["float64"])
    pairs = {(r["size"], r["dtype"]) for r in data["steps"]}
    assert pairs == {(s.name, d) for s in steps.TINY_SIZES for d in ("float32", "float64")}
    for row in data["steps"]:
        for key in ("handmade_seconds", "torch_seconds", "ratio", "flops",
                    "handmade_fraction_of_peak", "torch_fraction_of_peak", "gemm_gflops"):
            assert _positive(row[key]), (row["size"], key, row[key])


def test_tiny_run_gradient_checks_agree_with_autograd(tiny_run) -> None:
    g = tiny_run[0]["gradcheck"]
    assert g["parameters"] == sum(int(np.prod(s)) for s in make_network((13, 8, 1), 8)[0].shapes)
    assert g["fd"]["passed"] and g["gradcheck_slow"]["passed"] and g["gradcheck_fast"]["passed"]
    for key in ("speedup_vs_slow", "speedup_vs_fast", "stack_speedup_vs_slow",
                "dense_speedup_vs_slow"):
        assert _positive(g[key])
    assert g["fd_stack"]["passed"] and g["fd_dense"]["passed"]
    assert g["gradcheck_slow"]["extrapolated"] is True
    assert g["gradcheck_slow"]["error_columns"] == max(g["gradcheck_slow"]["columns_timed"])
    assert math.isfinite(g["fd"]["max_abs_err_same_columns"])
    assert g["fd"]["max_abs_err_same_columns"] <= g["fd"]["max_abs_err"]
    for part in ("fd", "fd_stack", "fd_dense", "gradcheck_slow"):
        assert _positive(g[part]["seconds"]) and math.isfinite(g[part]["max_abs_err"])
    for part in ("fd", "fd_stack", "fd_dense"):
        assert 0 <= g[part]["harness_fraction"] < 1
        assert "gradient" not in g[part]


def test_tiny_run_times_the_processes_and_prints_the_targets(tiny_run) -> None:
    data, stdout = tiny_run
    p = data["processes"]
    assert _positive(p["check"]["seconds"]) and p["check"]["exit_code"] == 0
    assert _positive(p["verify"]["seconds"]) if "seconds" in p["verify"] else p["verify"]["skipped"]
    assert [t["name"] for t in data["targets"]] == [t["name"] for t in table.targets(data)]
    for t in data["targets"]:
        line = next(line for line in stdout.splitlines() if t["name"] in line)
        assert line.rstrip().endswith("NOT met" if not t["met"] else "met")


def test_targets_follow_the_measured_values(tiny_run) -> None:
    data = copy.deepcopy(tiny_run[0])
    for row in data["steps"]:
        row["ratio"], row["handmade_fraction_of_peak"] = 0.05, 0.6
    data["gradcheck"]["speedup_vs_slow"] = 6.0
    data["gradcheck"]["fd"]["max_abs_err_same_columns"] = data["gradcheck"]["gradcheck_slow"][
        "max_abs_err"]
    data["processes"]["check"]["seconds"] = table.CHECK_SECONDS - 1
    assert all(t["met"] for t in table.targets(data))
    for row in data["steps"]:
        row["ratio"], row["handmade_fraction_of_peak"] = 1.5, 0.2
    data["gradcheck"]["speedup_vs_slow"] = 4.0
    data["gradcheck"]["fd"]["max_abs_err_same_columns"] *= 10 * table.SAME_ERROR_FACTOR
    data["processes"]["check"]["seconds"] = table.CHECK_SECONDS
    assert not any(t["met"] for t in table.targets(data))


@pytest.mark.parametrize("size", steps.TINY_SIZES, ids=lambda s: s.name)
def test_both_sides_of_a_step_do_the_same_update(size: steps.StepSize) -> None:
    hand, parts = steps.handmade_step(size, np.dtype(np.float64), seed=3)
    other, torch_model = steps.torch_step(size, parts)
    before = parts[0].state_dict()
    for _ in range(3):
        hand()
        other()
    torch_params = {n: p.detach().numpy() for n, p in torch_model.named_parameters()}
    assert sorted(torch_params) == sorted(n for n, _ in parts[0].named_parameters())
    for name, p in parts[0].named_parameters():
        check = compare(p.data, torch_params[name], name=name, tensor=name, against="lockstep")
        assert check.passed, check.message
        assert not np.array_equal(p.data, before[name]), f"{name} was not updated"


@pytest.mark.parametrize("size", steps.TINY_SIZES, ids=lambda s: s.name)
def test_handmade_step_skips_the_first_layers_dx_like_torch(size: steps.StepSize) -> None:
    # the FLOP count assumes neither side computes dx of the data
    hand, parts = steps.handmade_step(size, np.dtype(np.float64), seed=3)
    first = parts[0][0]
    calls: list[bool] = []
    backward = first.backward

    def recording(dout, input_grad=True):
        calls.append(input_grad)
        return backward(dout, input_grad=input_grad)

    first.backward = recording
    hand()
    assert calls == [False]
    layers = list(zip(size.dims[:-1], size.dims[1:]))
    assert size.flops() == sum(6 * size.batch * i * o for i, o in layers) \
        - 2 * size.batch * size.dims[0] * size.dims[1]


def test_batched_loss_equals_torch_loss_at_every_vector(rng) -> None:
    net, theta = make_network((13, 8, 1), 8, seed=1)
    stack = theta + 0.1 * rng.standard_normal((5, theta.size))
    batched = net.loss_batched(stack)
    single = np.array([float(net.loss_torch(torch.from_numpy(v))) for v in stack])
    check = compare(batched, single, name="loss_batched", tensor="loss", against="forward")
    assert check.passed, check.message


@pytest.mark.parametrize("hits", [[0], [0, 1, 14], list(range(0, 832, 4))],
                         ids=["one entry", "same row twice", "dense change"])
def test_update_form_first_layer_is_exact_for_any_stack(rng, hits: list[int]) -> None:
    net, theta = make_network((13, 64, 1), 8, seed=2)  # W1 is (64, 13): 832 entries
    stack = np.tile(theta, (4, 1))
    stack[:, hits] += rng.standard_normal((4, len(hits)))
    w1 = net.split(stack)[0]
    update = net.first_layer(w1, net.expansion_point(theta))
    dense = net.first_layer(w1)
    check = compare(update, dense, name="first_layer", tensor="Z", against="forward")
    assert check.passed, check.message


@pytest.mark.parametrize("dims", [(13, 8, 1), (13, 8, 3)], ids=["one output", "three outputs"])
def test_perturbed_loss_equals_the_batched_loss_on_explicit_stacks(rng, dims) -> None:
    net, theta = make_network(dims, 8, seed=4)
    ends = np.cumsum([int(np.prod(s)) for s in net.shapes])  # block ends: W1, b1, W2, b2
    edges = np.concatenate([[0], ends[:-1], ends - 1])  # first and last index of each block
    idx = np.concatenate([edges, rng.integers(0, net.size, 40), edges]).astype(np.int64)
    offsets = rng.choice([1e-6, -1e-6, 0.5, -3.0], idx.size) * (1 + rng.random(idx.size))
    stack = np.tile(theta, (idx.size, 1))
    stack[np.arange(idx.size), idx] += offsets
    perturbed = net.loss_perturbed(theta, idx, offsets, net.expansion_point(theta))
    assert perturbed.shape == (idx.size,)
    np.testing.assert_allclose(perturbed, net.loss_batched(stack), rtol=1e-12, atol=0)
    assert np.all(perturbed != net.loss_batched(theta[None])[0])  # every offset was seen


def test_perturbed_loss_refuses_an_expansion_point_of_another_theta() -> None:
    net, theta = make_network((13, 8, 1), 8, seed=4)
    around = net.expansion_point(theta + 1e-3)
    with pytest.raises(ValueError, match="expansion_point"):
        net.loss_perturbed(theta, np.arange(3), np.full(3, 1e-6), around)


def test_indexed_fd_gradient_matches_autograd() -> None:
    net, theta = make_network((13, 8, 3), 8, seed=5)
    t = torch.from_numpy(theta.copy()).requires_grad_(True)
    grad = torch.autograd.grad(net.loss_torch(t), t)[0].numpy()
    around = net.expansion_point(theta)
    fd = numerical_gradient(lambda v: float(net.loss_batched(v[None])[0]), theta, batch_size=16,
                            f_indexed=lambda x, i, o: net.loss_perturbed(x, i, o, around))
    check = compare(fd, grad, name="loss_perturbed", tensor="theta",
                    against="finite_differences")
    assert check.passed, check.message
