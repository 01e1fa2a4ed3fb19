"""The verify demo section: the shipped wrong example is caught, its correct twin passes."""

from __future__ import annotations

import json

from comparisons.report.verify_section import EXPECTED, run_section


def test_demo_section_catches_the_planted_mistake(tmp_path) -> None:
    result = run_section(tmp_path, quiet=True)
    assert result["passed"] and result["caught"] and result["diagnoses"] == EXPECTED
    assert sorted(result["files"]) == ["verify.json", "verify.txt"]
    assert result["command"].startswith("backprop-lab verify ")
    data = json.loads((tmp_path / "verify.json").read_text())
    assert data["wrong"]["passed"] is False and data["correct"]["passed"] is True
    text = (tmp_path / "verify.txt").read_text()
    assert "transposed" in text and "verdict: PASSED" in text
