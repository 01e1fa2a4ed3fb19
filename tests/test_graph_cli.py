"""``backprop-lab graph``: files written, JSON keys, exit codes; --verify; the demo section."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from comparisons.cli import graph as graph_cli
from comparisons.cli.main import SUBCOMMANDS, main
from comparisons.graph.outputs import run_graphs
from comparisons.report.demo import sections
from comparisons.report.graph_section import run_section

NODE_KEYS = {"name", "op", "shape", "value_norm", "grad_norm"}
STEMS = ("graph_forward", "graph_backward", "graph_torch")
PNG = b"\x89PNG\r\n\x1a\n"

# A student's two_layer file, as `backprop-lab verify` takes it; BUG is replaced per test.
USER_FILE = '''
import numpy as np

def forward(X, Y, W1, W2, lam):
    z = X @ W1.T
    h = np.maximum(z, 0.0)
    o = h @ W2.T
    J = np.mean((o - Y) ** 2) + lam / 2 * (np.sum(W1 ** 2) + np.sum(W2 ** 2))
    return np.asarray(J), (X, Y, W1, W2, lam, z, h, o)

def backward(dJ, cache):
    X, Y, W1, W2, lam, z, h, o = cache
    do = dJ * 2 * (o - Y) / o.size
    dW2 = do.T @ h + dJ * lam * W2
    dh = do @ W2
    dz = dh * (z > 0)
    dW1 = dz.T @ X + dJ * lam * W1
    BUG
    return {"do": do, "dW2": dW2, "dh": dh, "dz": dz, "dW1": dW1}
'''


def _user_file(tmp_path: Path, bug: str = "pass") -> Path:
    path = tmp_path / "my_two_layer.py"
    path.write_text(USER_FILE.replace("BUG", bug))
    return path


def test_registered_as_subcommand_and_demo_section() -> None:
    assert SUBCOMMANDS["graph"] is graph_cli
    assert ("Computational graphs", run_section) in sections()


def test_run_writes_pictures_json_and_dot_with_the_options(tmp_path: Path, capsys) -> None:
    out = tmp_path / "g"
    args = ["--dot", "--seed", "2", "--bias", "--activation", "tanh", "--lambda", "0.5"]
    assert main(["graph", "--out", str(out), *args]) == 0
    for stem in STEMS:
        assert (out / f"{stem}.png").read_bytes()[:8] == PNG
        assert "<svg" in (out / f"{stem}.svg").read_text()
        assert (out / f"{stem}.dot").read_text().startswith("digraph ")
    doc = json.loads((out / "graph.json").read_text())
    assert {"nodes", "edges", "torch"} <= set(doc)
    assert all(set(n) == NODE_KEYS for n in doc["nodes"] + doc["torch"]["nodes"])
    assert set(doc["torch"]) >= {"nodes", "edges"} and doc["passed"] is True
    torch_names = {n["name"] for n in doc["torch"]["nodes"]}
    assert set(doc["correspondence"].values()) <= torch_names
    assert doc["verify"] is None
    assert ["b1", "z"] in doc["edges"] and "b1" in doc["correspondence"]
    assert {n["name"]: n["op"] for n in doc["nodes"]}["h"] == "tanh"
    assert doc["config"] | {"dims": None} == {"activation": "tanh", "lambda": 0.5, "bias": True,
                                             "seed": 2, "dims": None, "verify": None}
    assert capsys.readouterr().out.startswith("project check: backprop-lab's own hand-written "
                                              "graph agrees with autograd")


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--lambda", "-0.1"], "--lambda"),
        (["--lambda", "nan"], "--lambda"),
        (["--activation", "gelu"], "--activation"),
        (["--seed", "-3"], "--seed"),
        (["--verify", "no_such_file.py"], "--verify"),
        (["--verify", "USER", "--bias"], "--verify"),
        (["--verify", "USER", "--activation", "sigmoid"], "--verify"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(tmp_path: Path, capsys, args: list[str],
                                          needle: str) -> None:
    args = [str(_user_file(tmp_path)) if a == "USER" else a for a in args]
    assert main(["graph", "--out", str(tmp_path / "g"), *args]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and needle in err
    assert not (tmp_path / "g" / "graph.json").exists()


def test_user_file_problems_are_one_line_exit_2(tmp_path: Path, capsys) -> None:
    """Usage problems of the file (verify's exit 2); user code failing is verify's exit 1
    (tests/test_graph_verify.py)."""
    broken = {"syntax.py": "def forward(:\n", "nofuncs.py": "x = 1\n"}
    for name, text in broken.items():
        path = tmp_path / name
        path.write_text(text)
        assert main(["graph", "--out", str(tmp_path / name[:-3]), "--verify", str(path)]) == 2
        err = capsys.readouterr().err.strip()
        assert len(err.splitlines()) == 1 and "--verify" in err, name


def test_verify_colours_the_wrong_node_and_exits_1(tmp_path: Path, capsys) -> None:
    user = _user_file(tmp_path, bug="dW2 = dW2.T")
    out = tmp_path / "g"
    assert main(["graph", "--out", str(out), "--verify", str(user)]) == 1
    doc = json.loads((out / "graph.json").read_text())
    found = doc["verify"]
    assert found["first_divergence"] == "dW2" and found["first_divergence_node"] == "W2"
    assert found["passed"] is False and found["report"]["first_divergence"] == "dW2"
    assert found["nodes"]["W2"]["diagnosis"] == "transposed"
    assert {n for n, v in found["nodes"].items() if v["status"] == "ok"} == {"o", "h", "z", "W1"}
    assert "first divergence: dW2 (node W2)" in capsys.readouterr().out
    assert not list(out.glob("*.dot"))  # DOT only with --dot


def test_a_correct_user_file_agrees_everywhere(tmp_path: Path) -> None:
    run = run_graphs(user_file=_user_file(tmp_path))
    assert run.colouring is not None and run.colouring.first_divergence is None
    assert run.passed and all(node.status in (None, "ok") for node in run.hand.nodes.values())


def test_demo_section_reports_agreement_and_its_files(tmp_path: Path) -> None:
    section = run_section(tmp_path, quiet=True)
    assert section["passed"] is True
    assert section["nodes"] == 10 and section["gradients_disagreeing"] == 0
    assert section["max_rel_err"] is not None
    assert section["command"].startswith("backprop-lab graph")
    for rel in section["files"]:
        assert (tmp_path / rel).is_file()
    assert {Path(f).name for f in section["files"]} >= {f"{s}.png" for s in STEMS}
