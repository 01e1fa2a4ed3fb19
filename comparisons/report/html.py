"""HTML building blocks of the demo report: the style sheet, the page frame, small escaped pieces.

Everything here returns strings of HTML. Every piece of text that reaches the page goes through
:func:`esc` (``html.escape`` with quotes), so a title such as ``<script>`` is shown, never run.
No external resources: the CSS is inline and the page uses system fonts only.
"""

from __future__ import annotations

import html
from collections.abc import Iterable

CSS = """
:root { color-scheme: light dark; --fg: #1b1f24; --bg: #ffffff; --muted: #57606a;
  --line: #d0d7de; --code-bg: #f6f8fa; --pass: #116329; --pass-bg: #dafbe1;
  --fail: #a40e26; --fail-bg: #ffebe9; --info: #0a3069; --info-bg: #ddf4ff; --link: #0550ae; }
@media (prefers-color-scheme: dark) {
  :root { --fg: #e6edf3; --bg: #0d1117; --muted: #9198a1; --line: #3d444d; --code-bg: #161b22;
    --pass: #7ee787; --pass-bg: #0f2d1a; --fail: #ffa198; --fail-bg: #3c1618;
    --info: #a5d6ff; --info-bg: #0c2d6b; --link: #79c0ff; }
  figure img { background: #ffffff; }
}
* { box-sizing: border-box; }
body { margin: 0; color: var(--fg); background: var(--bg); line-height: 1.5;
  font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial,
  sans-serif; }
main, header.page, footer.page { max-width: 64rem; margin: 0 auto; padding: 0 1.25rem; }
header.page { padding-top: 1.5rem; border-bottom: 1px solid var(--line); }
h1 { font-size: 1.8rem; margin: 0 0 .25rem; }
h2 { font-size: 1.35rem; margin: 0; }
h3 { font-size: 1rem; margin: 1.25rem 0 .4rem; color: var(--muted); }
a { color: var(--link); }
a:focus-visible, summary:focus-visible { outline: 3px solid var(--link); outline-offset: 2px; }
.skip { position: absolute; left: -999px; }
.skip:focus { left: 1rem; top: 1rem; background: var(--bg); padding: .5rem; }
.meta { color: var(--muted); margin: 0 0 1rem; }
.summary { font-size: 1.1rem; margin: .5rem 0 1.25rem; }
nav.toc ol { padding-left: 1.5rem; }
nav.toc li { margin: .2rem 0; }
section.report { border-top: 1px solid var(--line); padding: 1.5rem 0 .5rem; }
.section-head { display: flex; align-items: center; gap: .75rem; flex-wrap: wrap; }
.badge { display: inline-block; font-size: .85rem; font-weight: 600; padding: .1rem .6rem;
  border-radius: 1rem; border: 1px solid currentColor; }
.badge.pass { color: var(--pass); background: var(--pass-bg); }
.badge.fail { color: var(--fail); background: var(--fail-bg); }
.badge.info { color: var(--info); background: var(--info-bg); }
table.numbers { border-collapse: collapse; margin: .25rem 0; font-size: .95rem; }
table.numbers th, table.numbers td { border: 1px solid var(--line); padding: .25rem .6rem;
  text-align: left; vertical-align: top; }
table.numbers th { font-weight: 600; background: var(--code-bg); }
table.numbers td.num { font-variant-numeric: tabular-nums; text-align: right; }
table.numbers caption { caption-side: top; text-align: left; }
pre { background: var(--code-bg); border: 1px solid var(--line); border-radius: 6px;
  padding: .75rem; overflow-x: auto; font-size: .85rem; line-height: 1.35; }
code, pre { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, "Liberation Mono",
  monospace; }
details { margin: .5rem 0; }
summary { cursor: pointer; font-weight: 600; }
figure { margin: 1rem 0; }
figure img { max-width: 100%; height: auto; border: 1px solid var(--line); border-radius: 4px; }
figcaption { color: var(--muted); font-size: .9rem; }
.note { color: var(--muted); font-style: italic; }
.note-box { border-left: 4px solid var(--info); background: var(--info-bg); padding: .5rem .75rem;
  margin: .75rem 0; }
footer.page { border-top: 1px solid var(--line); margin-top: 2rem; padding-bottom: 2rem;
  color: var(--muted); font-size: .9rem; }
"""


def esc(text: object) -> str:
    """``text`` as HTML-safe text (``& < > " '`` escaped)."""
    return html.escape(str(text), quote=True)


def badge(passed: bool | None) -> str:
    """A pass / fail / no-verdict badge; the word carries the meaning, colour only helps."""
    if passed is None:
        return '<span class="badge info">no verdict</span>'
    if passed:
        return '<span class="badge pass">&#10003; passed</span>'
    return '<span class="badge fail">&#10007; FAILED</span>'


def numbers_table(rows: Iterable[tuple[str, str, bool]], caption: str) -> str:
    """A two-column table of ``(name, value, is_numeric)`` rows (texts not yet escaped)."""
    cell = {True: '<td class="num">', False: "<td>"}
    body = "".join(
        f'<tr><th scope="row">{esc(k)}</th>{cell[num]}{esc(v)}</td></tr>' for k, v, num in rows
    )
    if not body:
        return ""
    return (f'<table class="numbers"><caption class="note">{esc(caption)}</caption>'
            f'<thead><tr><th scope="col">quantity</th><th scope="col">value</th></tr></thead>'
            f"<tbody>{body}</tbody></table>")


def pre(text: str, *, label: str | None = None) -> str:
    """Preformatted text (escaped); ``label`` becomes the block's accessible name."""
    aria = f' aria-label="{esc(label)}"' if label else ""
    return f"<pre{aria}><code>{esc(text)}</code></pre>"


def details(summary: str, inner_html: str, *, open_: bool = False) -> str:
    """A collapsible block; ``summary`` is plain text, ``inner_html`` is already HTML."""
    flag = " open" if open_ else ""
    return f"<details{flag}><summary>{esc(summary)}</summary>{inner_html}</details>"


def figure(src: str, name: str) -> str:
    """An embedded image (``src`` must be a ``data:`` URI) with its file name as caption."""
    return (f'<figure><img src="{esc(src)}" alt="{esc(name)}" loading="eager">'
            f"<figcaption>{esc(name)}</figcaption></figure>")


def page(title: str, head_html: str, toc_html: str, body_html: str, footer_html: str) -> str:
    """The complete document: one file, inline CSS, no scripts, no external references."""
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{esc(title)}</title><style>{CSS}</style></head><body>"
        '<a class="skip" href="#sections">Skip to the sections</a>'
        f'<header class="page">{head_html}</header>'
        f'<main id="main">{toc_html}<div id="sections">{body_html}</div></main>'
        f'<footer class="page">{footer_html}</footer>'
        "</body></html>\n"
    )
