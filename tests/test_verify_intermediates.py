"""``backprop-lab verify FILE --intermediates``: backprop ninja's named intermediates checked
against autograd, strict shapes, the first divergence along autograd's graph, float32 triage,
one-line usage errors."""

from __future__ import annotations

import contextlib
import json
import textwrap
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

from comparisons.cli.main import main
from comparisons.core.errors import UsageError
from comparisons.verification.aggregate import ARTEFACT, REAL_BUG
from comparisons.verification.intermediates import verify_intermediates, verify_intermediates_file
from comparisons.verification.intermediates_calls import PromoteToFloat64, compute_truth
from comparisons.verification.loader import import_file

EXAMPLES = Path(__file__).resolve().parent.parent / "comparisons/verification/examples"
RIGHT, BUG = EXAMPLES / "ninja_mlp.py", EXAMPLES / "ninja_mlp_bug.py"
LECTURE = ("logprobs probs counts_sum_inv counts_sum counts norm_logits logit_maxes logits h W2 "
           "b2 hpreact bngain bnbias bnraw bnvar_inv bnvar bndiff2 bndiff bnmeani hprebn embcat "
           "W1 b1 emb C").split()
GRADIENT_KEYS = {"name", "passed", "diagnosis", "factor", "max_abs_err", "max_rel_err",
                 "message"}


def _ninja() -> Any:
    return import_file(RIGHT)[1]


def test_the_correct_example_passes_with_exit_0_and_one_row_per_intermediate(tmp_path) -> None:
    out = tmp_path / "r.json"
    assert main(["verify", str(RIGHT), "--intermediates", "--json", str(out)]) == 0
    data = json.loads(out.read_text())
    assert (data["passed"], data["error"], data["first_divergence"]) == (True, None, None)
    names = [g["name"] for g in data["gradients"]]
    assert sorted(names) == sorted("d" + n for n in LECTURE)
    assert all(GRADIENT_KEYS <= set(g) and g["diagnosis"] == "ok" for g in data["gradients"])
    assert names[:3] == ["dlogprobs", "dprobs", "dcounts_sum_inv"]  # from the loss down


def test_the_planted_bug_is_the_first_divergence_with_its_code(tmp_path, capsys) -> None:
    out = tmp_path / "r.json"
    assert main(["verify", str(BUG), "--intermediates", "--json", str(out)]) == 1
    assert "first divergence" in capsys.readouterr().out
    data = json.loads(out.read_text())
    assert data["first_divergence"] == "dbnmeani"
    wrong = {g["name"]: g for g in data["gradients"] if not g["passed"]}
    assert list(wrong) == ["dbnmeani"]
    assert wrong["dbnmeani"]["diagnosis"] == "wrong_shape"
    assert wrong["dbnmeani"]["precision"] == REAL_BUG  # float32 file, wrong in float64 too


def test_the_correct_example_passes_in_float64_at_float64_tolerance() -> None:
    ninja = _ninja()

    def forward64() -> dict[str, torch.Tensor]:
        with PromoteToFloat64():
            return ninja.forward()

    report = verify_intermediates(forward64, ninja.backward)
    assert report.dtype == "float64" and report.passed, str(report)
    assert not any(g.precision for g in report.gradients)


def test_correct_gradients_as_numpy_arrays_or_a_subset_pass() -> None:
    ninja = _ninja()

    def as_numpy(t: dict[str, torch.Tensor]) -> dict[str, Any]:
        return {k: v.numpy() for k, v in ninja.backward(t).items()}

    def some(t: dict[str, torch.Tensor]) -> dict[str, Any]:
        return {k: v for k, v in ninja.backward(t).items() if k in ("dW1", "dlogits", "dC")}

    assert verify_intermediates(ninja.forward, as_numpy).passed
    report = verify_intermediates(ninja.forward, some)
    assert report.passed and [g.name for g in report.gradients] == ["dlogits", "dW1", "dC"]


def _compact(t: dict[str, torch.Tensor]) -> dict[str, Any]:
    """The lecture's exercise-2 forms: softmax minus one-hot, batch norm's one-line dx."""
    n = t["Xb"].shape[0]
    dlogits = torch.softmax(t["logits"], 1)
    dlogits[range(n), t["Yb"]] -= 1
    dlogits /= n
    dh = dlogits @ t["W2"].T
    dhpreact = (1 - t["h"] ** 2) * dh
    raw, gain, inv = t["bnraw"], t["bngain"], t["bnvar_inv"]
    dhprebn = gain * inv / n * (n * dhpreact - dhpreact.sum(0)
                                - n / (n - 1) * raw * (dhpreact * raw).sum(0))
    return {"dlogits": dlogits, "dh": dh, "dhpreact": dhpreact, "dhprebn": dhprebn,
            "dW1": (t["embcat"].T @ dhprebn).numpy(), "db2": dlogits.sum(0).tolist()}


@pytest.mark.parametrize("float64", [False, True])
def test_the_compact_forms_pass_in_float32_and_float64(float64) -> None:
    ninja = _ninja()

    def forward() -> dict[str, torch.Tensor]:
        with PromoteToFloat64() if float64 else contextlib.nullcontext():
            return ninja.forward()

    report = verify_intermediates(forward, _compact)
    assert report.passed and len(report.gradients) == 6, str(report)
    assert report.dtype == ("float64" if float64 else "float32")


def test_the_graph_sums_both_paths_of_a_tensor_used_twice() -> None:
    truth = compute_truth(_ninja().forward)
    assert sorted(truth.deps["counts"]) == ["counts_sum", "probs"]
    assert sorted(truth.deps["bndiff"]) == ["bndiff2", "bnraw"]
    assert sorted(truth.deps["hprebn"]) == ["bndiff", "bnmeani"]
    position = {n: i for i, n in enumerate(truth.order)}
    assert truth.order[0] == "loss"
    assert all(position[m] < position[n] for n in truth.order for m in truth.deps[n])


def _twice() -> dict[str, torch.Tensor]:
    """a is used by b = exp(a) and c = 2a: dL/da = exp(a) + 2."""
    w = torch.linspace(-1.0, 1.0, 5, dtype=torch.float64, requires_grad=True)
    a = 0.5 * w
    b = a.exp()
    c = 2 * a
    return {"w": w, "a": a, "b": b, "c": c, "loss": (b + c).sum()}


def _twice_backward(both: bool = True, db_factor: float = 1.0) -> Any:
    def backward(t: dict[str, torch.Tensor]) -> dict[str, Any]:
        db = db_factor * torch.ones_like(t["b"])
        da = db * t["b"] + (2.0 * torch.ones_like(t["c"]) if both else 0.0)
        return {"db": db, "dc": torch.ones_like(t["c"]), "da": da, "dw": 0.5 * da}
    return backward


def test_an_intermediate_used_twice_needs_both_paths_and_one_missing_diverges_there() -> None:
    assert verify_intermediates(_twice, _twice_backward()).passed
    report = verify_intermediates(_twice, _twice_backward(both=False))
    assert report.first_divergence == "da"
    assert [g.name for g in report.gradients if not g.passed] == ["da", "dw"]
    upstream_wrong = verify_intermediates(_twice, _twice_backward(db_factor=2.0))
    assert upstream_wrong.first_divergence == "db"  # nearer the loss than da and dw


def _row_vector() -> dict[str, torch.Tensor]:
    w = torch.linspace(0.5, 2.0, 4, dtype=torch.float64).reshape(1, 4).requires_grad_()
    m = 3.0 * w
    return {"w": w, "m": m, "loss": (m**2).sum()}


@pytest.mark.parametrize("shape, code", [((4,), "wrong_shape"), ((1, 1, 4), "wrong_shape"),
                                         ((4, 1), "transposed")])
def test_right_values_in_a_broadcastable_shape_fail_never_broadcast(shape, code) -> None:
    def backward(t: dict[str, torch.Tensor]) -> dict[str, Any]:
        dm = 2 * t["m"]
        return {"dm": dm.reshape(shape), "dw": 3 * dm}

    report = verify_intermediates(_row_vector, backward)
    assert report.gradient("dm").diagnosis == code and not report.passed
    assert report.gradient("dw").passed and report.first_divergence == "dm"


FLOAT32_CANCELLATION = '''
import torch

def forward():
    g = torch.Generator().manual_seed(0)
    w = torch.randn(16, generator=g)
    w.requires_grad = True
    x = 100.0 + torch.rand(16, generator=g)
    c = 0.1 * torch.rand(16, generator=g)
    u = w * x
    v = w * (x + c)
    return {"w": w, "x": x, "c": c, "u": u, "v": v, "loss": (v - u).sum()}

def backward(t):
    # exact: d/dw (w (x + c) - w x) = c; autograd's float32 truth is (x + c) - x, where x + c
    # is rounded to float32's spacing near 100 (7.6e-6): up to 3.8e-6, over 1e-5 of max c
    return {"dw": t["c"].clone(), "du": -torch.ones_like(t["u"]),
            "dv": torch.ones_like(t["v"])}
'''


@pytest.mark.parametrize("pinned", [False, True])
def test_a_float32_rounding_mismatch_is_labelled_an_artefact_and_passes(tmp_path,
                                                                        pinned) -> None:
    path = tmp_path / "cancel.py"
    dw = 't["c"].clone()'
    # a backward that pins float32 returns float32 in the float64 rerun too: right at float32
    path.write_text(FLOAT32_CANCELLATION.replace(dw, dw + ".float()") if pinned
                    else FLOAT32_CANCELLATION)
    report = verify_intermediates_file(path)
    assert report.dtype == "float32" and report.passed, str(report)
    assert report.gradient("dw").precision == ARTEFACT  # set only on a float32 failure
    assert report.gradient("du").precision is None


def test_a_file_whose_leaves_stay_float32_is_not_rerun_and_says_so(tmp_path) -> None:
    path = tmp_path / "global_leaf.py"
    made_at_import = "W = torch.randn(16, generator=torch.Generator().manual_seed(0))\n" \
                     "W.requires_grad = True\n"
    text = FLOAT32_CANCELLATION.replace("def forward():", made_at_import + "def forward():")
    path.write_text(text.replace("    w = torch.randn(16, generator=g)\n"
                                 "    w.requires_grad = True\n", "    w = W\n"))
    report = verify_intermediates_file(path)
    precision = report.gradient("dw").precision or ""
    assert not report.passed and "w stay float32" in precision, str(report)


def test_the_float64_rerun_is_at_the_float32_run_s_point() -> None:
    ninja = _ninja()
    t32, t64 = compute_truth(ninja.forward), compute_truth(ninja.forward, promoted=True)
    assert (t32.dtype, t64.dtype) == ("float32", "float64")
    for name in ("C", "W1", "logprobs", "loss"):
        v32, v64 = t32.tensors[name][0], t64.tensors[name][0]
        assert np.max(np.abs(v32 - v64)) <= 1e-5 * np.max(np.abs(v64))


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "ninja_user.py"
    path.write_text("import torch\n" + textwrap.dedent(text))
    return path


BACKWARD = "def backward(t):\n    return {'dw': 2 * t['w']}\n"


@pytest.mark.parametrize("text, words", [
    ("def forward():\n    w = torch.ones(3, requires_grad=True)\n"
     "    return {'w': w, 'loss': w * 2}\n" + BACKWARD, "shape (3,)"),
    ("def forward():\n    w = torch.ones(3, requires_grad=True)\n"
     "    return {'w': w, 's': (w * w).sum().detach()}\n" + BACKWARD, "does not require grad"),
    ("def forward():\n    return [torch.ones(3)]\n" + BACKWARD, "got list"),
    ("def forward():\n    return {}\n" + BACKWARD, "empty"),
    ("def forward(x):\n    return {}\n" + BACKWARD, "forward(x)"),
    ("def forward():\n    return {}\n", "no backward function"),
])
def test_bad_files_are_one_line_and_exit_2(tmp_path, capsys, text, words) -> None:
    assert main(["verify", str(_write(tmp_path, text)), "--intermediates"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and words in err, err
    with pytest.raises(UsageError):
        verify_intermediates_file(_write(tmp_path, text))


def test_options_that_do_not_apply_are_one_line_and_exit_2(capsys) -> None:
    assert main(["verify", str(RIGHT), "--intermediates", "--against", "linear"]) == 2
    assert main(["verify", str(RIGHT), "--intermediates", "--dtype", "float32"]) == 2
    assert main(["verify", str(RIGHT), "--intermediates", "--backward", "bwd"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 3 and "--against" in err[0] and "--dtype" in err[1]
    assert err[2].startswith("backprop-lab: error: --backward:")


SQUARE = ("def forward():\n    w = torch.ones(3, dtype=torch.float64, requires_grad=True)\n"
          "    return {'w': w, 'loss': (w * w).sum()}\n")


@pytest.mark.parametrize("body, words", [
    ("return {'dv': 2 * t['w']}", "'dv'"),
    ("return 2 * t['w']", "returned Tensor"),
    ("return {}", "empty dict"),
    ("import sys\n    sys.exit(0)", "called sys.exit(0)"),
    ("import sys\n    class Exits:\n        def __array__(self, *a, **k):\n"
     "            sys.exit(3)\n    return {'dw': Exits()}", "called sys.exit(3)"),
])
def test_a_backward_of_the_wrong_structure_or_that_exits_fails_with_exit_1(
        tmp_path, capsys, body, words) -> None:
    path = _write(tmp_path, SQUARE + f"def backward(t):\n    {body}\n")
    assert main(["verify", str(path), "--intermediates"]) == 1
    assert words in capsys.readouterr().out
    assert not verify_intermediates_file(path).passed
