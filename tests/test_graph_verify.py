"""``backprop-lab graph --verify FILE`` says what ``backprop-lab verify FILE`` says.

One verdict, one diagnoser, one upstream convention: for every two_layer file of the galleries
(planted bugs and correct derivations), the graph's first divergence, per-node diagnosis codes,
notes and pass/fail are those of ``verify_file`` on the same file (parametrised, so this stays
true however verify changes), and graph.json carries verify's own JSON. A wrong node shows
the user's numbers beside torch's; the summary opens with the project's own check, not with
a verdict on the student's; exit codes are verify's, whatever the user's code does.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from comparisons.cli.graph import summary_lines
from comparisons.cli.main import main
from comparisons.graph.colour import GRADIENT_NODES, NODE_GRADIENTS
from comparisons.graph.draw import new_graph_figure
from comparisons.graph.labels import node_label
from comparisons.graph.model import frobenius
from comparisons.graph.outputs import GraphRun, run_graphs, write_graphs
from comparisons.graph.record import make_network
from comparisons.verification.loader import load_user_file, verify_file
from comparisons.verification.report import VerifyReport

HERE = Path(__file__).parent
TWO_LAYER = sorted(p for folder in ("verify_gallery", "verify_correct")
                   for p in (HERE / folder).glob("*.py")
                   if re.search(r'^OP = "two_layer"', p.read_text(), flags=re.M))
BUGGY = [p for p in TWO_LAYER if p.parent.name == "verify_gallery"
         and not p.stem.startswith("correct_")]
CORRECT = HERE / "verify_gallery" / "correct_two_layer.py"

# The book's formula, exactly as D2L writes it: dJ/dW2 = (dJ/do) hᵀ + λW2 (λW not times dJ).
BOOK = CORRECT.read_text().replace("+ dJ * lam * W2", "+ lam * W2").replace(
    "+ dJ * lam * W1", "+ lam * W1")


@pytest.fixture(scope="module", params=TWO_LAYER, ids=lambda p: f"{p.parent.name}/{p.stem}")
def both(request: Any, tmp_path_factory: Any) -> tuple[VerifyReport, GraphRun, dict[str, Any]]:
    """verify's report on a gallery file, graph's run on it and the graph.json it writes."""
    path = request.param
    run = run_graphs(user_file=path)
    out = tmp_path_factory.mktemp(path.stem)
    write_graphs(run, out)
    return verify_file(path), run, json.loads((out / "graph.json").read_text())


def test_the_galleries_hold_two_layer_files() -> None:
    assert CORRECT in TWO_LAYER and len(BUGGY) >= 4


def test_first_divergence_codes_notes_and_verdict_are_verifys(both: Any) -> None:
    report, run, _ = both
    colouring = run.colouring
    assert colouring is not None
    assert colouring.first_divergence_gradient == report.first_divergence
    shown = {NODE_GRADIENTS[n]: (d.code, d.passed, list(d.notes))
             for n, d in colouring.diagnoses.items()}
    assert shown == {g.name: (g.diagnosis, g.passed, list(g.notes)) for g in report.gradients}
    assert run.passed is report.passed is colouring.passed
    assert colouring.summary_lines()[1].strip() == report.verdict()
    for g in report.gradients:  # each note's code on its node, e.g. "note: upstream_not_applied"
        label = node_label(run.hand.nodes[GRADIENT_NODES[g.name]], "grad")
        assert all(note.split(":")[0] in label for note in g.notes), label


def test_graph_json_carries_verifys_codes_and_first_divergence(both: Any) -> None:
    report, _, doc = both
    expected = json.loads(json.dumps(report.to_json()))
    found = doc["verify"]
    assert found["report"] == expected
    assert found["first_divergence"] == expected["first_divergence"]
    assert found["passed"] is expected["passed"] is doc["passed"]
    codes = {node["gradient"]: (node["diagnosis"], node["notes"])
             for node in found["nodes"].values()}
    assert codes == {g["name"]: (g["diagnosis"], g["notes"]) for g in expected["gradients"]}


def test_the_books_formula_gets_verifys_verdict(tmp_path: Path) -> None:
    path = tmp_path / "book_two_layer.py"
    path.write_text(BOOK)
    report, run = verify_file(path), run_graphs(user_file=path)
    assert run.colouring is not None and run.passed is report.passed
    assert run.colouring.first_divergence_gradient == report.first_divergence
    assert {NODE_GRADIENTS[n]: d.code for n, d in run.colouring.diagnoses.items()} == {
        g.name: g.diagnosis for g in report.gradients}


def _picture_grads(path: Path) -> dict[str, Any]:
    """The file's gradients on the picture's inputs (seed 0), dJ = 1, computed here."""
    model, X, Y = make_network(np.random.default_rng(0))
    spec = load_user_file(path).spec
    _, cache = spec.forward(X, Y, model.W1.data, model.W2.data, model.lam)
    return spec.backward(np.ones(()), cache)


def test_a_wrong_node_shows_yours_and_torchs_numbers() -> None:
    path = HERE / "verify_gallery" / "two_layer_no_l2.py"
    run = run_graphs(user_file=path)
    mine = _picture_grads(path)
    torch_nodes = run.twin.graph.nodes
    for node, grad in (("W2", "dW2"), ("W1", "dW1")):
        label = node_label(run.hand.nodes[node], "grad")
        theirs = torch_nodes[run.twin.correspondence[node]].grad
        assert f"yours ‖g‖={frobenius(mine[grad]):.3g}" in label, label
        assert f"torch ‖g‖={frobenius(theirs):.3g}" in label, label
        assert frobenius(mine[grad]) != pytest.approx(frobenius(theirs))  # two numbers
    _, drawn = new_graph_figure(run.hand, annotate="grad")
    assert "yours" in drawn.texts["W2"].get_text() and "torch" in drawn.texts["W2"].get_text()
    assert "yours" not in drawn.texts["o"].get_text()  # a right node: one gradient line
    line = next(s for s in summary_lines(run) if s.strip().startswith("dW2:"))
    theirs = torch_nodes[run.twin.correspondence["W2"]].grad
    assert f"yours ‖dW2‖ = {frobenius(mine['dW2']):.3g}, torch {frobenius(theirs):.3g}" in line


def test_the_opening_line_is_the_projects_check_not_a_verdict_on_yours() -> None:
    run = run_graphs(user_file=HERE / "verify_gallery" / "two_layer_no_l2.py")
    first, *rest = summary_lines(run)
    assert first.startswith("project check: backprop-lab's own hand-written graph agrees")
    assert "your" not in first and "every hand-written gradient" not in first
    assert any("first divergence: dW2" in line for line in rest)


def _exit_codes(path: Path, out: Path, capsys: Any) -> tuple[int, int, str]:
    """(graph --verify's exit, verify's exit, graph's stdout); checks that graph's summary
    holds verify's verdict line."""
    graph = main(["graph", "--out", str(out), "--verify", str(path)])
    text = capsys.readouterr().out
    verify = main(["verify", str(path)])
    verdict = [line for line in capsys.readouterr().out.splitlines()
               if line.startswith("verdict: ")]
    assert len(verdict) == 1 and f"  {verdict[0]}\n" in text
    return graph, verify, text


@pytest.mark.parametrize(("path", "code"), [(CORRECT, 0), *((p, 1) for p in BUGGY)],
                         ids=lambda v: getattr(v, "stem", str(v)))
def test_exit_code_is_verifys(tmp_path: Path, capsys: Any, path: Path, code: int) -> None:
    graph, verify, text = _exit_codes(path, tmp_path / "g", capsys)
    assert graph == verify == code
    assert text.splitlines()[0].startswith("project check:")


HOSTILE = {  # the user's code misbehaving in verify's run: verify's exit 1, graph's too
    "raises": "raise KeyError('oops')",
    "exits_0": "import sys; sys.exit(0)",
    "not_a_dict": "return dW1",
}


@pytest.mark.parametrize("name", HOSTILE)
def test_user_code_failing_is_verifys_failure(tmp_path: Path, capsys: Any, name: str) -> None:
    path = tmp_path / f"{name}.py"
    path.write_text(CORRECT.read_text().replace(
        '    return {"do"', f"    {HOSTILE[name]}\n    return {{\"do\"", 1))
    graph, verify, text = _exit_codes(path, tmp_path / "g", capsys)
    assert graph == verify == 1
    doc = json.loads((tmp_path / "g" / "graph.json").read_text())
    assert doc["verify"]["report"]["error"] == verify_file(path).error is not None
    assert doc["passed"] is False and "FAILED" in text


@pytest.mark.parametrize(("planted", "bug", "code"), [("sys.exit(1)", "", 0),
                                                     ("sys.exit(0)", "+ dJ * lam * W2", 1),
                                                     ("1 / 0", "", 0)])
def test_misbehaving_only_on_the_picture_changes_no_verdict(
        tmp_path: Path, capsys: Any, planted: str, bug: str, code: int) -> None:
    """The user's extra call (the picture's numbers) exits or raises: the exit stays verify's."""
    _, X, _ = make_network(np.random.default_rng(0))
    marker = f"if float(X[0, 0]) == {float(X[0, 0])!r}:\n        import sys; {planted}\n"
    path = tmp_path / "picture_only.py"
    text = CORRECT.read_text().replace("    dW2 = do.T", f"    {marker}    dW2 = do.T")
    path.write_text(text.replace(bug, "") if bug else text)
    graph, verify, out = _exit_codes(path, tmp_path / "g", capsys)
    assert graph == verify == code
    assert "no numbers of yours on the picture: your code raised" in out
