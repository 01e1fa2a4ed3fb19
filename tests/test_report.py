"""The demo report: one self-contained, escaped HTML page built from section dicts."""

from __future__ import annotations

import argparse
import base64
import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from _report_pages import HOSTILE_COMMAND, HOSTILE_TITLE, synthetic_sections

from comparisons.report import demo
from comparisons.report.page import build_report, key_numbers

VOID = {"img", "meta", "br", "hr", "input", "link", "source", "wbr"}
VERSIONS = {"Python": "3.x-test", "NumPy": "np-test", "torch": "torch-test", "CPUs": "2"}


class Node:
    """An element of the parsed page: tag, attributes, children and direct text."""

    def __init__(self, tag: str, attrs: dict[str, str | None]) -> None:
        self.tag, self.attrs = tag, attrs
        self.children: list[Node] = []
        self.text: list[str] = []

    def all_text(self) -> str:
        """The text of this element and every descendant, in order."""
        return "".join(self.text) + "".join(c.all_text() for c in self.children)

    def iter(self, tag: str | None = None) -> list[Node]:
        """This element and its descendants (optionally only one tag)."""
        found = [self] if tag in (None, self.tag) else []
        for child in self.children:
            found.extend(child.iter(tag))
        return found


class TreeBuilder(HTMLParser):
    """html.parser into a small tree (text is appended to the innermost open element)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Node("#root", {})
        self.stack = [self.root]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        node = Node(tag, dict(attrs))
        self.stack[-1].children.append(node)
        if tag not in VOID:
            self.stack.append(node)

    def handle_endtag(self, tag: str) -> None:
        if tag in VOID:
            return
        assert self.stack[-1].tag == tag, f"</{tag}> closes <{self.stack[-1].tag}>"
        self.stack.pop()

    def handle_data(self, data: str) -> None:
        self.stack[-1].text.append(data)


def parse(path: Path) -> Node:
    """Parse the page; fails on mismatched tags."""
    builder = TreeBuilder()
    builder.feed(path.read_text(encoding="utf-8"))
    builder.close()
    assert builder.stack == [builder.root], "unclosed elements"
    return builder.root


@pytest.fixture
def page(tmp_path: Path) -> tuple[Path, list[dict[str, Any]], Node]:
    sections = synthetic_sections(tmp_path)
    path = build_report(tmp_path, sections, versions=VERSIONS)
    return path, sections, parse(path)


def test_images_are_data_uris_of_the_files_themselves(page) -> None:
    path, _, root = page
    imgs = root.iter("img")
    assert len(imgs) == 2
    png, svg = (img.attrs["src"] or "" for img in imgs)
    assert png.startswith("data:image/png;base64,")
    data = base64.b64decode(png.split(",", 1)[1], validate=True)
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    assert data == (path.parent / "curve.png").read_bytes()
    assert svg.startswith("data:image/svg+xml;base64,")
    assert base64.b64decode(svg.split(",", 1)[1]) == (path.parent / "plots/graph.svg").read_bytes()
    assert all(img.attrs.get("alt") for img in imgs)


def test_nothing_is_loaded_from_outside_the_page(page) -> None:
    _, _, root = page
    ids = {n.attrs["id"] for n in root.iter() if n.attrs.get("id")}
    for node in root.iter():
        for attr in ("src", "href", "srcset", "poster", "data", "action"):
            value = node.attrs.get(attr)
            if value is None:
                continue
            assert value.startswith(("data:", "#")), f"<{node.tag} {attr}={value[:40]!r}>"
            if value.startswith("#"):
                assert value[1:] in ids, f"dangling link {value}"
    assert not root.iter("script") and not root.iter("link") and not root.iter("iframe")
    css = "".join(n.all_text() for n in root.iter("style"))
    assert "@import" not in css and "url(" not in css


def test_every_section_is_there_with_its_command_and_verdict(page) -> None:
    _, sections, root = page
    h2 = [n.all_text() for n in root.iter("h2")]
    codes = [n.all_text() for n in root.iter("pre")]
    for section in sections:
        assert section["title"] in h2
        assert section["command"] in codes
    main = root.iter("section")
    assert len(main) == len(sections)
    badges = [" ".join(n.all_text() for n in s.iter("span")) for s in main]
    assert "passed" in badges[0] and "FAILED" in badges[1] and "no verdict" in badges[2]
    toc = root.iter("nav")[0]
    assert [a.attrs["href"] for a in toc.iter("a")] == ["#" + s.attrs["id"] for s in main]
    header = root.iter("header")[0].all_text()
    assert "1 of 3 sections passed, 1 failed, 1 without a verdict" in header


def test_text_and_markup_are_escaped(page) -> None:
    path, _, root = page
    raw = path.read_text(encoding="utf-8")
    assert HOSTILE_TITLE not in raw and "<script" not in raw.lower()
    assert "<img src=x" not in raw and "<b>bold?</b>" not in raw
    assert not any(k.startswith("on") for n in root.iter() for k in n.attrs)
    assert HOSTILE_TITLE in root.all_text() and HOSTILE_COMMAND in root.all_text()
    assert "<img src=x onerror=alert(1)>" in root.all_text()


def test_key_numbers_table_holds_the_scalars_only(page) -> None:
    _, sections, root = page
    table = root.iter("section")[0].iter("table")[0]
    rows = {tr.iter("th")[0].all_text(): tr.iter("td")[0].all_text()
            for tr in table.iter("tr") if tr.iter("td")}
    assert {"files", "command", "title", "passed"}.isdisjoint(rows)
    assert float(rows["final loss"]) == pytest.approx(sections[0]["final_loss"], rel=1e-5)
    assert int(rows["epochs"]) == sections[0]["epochs"]
    assert float(rows["loss: validation"]) == sections[0]["loss"]["valid"]
    assert rows["lambdas"].split(", ") == [str(v) for v in sections[0]["lambdas"]]
    assert float(rows["run time (s)"]) == sections[0]["seconds"]


def test_text_files_are_shown_and_long_ones_collapsible(page) -> None:
    path, _, root = page
    section = root.iter("section")[0]
    folded = " ".join(d.all_text() for d in section.iter("details"))
    opened = {d.iter("summary")[0].all_text().split()[0]: "open" in d.attrs
              for d in section.iter("details")}
    assert opened == {"long.txt": True, "data.json": False}
    assert (path.parent / "long.txt").read_text().strip() in folded
    assert "row 79: 6241" in folded and "<b>bold?</b>" in folded
    short = (path.parent / "short.txt").read_text().strip()
    assert short in section.all_text() and short not in folded
    assert "missing.png: file not found" in root.iter("section")[1].all_text()


def test_an_image_that_is_not_one_is_not_embedded(tmp_path) -> None:
    (tmp_path / "fake.png").write_bytes(b"GIF89a not a png")
    path = build_report(tmp_path, [{"title": "t", "files": ["fake.png"], "command": "c"}],
                        versions=VERSIONS)
    root = parse(path)
    assert not root.iter("img") and "not a valid png image" in root.all_text()


def test_footer_lists_the_versions(page) -> None:
    _, _, root = page
    footer = root.iter("footer")[0].all_text()
    for name, version in VERSIONS.items():
        assert f"{name}: {version}" in footer


def test_key_numbers_skip_reserved_entries() -> None:
    rows = key_numbers({"title": "x", "passed": True, "files": ["a"], "command": "c", "n": 3})
    assert rows == [("n", "3", True)]


def _fake_section(out: Path, *, quiet: bool) -> dict[str, Any]:
    (out / "fake.txt").write_text("hello\n")
    return {"passed": True, "files": ["fake.txt"], "command": "backprop-lab fake", "n": 1}


def _broken_section(out: Path, *, quiet: bool) -> dict[str, Any]:
    raise RuntimeError("section exploded")


def test_demo_writes_the_report_and_ends_with_its_path(tmp_path, monkeypatch, capsys) -> None:
    monkeypatch.setattr(demo, "sections", lambda: [("Fake", _fake_section),
                                                   ("Broken", _broken_section)])
    code = demo.run(argparse.Namespace(out=tmp_path / "out", quiet=True))
    assert code == 1
    last = capsys.readouterr().out.strip().splitlines()[-1]
    report = Path(re.sub(r"^report: ", "", last))
    assert report == tmp_path / "out" / "report.html" and report.is_file()
    text = parse(report).all_text()
    assert "backprop-lab fake" in text and "RuntimeError: section exploded" in text
