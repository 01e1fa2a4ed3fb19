"""What a newcomer sees first in the demo report: the check table collapsed behind its summary,
key numbers named in words, and the planted FAILED verify example saying it is planted."""

from __future__ import annotations

import argparse
import json
import re
import time
from pathlib import Path

from test_report import VERSIONS, parse

from comparisons.report import check_section, demo, verify_section
from comparisons.report.labels import label
from comparisons.report.page import build_report, labelled_numbers

RAW_KEY = re.compile(r"^[a-z0-9]+(_[a-z0-9]+)+$|\.[a-z]")


def test_check_output_is_collapsed_behind_its_summary(tmp_path: Path) -> None:
    section = check_section.run_section(tmp_path, quiet=True)
    section["title"] = "Check suite"
    lines = (tmp_path / "check.txt").read_text().splitlines()
    assert len(lines) > 100
    n_failed = sum(" FAIL" in line for line in lines[2:-1])
    summary = f"check: {len(lines) - 3 - n_failed} passed, {n_failed} failed"
    assert section["folded"] == {"check.txt": summary} and section["failed"] == n_failed
    root = parse(build_report(tmp_path, [section], versions=VERSIONS))
    (table,) = [d for d in root.iter("details") if "check.txt" in d.all_text()]
    assert "open" not in table.attrs
    assert table.iter("summary")[0].all_text().startswith(summary)
    assert lines[-1] in table.all_text()  # the whole table is inside the fold


def test_key_numbers_are_labelled_not_json_keys(tmp_path: Path) -> None:
    section = {"title": "t", "seconds": 1.5, "scratch_lambda3_w_norm": 0.36,
               "seed0_with_test_acc": 0.96, "findings": {"scratch_w_norm_lambda3_below_0.6": True},
               "lockstep_first_divergent_step": None, "odd": 1, "labels": {"odd": "own label"}}
    rows = {name: text for name, text, _ in labelled_numbers(section)}
    assert rows == {"run time (s)": "1.5", "scratch, λ = 3: ‖w‖₂": "0.36",
                    "seed 0: with dropout: test accuracy": "0.96",
                    "finding: scratch ‖w‖₂ λ = 3 below 0.6": "True",
                    label("lockstep_first_divergent_step"): "—", "own label": "1"}
    root = parse(build_report(tmp_path, [section], versions=VERSIONS))
    heads = [th.all_text() for th in root.iter("th") if th.attrs.get("scope") == "row"]
    assert heads == list(rows) and not any(RAW_KEY.search(h) for h in heads)


def test_every_demo_key_of_the_shipped_sections_has_words(tmp_path: Path) -> None:
    check = check_section.run_section(tmp_path, quiet=True)
    verify = verify_section.run_section(tmp_path, quiet=True)
    for section in (check, verify):
        for name, _, _ in labelled_numbers(section):
            assert not RAW_KEY.search(name), name


def test_the_planted_failure_says_it_is_planted(tmp_path: Path, capsys) -> None:
    section = verify_section.run_section(tmp_path, quiet=False)
    assert section["passed"] and "FAILED" in (tmp_path / "verify.txt").read_text()
    printed = capsys.readouterr().out
    assert "FAILED" in printed and printed.startswith("planted mistake, FAILED on purpose")
    text = (tmp_path / "verify.txt").read_text()
    assert text.startswith(f"# {verify_section.PLANTED}")
    assert text.index("Planted on purpose") < text.index("verdict: FAILED")
    section["title"] = "Verify a hand derivation"
    root = parse(build_report(tmp_path, [section], versions=VERSIONS))
    (sec,) = root.iter("section")
    notes = [p.all_text() for p in sec.iter("p") if p.attrs.get("class") == "note-box"]
    assert notes == [verify_section.PLANTED] and "Planted on purpose" in notes[0]
    assert sec.all_text().index("Planted on purpose") < sec.all_text().index("verdict: FAILED")


def test_a_long_section_says_it_is_still_running(capsys) -> None:
    with demo.Heartbeat("Slow", every=0.05):
        time.sleep(0.3)
    beats = capsys.readouterr().err.splitlines()
    assert len(beats) >= 2 and all(re.fullmatch(r"\[demo\] Slow: still running \(\d+ s\)", b)
                                   for b in beats)
    with demo.Heartbeat("Quiet", every=0.05, enabled=False):
        time.sleep(0.15)
    assert capsys.readouterr().err == ""


def test_each_section_says_how_long_it_took_last_time(tmp_path, monkeypatch, capsys) -> None:
    def fake(out: Path, *, quiet: bool) -> dict[str, object]:
        return {"passed": True, "files": [], "command": "c"}

    monkeypatch.setattr(demo, "sections", lambda: [("Fake", fake), ("New", fake)])
    out = tmp_path / "out"
    out.mkdir()
    (out / "demo.json").write_text(json.dumps({"sections": [{"title": "Fake", "seconds": 95.4}]}))
    assert demo.run(argparse.Namespace(out=out, quiet=False)) == 0
    err = capsys.readouterr().err.splitlines()
    assert err[0].startswith("[demo] 2 sections, 1.6 minutes last time")
    assert "[demo] 1/2 Fake ... (95 s last time)" in err and "[demo] 2/2 New ..." in err
