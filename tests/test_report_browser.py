"""The report in a real browser: headless Chromium loads it with no console error and every
image decodes (natural size > 0). Skipped, with the reason, when Chromium is not installed.

The test opens a *copy* of the page with a small probe script put first in ``<head>``: it
records script errors, failed resources and ``console.error`` calls, and on ``load`` writes the
images' natural sizes and those errors into ``<pre id="probe-result">`` (JSON), which
``--dump-dom`` prints. Chromium's own log (stderr) is scanned for console messages from the page.
"""

from __future__ import annotations

import html
import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from _report_pages import synthetic_sections

from comparisons.report.check_section import run_section as check_section
from comparisons.report.page import build_report, collect_versions

PROBE = """<script>
(function () {
  var errors = [];
  window.addEventListener("error", function (e) {
    var t = e.target;
    errors.push(t && t.tagName ? "failed to load <" + t.tagName.toLowerCase() + ">"
                               : "uncaught: " + e.message);
  }, true);
  window.addEventListener("unhandledrejection", function (e) {
    errors.push("unhandled rejection: " + e.reason);
  });
  var original = console.error;
  console.error = function () {
    errors.push("console.error: " + Array.prototype.join.call(arguments, " "));
    original.apply(console, arguments);
  };
  window.addEventListener("load", function () {
    var images = Array.prototype.map.call(document.images, function (img) {
      return {alt: img.alt, complete: img.complete, width: img.naturalWidth,
              height: img.naturalHeight};
    });
    var pre = document.createElement("pre");
    pre.id = "probe-result";
    pre.textContent = JSON.stringify({images: images, errors: errors});
    document.body.appendChild(pre);
  });
})();
</script>"""
RESULT = re.compile(r'<pre id="probe-result">(.*?)</pre>', re.S)
CONSOLE = re.compile(r":CONSOLE[^\]]*\]\s*(.*)")


@pytest.fixture
def chromium() -> str:
    """Path of Debian's chromium, or skip the test saying why."""
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        pytest.skip("chromium not found: install Debian's package (apt-get install chromium); "
                    ".ci/run does")
    return found


def open_in_chromium(chromium: str, page: Path, work: Path) -> tuple[dict[str, Any], list[str]]:
    """Load a probed copy of ``page``; return the probe's result and the page's console lines."""
    text = page.read_text(encoding="utf-8")
    head = re.search(r"<head[^>]*>", text)
    assert head, "no <head> in the page"
    probed = work / f"probed-{page.name}"
    probed.write_text(text[: head.end()] + PROBE + text[head.end():], encoding="utf-8")
    cmd = [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
           "--no-first-run", "--disable-background-networking", "--disable-component-update",
           "--disable-sync", "--host-resolver-rules=MAP * ~NOTFOUND",
           f"--user-data-dir={work / 'chromium-profile'}", "--enable-logging=stderr", "--v=0",
           "--virtual-time-budget=5000", "--dump-dom", probed.resolve().as_uri()]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    except subprocess.TimeoutExpired:
        pytest.fail("chromium did not finish loading the page within 60 s")
    found = RESULT.search(proc.stdout)
    assert found, f"the page never fired load (exit {proc.returncode}):\n{proc.stderr[-2000:]}"
    console = [m.group(1) for m in map(CONSOLE.search, proc.stderr.splitlines()) if m]
    return json.loads(html.unescape(found.group(1))), console


def _problems(result: dict[str, Any], console: list[str]) -> list[str]:
    """Everything wrong with a load: errors, console output, images that did not render."""
    bad = [f"image {i['alt']!r} did not render" for i in result["images"]
           if not (i["complete"] and i["width"] > 0 and i["height"] > 0)]
    return result["errors"] + [f"console: {line}" for line in console] + bad


def test_report_loads_cleanly_and_every_image_renders(chromium, tmp_path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    sections = synthetic_sections(out)
    check = check_section(out, quiet=True)
    check["title"] = "Check suite"
    page = build_report(out, [check, *sections], versions=collect_versions())
    result, console = open_in_chromium(chromium, page, tmp_path)
    assert len(result["images"]) == 2  # the synthetic PNG and SVG
    assert _problems(result, console) == []


BREAKAGES = {  # name: (pattern, replacement, what the probe must report)
    "invalid image data": (r'src="data:image/png;base64,[^"]+"',
                           'src="data:image/png;base64,AAAA"', "did not render"),
    "uncaught exception": (r"</body>", "<script>null.boom();</script></body>", "uncaught"),
    "console error": (r"</body>", "<script>console.error('bad thing');</script></body>",
                      "bad thing"),
}


@pytest.mark.parametrize("breakage", sorted(BREAKAGES))
def test_the_probe_detects_a_broken_page(chromium, tmp_path, breakage: str) -> None:
    out = tmp_path / "out"
    out.mkdir()
    page = build_report(out, synthetic_sections(out), versions=collect_versions())
    pattern, replacement, expected = BREAKAGES[breakage]
    broken = tmp_path / "broken.html"
    broken.write_text(re.sub(pattern, replacement, page.read_text(), count=1))
    result, console = open_in_chromium(chromium, broken, tmp_path)
    problems = _problems(result, console)
    assert any(expected in p for p in problems), f"{breakage} went unnoticed: {problems}"
