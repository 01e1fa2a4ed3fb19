"""``backprop-lab graph --verify FILE --intermediates``: a backprop-ninja file's named tensors
drawn and coloured by ``verify --intermediates``."""

from __future__ import annotations

import json
from pathlib import Path

from comparisons.cli.main import main
from comparisons.graph.named import named_graph
from comparisons.verification.intermediates import load, verify_intermediates
from comparisons.verification.intermediates_calls import compute_truth, student_gradients

EXAMPLES = Path(__file__).resolve().parent.parent / "comparisons/verification/examples"
RIGHT, BUG = EXAMPLES / "ninja_mlp.py", EXAMPLES / "ninja_mlp_bug.py"


def test_the_planted_bug_is_drawn_as_the_first_divergence_the_rest_green() -> None:
    forward, backward = load(BUG)
    truth = compute_truth(forward)
    graph = named_graph(truth, verify_intermediates(forward, backward),
                        student_gradients(backward, truth.inputs))
    status = {n.name: n.status for n in graph.nodes.values()}
    assert status.pop("bnmeani") == "first_divergence"
    assert status.pop("loss") is None  # dloss not returned: uncoloured
    assert set(status.values()) == {"ok"} and len(status) == 26 - 1
    node = graph.nodes["bnmeani"]
    assert node.extra["diagnosis"] == "wrong_shape" and node.extra["yours"].shape == (64,)
    # counts and bndiff are used twice: one edge to each consumer
    assert {("counts", "probs"), ("counts", "counts_sum"), ("bndiff", "bnraw"),
            ("bndiff", "bndiff2")} <= set(graph.edges)
    assert graph.nodes["W1"].kind == "param" and graph.nodes["loss"].kind == "loss"


def test_cli_writes_the_drawing_and_exits_as_verify(tmp_path, capsys) -> None:
    out = tmp_path / "g"
    assert main(["graph", "--verify", str(BUG), "--intermediates", "--out", str(out)]) == 1
    data = json.loads((out / "graph_intermediates.json").read_text())
    assert data["verify"]["first_divergence"] == "dbnmeani"
    assert data["status"]["bnmeani"] == "first_divergence" and data["status"]["C"] == "ok"
    assert (out / "graph_intermediates.png").stat().st_size > 0
    assert main(["graph", "--verify", str(RIGHT), "--intermediates", "--out", str(out)]) == 0
    assert "verdict: PASSED" in capsys.readouterr().out


def test_bad_input_is_one_line_and_exit_2(tmp_path, capsys) -> None:
    assert main(["graph", "--intermediates", "--out", str(tmp_path)]) == 2
    assert main(["graph", "--verify", str(RIGHT), "--intermediates", "--lambda", "0.5",
                 "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 2 and "--verify" in err[0] and "--lambda" in err[1]
