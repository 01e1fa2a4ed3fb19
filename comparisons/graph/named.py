"""``backprop-lab graph --verify FILE --intermediates``: a named-intermediates file's graph,
its nodes coloured by ``backprop-lab verify --intermediates``'s report on it.

The nodes are the file's named tensors that have a gradient (parameters ``param``, the loss
``loss``, the rest ``op``, labelled with their ``grad_fn``: ``hpreact: Add``), each annotated
with autograd's gradient; an edge ``n -> m`` says ``m`` is computed from ``n`` through unnamed
steps only (:mod:`comparisons.verification.named_graph`: ``m`` feeds ``n``'s gradient). A node
whose gradient the file returned is green (right, a float32 artefact included) or red (wrong,
with the diagnosis, and the file's gradient shown beside autograd's); the first divergence is
outlined; a node not returned is left uncoloured. :func:`write_named_graph` writes, under
``out``, ``graph_intermediates.png/.svg``, ``graph_intermediates.json`` (``{"graph": {"nodes",
"edges"}, "status": name -> "ok" | "wrong" | "first_divergence" | null, "verify": the report's
JSON}``) and, with ``dot=True``, ``graph_intermediates.dot``.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from comparisons.core import plotstyle
from comparisons.core.errors import UsageError
from comparisons.core.io import write_json
from comparisons.graph.dot import to_dot
from comparisons.graph.draw import new_graph_figure
from comparisons.graph.model import Graph, GraphNode, NodeKind, NodeStatus
from comparisons.graph.user import as_array
from comparisons.verification.guard import StructureError, UserCodeError, contained, error_text
from comparisons.verification.intermediates import load, verify_intermediates
from comparisons.verification.intermediates_calls import Truth, compute_truth, student_gradients
from comparisons.verification.report import VerifyReport

STEM = "graph_intermediates"


def _op(truth: Truth, name: str) -> str:
    op = truth.ops.get(name, "")
    return name if op == "leaf" else op.removesuffix("Backward0").removesuffix("Backward1")


def _kind(truth: Truth, name: str) -> NodeKind:
    if name == truth.loss:
        return "loss"
    return "param" if truth.ops.get(name) == "leaf" else "op"


def _status(report: VerifyReport, name: str) -> tuple[NodeStatus | None, str | None]:
    rows = {g.name: g for g in report.gradients}
    row = rows.get("d" + name)
    if row is None:
        return None, None
    if row.passed:
        return "ok", None
    first = report.first_divergence == "d" + name
    return ("first_divergence" if first else "wrong"), row.diagnosis


def named_graph(truth: Truth, report: VerifyReport, yours: Mapping[str, Any]) -> Graph:
    """The graph of ``truth``'s named tensors coloured by ``report`` (module docstring);
    ``yours``: the file's returned gradients (``"d" + name``), shown on wrong nodes."""
    inputs: dict[str, list[str]] = {n: [] for n in truth.order}
    for name, feeders in truth.deps.items():
        for consumer in feeders:
            if name in inputs and consumer in inputs:
                inputs[consumer].append(name)
    nodes = []
    for name in reversed(truth.order):  # inputs before consumers
        value, grad = truth.tensors[name]
        status, code = _status(report, name)
        extra: dict[str, Any] = {}
        if status in ("wrong", "first_divergence"):
            extra = {"diagnosis": code, "yours": as_array(yours.get("d" + name)),
                     "reference": grad}
        nodes.append(GraphNode(name, _op(truth, name), tuple(inputs[name]), value=value,
                               grad=grad, kind=_kind(truth, name), status=status, extra=extra))
    return Graph.from_nodes(nodes)


def _title(path: str | Path, report: VerifyReport) -> str:
    verdict = "PASSED" if report.passed else "FAILED"
    first = f", first divergence {report.first_divergence}" if report.first_divergence else ""
    return (f"named intermediates of {Path(path).name}: autograd's gradients dL/d·\n"
            f"colours: backprop-lab verify --intermediates: {verdict}{first}")


def write_named_graph(path: str | Path, out: str | Path, *,
                      dot: bool = False) -> tuple[VerifyReport, list[Path]]:
    """Verify ``path`` (:func:`~comparisons.verification.intermediates.verify_intermediates`)
    and draw its graph under ``out``; ``(report, paths written)``, no paths when the file's
    code failed (``report.error``). UsageError as ``verify --intermediates``."""
    try:
        forward, backward = load(path)
        report = verify_intermediates(forward, backward)
        if report.error is not None:
            return report, []
        truth = compute_truth(forward)
        yours = student_gradients(backward, truth.inputs)
        graph = contained(named_graph)(truth, report, yours)  # reads the returned objects
    except UsageError as exc:
        raise UsageError(str(exc) if str(exc).startswith(str(path)) else f"{path}: {exc}") \
            from None
    except (UserCodeError, StructureError) as exc:  # the file's code failing on a later run
        return VerifyReport("intermediates", error=error_text(exc)), []
    fig, _ = new_graph_figure(graph, annotate="grad", title=_title(path, report))
    paths = plotstyle.save(fig, out, STEM)
    status = {n.name: n.status for n in graph.nodes.values()}
    paths.append(write_json(Path(out) / f"{STEM}.json", {"graph": graph.to_json(),
                                                          "status": status,
                                                          "verify": report.to_json()}))
    if dot:
        dot_path = Path(out) / f"{STEM}.dot"
        dot_path.write_text(to_dot(graph, annotate="grad", name="intermediates"))
        paths.append(dot_path)
    return report, paths
