"""One plot look, in :mod:`comparisons.core.plotstyle` only: no other module sets rc settings,
saves a figure itself or writes its own colours or font sizes (read from the sources with
``ast``); the graphs, the worksheet and the class summary take plotstyle's palette, sizes and
saving, and the side-by-side graph's legend lies inside its figure."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.colors import to_rgba
from matplotlib.figure import Figure
from matplotlib.font_manager import font_scalings
from matplotlib.image import imread
from matplotlib.text import Text
from test_graph_model import book_graph

from comparisons.core import plotstyle
from comparisons.grading import summary
from comparisons.grading.rubric import parse_rubric
from comparisons.graph import worksheet
from comparisons.graph.draw import draw_side_by_side, new_graph_figure
from comparisons.graph.model import mark_agreement

ROOT = Path(__file__).resolve().parent.parent
PLOTSTYLE = ROOT / "comparisons" / "core" / "plotstyle.py"
PLOTPAGES = ROOT / "comparisons" / "core" / "plotpages.py"  # plotstyle's PDF pages
SOURCES = sorted(p for p in (ROOT / "comparisons").rglob("*.py") if p not in (PLOTSTYLE, PLOTPAGES))
NOTEBOOKS = sorted((ROOT / "notebooks").rglob("*.py"))
RC_NAMES = {"rcParams", "rcParamsDefault", "rc_context", "rcdefaults", "rc_file",
            "rc_file_defaults"}
HEX = re.compile(r"#[0-9a-fA-F]{3}(?:[0-9a-fA-F]{3})?(?:[0-9a-fA-F]{2})?")


def _dotted(node: ast.AST) -> str:
    """``a.b.c`` for a chain of attributes on a name, else ``""``."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    return ".".join([node.id, *reversed(parts)]) if isinstance(node, ast.Name) else ""


def look_settings(path: Path) -> list[str]:
    """Where ``path`` sets the look itself: rc settings, a style, a backend, a savefig."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        what = None
        if isinstance(node, ast.ImportFrom) and any(a.name in RC_NAMES for a in node.names):
            what = "imports " + ", ".join(a.name for a in node.names)
        elif isinstance(node, (ast.Attribute, ast.Name)):
            name = node.attr if isinstance(node, ast.Attribute) else node.id
            what = name if name in RC_NAMES else None
        elif isinstance(node, ast.Call):
            call = _dotted(node.func)
            if call.endswith((".style.use", ".savefig")) or call in (
                    "matplotlib.use", "matplotlib.rc", "mpl.use", "mpl.rc", "plt.rc"):
                what = call + "()"
        if what:
            found.append(f"{path.relative_to(ROOT)}:{node.lineno}: {what}")
    return found


def own_palette(path: Path) -> list[str]:
    """In a module that imports matplotlib: hex colours and numeric font sizes it writes."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    imports = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    imports |= {n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    if not any(m.split(".")[0] == "matplotlib" for m in imports):
        return []
    found = []
    for node in ast.walk(tree):
        where = f"{path.relative_to(ROOT)}:{getattr(node, 'lineno', '?')}"
        if isinstance(node, ast.Constant) and isinstance(node.value, str) \
                and HEX.fullmatch(node.value):
            found.append(f"{where}: colour {node.value}")
        if isinstance(node, ast.keyword) and node.arg in ("fontsize", "size") \
                and isinstance(node.value, ast.Constant) \
                and isinstance(node.value.value, (int, float)):
            found.append(f"{where}: {node.arg}={node.value.value}")
    return found


def test_only_plotstyle_sets_rc_settings_styles_and_saves_figures() -> None:
    assert SOURCES and NOTEBOOKS
    assert [hit for path in SOURCES + NOTEBOOKS for hit in look_settings(path)] == []
    assert look_settings(PLOTSTYLE) and look_settings(PLOTPAGES)  # seen where they are


def test_only_plotstyle_names_colours_and_font_sizes_of_figures() -> None:
    assert [hit for path in SOURCES for hit in own_palette(path)] == []
    assert own_palette(PLOTSTYLE)


def test_save_writes_png_at_the_one_dpi_and_svg_of_the_same_box(tmp_path) -> None:
    fig = Figure(figsize=(3.0, 2.0), dpi=72)
    fig.add_subplot().plot([0, 1], [1, 0])
    with plt.rc_context({"savefig.dpi": 40, "savefig.bbox": "tight"}):  # a caller's settings
        png, svg = plotstyle.save(fig, tmp_path / "new", "x")
    assert imread(png).shape[:2] == (2.0 * plotstyle.DPI, 3.0 * plotstyle.DPI)
    assert np.all(imread(png)[0, 0, :3] == 1.0)  # white background
    head = svg.read_text()[:2000]
    assert 'width="216pt"' in head and 'height="144pt"' in head  # 3 x 2 inches at 72 pt
    assert plotstyle.save(fig, tmp_path, "y", formats=("svg",)) == [tmp_path / "y.svg"]
    assert not (tmp_path / "y.png").exists()
    for stem, formats, word in (("a/b", ("png",), "stem"), ("", ("png",), "stem"),
                                ("z", ("jpg",), "formats"), ("z", (), "formats")):
        with pytest.raises(ValueError, match=f"^{word}: expected .* got "):
            plotstyle.save(fig, tmp_path, stem, formats=formats)


def test_style_applies_rc_inside_the_block_only() -> None:
    before = dict(plt.rcParams)
    with plt.rc_context({"font.size": 7.0}):
        with plotstyle.style():
            text = Figure().text(0, 0, "t", fontsize="small")
        assert plt.rcParams["font.size"] == 7.0
    assert text.get_fontsize() == plotstyle.RC["font.size"] * font_scalings["small"]
    assert dict(plt.rcParams) == before


def test_worksheet_takes_the_graph_fills_and_the_shared_font_sizes() -> None:
    with plt.rc_context({"font.size": 7.0}):  # the page does not depend on the caller's rc
        fig = worksheet.page(worksheet.sheet(bias=True), key=True)
    base = plotstyle.RC["font.size"]
    allowed = {base * s for s in font_scalings.values() if s is not None}
    sizes = {t.get_fontsize() for t in fig.findobj(Text) if t.get_text()}
    assert len(sizes) > 3 and sizes <= allowed
    fills = {tuple(p.get_facecolor()) for p in fig.axes[0].patches if hasattr(p, "get_boxstyle")}
    expected = {tuple(to_rgba(c)) for c in plotstyle.NODE_FILL.values()}
    assert fills == expected  # the worksheet's kinds in the drawings' colours


def test_graph_boxes_and_legend_take_the_palette() -> None:
    hand = book_graph(np.random.default_rng(0))
    user = {n: node.grad.copy() for n, node in hand.nodes.items() if n not in ("x", "W1")}
    user["h"] = -user["h"]
    mark_agreement(hand, user, lambda _n, a, e: bool(np.array_equal(a, e)))
    _, drawn = new_graph_figure(hand, annotate="grad")
    statuses = set()
    for name, node in hand.nodes.items():
        statuses.add(node.status)
        fill = (plotstyle.STATUS_FILL[node.status] if node.status
                else plotstyle.NODE_FILL[node.kind])
        diverged = node.status == "first_divergence"
        edge = plotstyle.OUTLINE_DIVERGED if diverged else plotstyle.OUTLINE
        assert drawn.boxes[name].get_facecolor() == to_rgba(fill), name
        assert drawn.boxes[name].get_edgecolor() == to_rgba(edge), name
    assert {None, "ok", "first_divergence"} <= statuses
    palette = {to_rgba(c) for c in (*plotstyle.NODE_FILL.values(), *plotstyle.STATUS_FILL.values())}
    patches = drawn.ax.get_legend().get_patches()
    assert len(patches) > 3 and {p.get_facecolor() for p in patches} <= palette


def test_side_by_side_legend_lies_inside_the_figure() -> None:
    hand = book_graph(np.random.default_rng(0))
    user = {n: node.grad.copy() for n, node in hand.nodes.items()}
    user["h"], user["z"] = -user["h"], -user["z"]
    mark_agreement(hand, user, lambda _n, a, e: bool(np.array_equal(a, e)))
    small = book_graph(np.random.default_rng(1))  # as narrow as the other, many entries
    fig, _, _ = draw_side_by_side(hand, small, {"J": "J"}, annotate="grad")
    (legend,) = fig.legends
    renderer = fig.canvas.get_renderer()
    box, page = legend.get_window_extent(renderer), fig.bbox
    labels = [t.get_text() for t in legend.get_texts()]
    assert "first divergence" in labels and "gradient wrong" in labels
    assert box.x0 >= page.x0 and box.x1 <= page.x1 and box.y0 >= page.y0
    for ax in fig.axes:  # under both drawings, not over them; nothing above the page either
        assert box.y1 <= ax.get_window_extent(renderer).y0 + 1
        assert ax.title.get_window_extent(renderer).y1 <= page.y1


def test_summary_charts_are_plot_width_and_saved_by_plotstyle(tmp_path) -> None:
    rubric = parse_rubric({"item": [{"name": "n", "op": "two_layer", "points": 3}]}, "r")
    table = [{"student": s, "score": v, "max": 3.0, "status": "failed", "rows": []}
             for s, v in (("a", 1.0), ("b", 2.0), ("c", 2.0))]
    summary.write_summary(tmp_path, rubric, table, {"transposed": 3, "scaled": 1})
    for stem in ("scores", "diagnoses"):
        png = imread(tmp_path / "figures" / f"{stem}.png")
        assert png.shape[1] == plotstyle.WIDTH * plotstyle.DPI
        assert (tmp_path / "figures" / f"{stem}.svg").exists()
    chart = summary.diagnoses_chart({"transposed": 3, "scaled": 1})
    bars = chart.axes[0].patches
    assert {tuple(b.get_facecolor()) for b in bars} == {to_rgba("C1")}
    assert [t.get_text() for t in chart.axes[0].get_yticklabels()] == ["scaled", "transposed"]
    plt.close(chart)
