"""``graph --worksheet``: a two-page PDF (worksheet, answer key) and SVGs that render, whose
content is read from handmade.network (never retyped), with the boxes blank on page 1."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pypdfium2 as pdfium
import pytest

from comparisons.cli.graph import ACTIVATIONS
from comparisons.cli.main import main
from comparisons.graph.worksheet import DERIVATIVES, positions, sheet, write_worksheet
from handmade.network import TWO_LAYER


def _pages(pdf: Path) -> list[np.ndarray]:
    doc = pdfium.PdfDocument(str(pdf))
    try:
        return [np.asarray(doc[i].render(scale=0.6).to_pil().convert("L"))
                for i in range(len(doc))]
    finally:
        doc.close()


def _text(pdf: Path, page: int) -> str:
    doc = pdfium.PdfDocument(str(pdf))
    try:
        return doc[page].get_textpage().get_text_range()
    finally:
        doc.close()


def test_the_pdf_has_two_pages_that_are_not_blank_and_differ(tmp_path: Path) -> None:
    paths = write_worksheet(tmp_path, bias=True)
    assert [p.name for p in paths] == ["worksheet.pdf", "worksheet.svg", "worksheet_key.svg"]
    sheet_page, key_page = _pages(tmp_path / "worksheet.pdf")
    for img in (sheet_page, key_page):
        assert img.shape[1] > img.shape[0]  # landscape
        ink = (img < 128).mean()
        assert 0.01 < ink < 0.3  # drawn on, but not a black page
    assert (key_page < 128).sum() > (sheet_page < 128).sum()  # the key writes in the boxes
    for svg in paths[1:]:
        assert svg.read_text().lstrip().startswith("<?xml") and "<path" in svg.read_text()


def test_page_one_leaves_the_answers_out_and_the_key_has_them(tmp_path: Path) -> None:
    write_worksheet(tmp_path)
    pdf = tmp_path / "worksheet.pdf"
    blank, key = (" ".join(_text(pdf, i).split()) for i in (0, 1))
    for grad, _paths, equation, shape in sheet().rows:
        answer = equation.split(" = ", 1)[1]
        assert grad in blank and answer not in blank
        assert answer in key and shape in key
    assert "(N, d)" in blank and "(h, d)" in blank  # every node's shape is on the worksheet


def test_rows_and_formulas_come_from_the_network() -> None:
    s = sheet(activation="tanh", bias=True)
    net = TWO_LAYER.configured(bias=True)
    assert [r[0] for r in s.rows] == [f"dJ/d{n}" for n in net.gradient_nodes.values()]
    assert dict((r[0], r[1]) for r in s.rows)["dJ/dW2"] == "o, s"
    assert s.formulas["h"] == "h = tanh(z)" and s.formulas["z"] == "z = X W1ᵀ + b1"
    assert dict((r[0], r[2]) for r in s.rows)["dJ/dz"] == "dJ/dz = dh ⊙ tanh′(z)"
    assert set(DERIVATIVES) == set(ACTIVATIONS)


def test_layout_places_no_two_nodes_together_and_arrows_run_forward() -> None:
    for bias in (False, True):
        net = TWO_LAYER.configured(bias=bias)
        pos = positions(net)
        assert len(set(pos.values())) == len(pos)
        assert all(pos[i][0] < pos[n.name][0] for n in net.nodes for i in n.inputs)
        assert {pos[n][1] for n in ("x", "z", "h", "o", "L", "J")} == {0}


def test_the_cli_writes_it_and_refuses_what_it_does_not_draw(tmp_path: Path, capsys) -> None:
    assert main(["graph", "--worksheet", "--activation", "sigmoid", "--out",
                 str(tmp_path / "w")]) == 0
    assert (tmp_path / "w" / "worksheet.pdf").stat().st_size > 0
    assert "σ′(z) = σ(z) (1 − σ(z))" in " ".join(_text(tmp_path / "w" / "worksheet.pdf",
                                                          1).split())
    capsys.readouterr()
    assert main(["graph", "--worksheet", "--dot", "--out", str(tmp_path / "x")]) == 2
    assert capsys.readouterr().err.strip().endswith("--worksheet: draws the blank worksheet; "
                                                    "drop --dot")
    assert not (tmp_path / "x").exists()


@pytest.mark.parametrize("activation", ["swish", ""])
def test_an_unknown_activation_is_one_line(activation: str) -> None:
    with pytest.raises(ValueError, match="^activation: expected one of"):
        sheet(activation=activation)
