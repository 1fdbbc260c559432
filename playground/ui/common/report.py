"""One view as a self-contained HTML file ("Download report"): text, tables, links and interactive charts.

Pure: a ``Report`` (plain strings and the charts' Plotly JSON) in, one HTML string out; no server, no gradio. The
Explore tab's report (explore/report.py) and a lesson's (tabs/lesson_report.py) only fill a Report.

Self-contained and offline: plotly.js is inlined (the copy the plotly package ships, plotly.offline.get_plotlyjs),
the page names no font file (the charts' own system font stack, style.FONT, as on the page), loads no MathJax or
KaTeX (a formula is rendered by latex.py to plain HTML, its LaTeX source beside it), and no element loads anything:
no src, no stylesheet link. Every string is escaped here, so a model's token ("<script>", "</s>") shows as text and
can never become markup; the charts' JSON goes in a JSON script block with <, > and & written as \\u escapes.

Bounded: whatever the view, the file is plotly.js plus at most MAX_CONTENT_BYTES. A table keeps MAX_ROWS rows, a
text MAX_TEXT characters, a chart whose JSON is over MAX_CHART_BYTES is left out, and so is any chart past the
total; the report says what it left out, where and at its end.
"""

from __future__ import annotations

import functools
import html
import json
import re
from dataclasses import dataclass

from playground.ui.common import latex
from playground.ui.common.style import FONT
from playground.ui.common.toolbar import STRIP_PX, TOOLBAR_JS

MAX_CONTENT_BYTES = 1_500_000  # everything but plotly.js: text, tables, the charts' JSON, this page's own code
MAX_CHART_BYTES = 400_000  # one chart's Plotly JSON (the Explore charts of a width-8 beam are ~75 KB together)
MAX_ROWS = 60  # rows of a table
MAX_TEXT = 2_000  # characters of one text (a paragraph, a cell)
NOTE_BYTES = 400  # what a "left out" line takes, at most (twice per block left out: in place, and at the end)
NAME = re.compile(r"[^A-Za-z0-9._-]+")  # what a file name keeps (page.js's nameOf uses the same rule)


@dataclass(frozen=True, kw_only=True)
class Section:
    """Headed text: paragraphs, then a list (a question's choices), then a formula (LaTeX) and its source."""
    title: str
    paragraphs: tuple[str, ...] = ()
    items: tuple[str, ...] = ()
    formula: str = ""  # LaTeX source
    source: str = ""  # where the formula comes from


@dataclass(frozen=True, kw_only=True)
class Table:
    title: str
    columns: tuple[str, ...]  # () for a two-column list of facts (what, value)
    rows: tuple[tuple[str, ...], ...]

    def __post_init__(self):
        width = len(self.columns) or 2
        if any(len(row) != width for row in self.rows):
            raise ValueError(f"table {self.title!r}: every row needs {width} cells")


@dataclass(frozen=True, kw_only=True)
class Chart:
    name: str  # the chart's file name part and element id: letters, digits, - and _
    figure: str  # its Plotly JSON ({"data": [...], "layout": {...}}), as the page draws it
    caption: str = ""

    def __post_init__(self):
        if not re.fullmatch(r"[a-z][a-z0-9_-]*", self.name):
            raise ValueError(f"chart name {self.name!r}: lower-case letters, digits, - and _")


@dataclass(frozen=True, kw_only=True)
class Link:
    label: str
    url: str = ""  # an absolute http(s) address, or "" (then only ``text`` shows)
    text: str = ""  # shown as code (a view string)

    def __post_init__(self):
        if self.url and not re.match(r"https?://", self.url):
            raise ValueError(f"link {self.label!r}: an http(s) address, got {self.url[:40]!r}")


@dataclass(frozen=True, kw_only=True)
class Links:
    title: str
    links: tuple[Link, ...]


Block = Section | Table | Chart | Links


@dataclass(frozen=True, kw_only=True)
class Report:
    title: str
    subject: str  # what the view shows (the input): the file names, report-<subject>.html, <chart>-<subject>.svg
    blocks: tuple[Block, ...]


def file_name(*parts: str) -> str:
    """'distribution', 'K ER N AH L' -> 'distribution-K-ER-N-AH-L' (as the page's toolbar names a download)."""
    return NAME.sub("-", "-".join(p for p in parts if p)).strip("-")[:80] or "report"


@functools.cache
def plotly_js() -> str:
    """The plotly.js the plotly package ships (read once: ~4.8 MB)."""
    from plotly.offline import get_plotlyjs

    return get_plotlyjs()


def build_html(report: Report, plotly: str | None = None) -> str:
    """The report as one HTML document; ``plotly``: the plotly.js source to inline (default: the package's).
    Blocks are laid out in order, each while it fits in what is left of MAX_CONTENT_BYTES (a chart also under
    MAX_CHART_BYTES); one that does not is replaced by a line saying so (NOTE_BYTES each, kept aside)."""
    title = _esc(_clip(report.title, 200))
    frame = dict(title=title, css=CSS, toolbar=TOOLBAR_JS.strip(), render=RENDER_JS)
    left = MAX_CONTENT_BYTES - _bytes(PAGE.format(body="", plotly="", data="[]", **frame))
    left -= 2 * NOTE_BYTES * len(report.blocks) + NOTE_BYTES
    parts, figures, left_out = [], [], []
    for block in report.blocks:
        piece, data = _block_html(block), ""
        if isinstance(block, Chart):
            names = json.dumps({"name": block.name, "file": file_name(block.name, report.subject)})
            data = f'{names[:-1]},"figure":{_script_json(block.figure)}}}'
        cost = _bytes(piece) + _bytes(data) + 1
        if cost > left or (isinstance(block, Chart) and _bytes(block.figure) > MAX_CHART_BYTES):
            what = f"chart {block.name}" if isinstance(block, Chart) else f"section {_clip(block.title, 60)!r}"
            left_out.append(f"{what} ({cost / 1000:.0f} KB): over the report's bound (a chart at most "
                            f"{MAX_CHART_BYTES / 1000:.0f} KB, the whole report {MAX_CONTENT_BYTES / 1e6:.1f} MB "
                            "besides plotly.js)")
            parts.append(f'<p class="left-out">Left out: {_esc(left_out[-1])}</p>')
            continue
        left -= cost
        parts.append(piece)
        figures += [data] if data else []
    if left_out:
        parts.append(_block_html(Section(title="Left out of this report", items=tuple(left_out))))
    return PAGE.format(body="\n".join(parts), plotly=plotly if plotly is not None else plotly_js(),
                       data=f"[{','.join(figures)}]", **frame)


def _bytes(text: str) -> int:
    return len(text.encode("utf-8"))


def _esc(text: str) -> str:
    return html.escape(str(text), quote=True)


def _clip(text: str, limit: int = MAX_TEXT) -> str:
    text = str(text)
    return text if len(text) <= limit else text[:limit - 1] + "…"


def _text(text: str) -> str:
    """Escaped, clipped, its line breaks kept."""
    return _esc(_clip(text)).replace("\n", "<br>")


def _script_json(text: str) -> str:
    """JSON text safe inside <script type="application/json">: no "</script>" or "<!--" can close or hide it."""
    return text.replace("&", "\\u0026").replace("<", "\\u003c").replace(">", "\\u003e")


def _block_html(block: Block) -> str:
    if isinstance(block, Chart):
        return _chart_html(block)
    if isinstance(block, Section):
        return _section_html(block)
    if isinstance(block, Table):
        return _table_html(block)
    return _links_html(block)


def _section_html(s: Section) -> str:
    out = [f"<section><h2>{_text(s.title)}</h2>" if s.title else "<section>"]
    out += [f"<p>{_text(p)}</p>" for p in s.paragraphs]
    if s.items:
        out.append("<ol>" + "".join(f"<li>{_text(item)}</li>" for item in s.items[:MAX_ROWS]) + "</ol>")
    if s.formula:
        rendered = latex.to_html(_clip(s.formula))
        if rendered is not None:
            out.append(f'<div class="formula" role="math" aria-label="{_esc(_clip(s.formula))}">{rendered}</div>')
        out.append(f'<p class="latex">LaTeX: <code>{_text(s.formula)}</code></p>')
    if s.source:
        out.append(f'<p class="source">Source: {_text(s.source)}</p>')
    return "".join(out) + "</section>"


def _table_html(t: Table) -> str:
    rows = t.rows[:MAX_ROWS]
    head = "<tr>" + "".join(f"<th>{_text(c)}</th>" for c in t.columns) + "</tr>" if t.columns else ""
    cells = ("".join(f"<td>{_text(c)}</td>" for c in row) if t.columns else
             f"<th>{_text(row[0])}</th><td>{_text(row[1])}</td>" for row in rows)
    body = "".join(f"<tr>{c}</tr>" for c in cells)
    more = (f'<p class="left-out">and {len(t.rows) - MAX_ROWS} more rows, left out (a table keeps {MAX_ROWS})</p>'
            if len(t.rows) > MAX_ROWS else "")
    kind = "table" if t.columns else "facts"
    return f'<section><h2>{_text(t.title)}</h2><table class="{kind}">{head}{body}</table>{more}</section>'


def _links_html(block: Links) -> str:
    items = []
    for link in block.links:
        label = (f'<a href="{_esc(link.url)}">{_text(link.label)}</a>' if link.url else _text(link.label))
        code = f"<br><code>{_text(link.text)}</code>" if link.text else ""
        items.append(f"<li>{label}{code}</li>")
    return f"<section><h2>{_text(block.title)}</h2><ul class=\"links\">{''.join(items)}</ul></section>"


def _chart_html(c: Chart) -> str:
    caption = f"<figcaption>{_text(c.caption)}</figcaption>" if c.caption else ""
    return f'<figure class="chart"><div class="plot" id="chart-{c.name}"></div>{caption}</figure>'


PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy"
  content="default-src 'none'; script-src 'unsafe-inline' 'unsafe-eval'; style-src 'unsafe-inline';
           img-src data: blob:">
<meta name="generator" content="Decoding Playground">
<title>{title}</title>
<style>{css}</style>
</head>
<body>
<main>
<h1>{title}</h1>
{body}
<footer>A report of the Decoding Playground. The charts are interactive: hover them for the numbers, drag to zoom,
double-click to reset; the toolbar above each chart downloads it as SVG or PNG. This file needs no network:
plotly.js is inside it.</footer>
</main>
<script>{plotly}</script>
<script type="application/json" id="report-charts">{data}</script>
<script>
const reportToolbar = {toolbar};
{render}
</script>
</body>
</html>
"""
# the Content-Security-Policy above forbids every request (default-src 'none'): the report cannot reach the network
# even if something in it tried; inline scripts and styles (plotly.js, ours) and data:/blob: images (the toolbar's
# PNG) are all it needs
RENDER_JS = """for (const chart of JSON.parse(document.getElementById("report-charts").textContent)) {
  const gd = document.getElementById("chart-" + chart.name);
  window.Plotly.newPlot(gd, chart.figure.data, chart.figure.layout,
                        { responsive: true, ...reportToolbar(window.Plotly, () => chart.file) });
}
"""
CSS = f"""
body {{ margin: 0; background: #f9fafb; color: #1f2937; font-family: {FONT}; font-size: 15px; line-height: 1.5; }}
main {{ max-width: 1080px; margin: 0 auto; padding: 24px 28px 40px; background: white; }}
h1 {{ font-size: 1.5rem; margin: 0 0 12px; }}
h2 {{ font-size: 1.1rem; margin: 20px 0 6px; color: #3730a3; }}
section p {{ margin: 4px 0; }}
table {{ border-collapse: collapse; margin: 4px 0; font-variant-numeric: tabular-nums; }}
th, td {{ text-align: left; padding: 3px 12px 3px 0; vertical-align: top; border-bottom: 1px solid #eef0f3; }}
table.facts th {{ font-weight: 600; color: #4b5563; white-space: nowrap; }}
table.table th {{ border-bottom: 1px solid #9ca3af; }}
code {{ font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: 0.9em; word-break: break-all; }}
ul.links li {{ margin: 4px 0; }}
figure.chart {{ margin: 20px 0; break-inside: avoid; }}
figure.chart .plot {{ padding-top: {STRIP_PX}px; }}
figure.chart .plot .modebar-container {{ top: -{STRIP_PX}px !important; }}
figcaption {{ font-size: 0.85rem; color: #6b7280; margin-top: 2px; }}
.left-out {{ color: #b45309; }}
.latex, .source {{ color: #4b5563; font-size: 0.9rem; }}
footer {{ margin-top: 28px; font-size: 0.8rem; color: #6b7280; }}
@media print {{ body {{ background: white; }} main {{ padding: 0; }} .modebar-container {{ display: none; }} }}
{latex.CSS}
"""
