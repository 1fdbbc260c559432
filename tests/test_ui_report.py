"""The HTML report (ui/common/report.py, explore/report.py): every block in it, every string escaped, nothing loaded
from anywhere, a bounded size, and a formula rendered without the network (common/latex.py)."""

from __future__ import annotations

import json
from html.parser import HTMLParser

import pytest
from helpers import tiny_store

from playground.ui.common import latex
from playground.ui.common.controls import CONTROLS, UiParams
from playground.ui.common.report import (
    MAX_CHART_BYTES,
    MAX_CONTENT_BYTES,
    MAX_ROWS,
    Chart,
    Link,
    Links,
    Report,
    Section,
    Table,
    build_html,
    file_name,
    plotly_js,
)
from playground.ui.common.style import figure_json
from playground.ui.explore import charts
from playground.ui.explore.handlers import run_decode
from playground.ui.explore.report import explore_report, plain

HOSTILE = '<script>alert(1)</script>"><img src=x onerror=alert(2)>'
STUB = "/* plotly.js */"


class Parsed(HTMLParser):
    """Every element with its attributes, the text of each <script>, and the page's visible text."""

    def __init__(self, text: str):
        super().__init__()
        self.elements, self.scripts, self.text, self._in = [], [], [], None
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, dict(attrs)))
        self._in = tag if tag in ("script", "style") else None
        if tag == "script":
            self.scripts.append("")

    def handle_endtag(self, tag):
        self._in = None

    def handle_data(self, data):
        if self._in == "script":
            self.scripts[-1] += data
        elif self._in is None:
            self.text.append(data)

    def tags(self, name: str) -> list[dict]:
        return [attrs for tag, attrs in self.elements if tag == name]

    def charts(self) -> list[dict]:
        (block,) = [s for (tag, attrs), s in zip(self.script_tags(), self.scripts, strict=True)
                    if attrs.get("type") == "application/json"]
        return json.loads(block)

    def script_tags(self):
        return [(tag, attrs) for tag, attrs in self.elements if tag == "script"]


def figure(name: str = "bars", label: str = "a") -> str:
    return figure_json([{"type": "bar", "x": [label], "y": [1.0], "name": name}], {"title": {"text": name}})


def sample_report(text: str = "colonel") -> Report:
    return Report(title=f"{text} · greedy", subject=text, blocks=(
        Section(title="", paragraphs=(f"{text} → K ER N AH L",)),
        Table(title="Setting", columns=(), rows=(("Input", text), ("Strategy", "greedy"))),
        Table(title="Outputs", columns=("#", "output"), rows=(("1", text),)),
        Section(title="Why", paragraphs=(text,), items=("one", text), formula=r"\frac{a}{b}", source="a paper"),
        Chart(name="results", figure=figure("results", text), caption=f"caption {text}"),
        Chart(name="tree", figure=figure("tree")),
        Links(title="Share", links=(Link(label="Open", url="https://example.org/?view=abc", text="abc"),))))


def test_every_block_is_in_the_report_in_order():
    page = build_html(sample_report(), plotly=STUB)
    parsed = Parsed(page)
    text = " ".join(parsed.text)
    for words in ("colonel → K ER N AH L", "Setting", "Input", "Outputs", "Why", "a paper", "Share", "caption colonel"):
        assert words in text, words
    assert [h for h in text.split() if h in ("Setting", "Outputs", "Why", "Share")] == [
        "Setting", "Outputs", "Why", "Share"]
    divs = [d["id"] for d in parsed.tags("div") if d.get("id", "").startswith("chart-")]
    assert divs == ["chart-results", "chart-tree"]
    assert [(c["name"], c["file"]) for c in parsed.charts()] == [("results", "results-colonel"),
                                                                 ("tree", "tree-colonel")]
    assert parsed.charts()[0]["figure"]["data"][0]["x"] == ["colonel"]
    assert parsed.tags("a") == [{"href": "https://example.org/?view=abc"}]
    assert STUB in parsed.scripts[0]  # plotly.js, inlined first


def test_every_string_is_escaped_and_comes_back_as_written():
    page = build_html(sample_report(HOSTILE), plotly=STUB)
    parsed = Parsed(page)
    assert parsed.tags("img") == [] and len(parsed.script_tags()) == 3  # plotly.js, the charts' JSON, the drawing
    assert not any(k.startswith("on") for _, attrs in parsed.elements for k in attrs)
    assert "<script>alert" not in page and "</script><" not in page.split("<script>")[-1][:-30]
    assert HOSTILE in " ".join(parsed.text)  # shown as text, as it was
    chart = parsed.charts()[0]
    assert chart["figure"]["data"][0]["x"] == [HOSTILE] and chart["file"] == file_name("results", HOSTILE)
    assert "<" not in chart["file"]


def test_nothing_is_loaded_from_anywhere():
    parsed = Parsed(build_html(sample_report(), plotly=plotly_js()))
    assert not [(tag, a) for tag, a in parsed.elements if "src" in a or tag in ("link", "iframe", "object", "embed")]
    style = " ".join(t for t in parsed.text if "{" in t)
    assert "url(" not in style and "@import" not in style and "@font-face" not in style
    (policy,) = [m["content"] for m in parsed.tags("meta") if m.get("http-equiv") == "Content-Security-Policy"]
    assert "default-src 'none'" in policy and "http" not in policy
    assert all(a["href"].startswith("https://example.org/") for a in parsed.tags("a"))
    assert "plotly.js v" in parsed.scripts[0][:200]  # the package's own copy, whole
    assert "mathjax" not in parsed.scripts[2].lower() and "katex" not in parsed.scripts[2].lower()


def test_a_big_view_is_bounded_and_says_what_it_left_out():
    huge = figure_json([{"type": "bar", "y": list(range(MAX_CHART_BYTES // 4))}], {})
    big = figure_json([{"type": "bar", "y": list(range(MAX_CHART_BYTES // 8))}], {})  # under a chart's bound
    blocks = (Table(title="Outputs", columns=("#", "output"), rows=tuple((str(i), "x" * 5000) for i in range(9999))),
              Chart(name="huge", figure=huge), *(Chart(name=f"big{i}", figure=big) for i in range(12)),
              Chart(name="last", figure=figure("last")))
    page = build_html(Report(title="big", subject="big", blocks=blocks), plotly=STUB)
    assert len(huge) > MAX_CHART_BYTES and 12 * len(big) > MAX_CONTENT_BYTES  # (the case is what it says)
    assert len(page.encode()) - len(STUB) <= MAX_CONTENT_BYTES
    parsed = Parsed(page)
    kept = [c["name"] for c in parsed.charts()]
    assert "huge" not in kept and "big0" in kept and "big11" not in kept and len(kept) < 13
    text = " ".join(parsed.text)
    assert "Left out of this report" in text and "chart huge" in text and "chart big11" in text
    assert f"and {9999 - MAX_ROWS} more rows" in text and "x" * 2000 not in text


def test_a_link_must_be_http_and_a_table_row_must_fit():
    with pytest.raises(ValueError, match="http"):
        Link(label="bad", url="javascript:alert(1)")
    with pytest.raises(ValueError, match="2 cells"):
        Table(title="t", columns=(), rows=(("a",),))
    with pytest.raises(ValueError, match="chart name"):
        Chart(name="Bad Name", figure="{}")


def test_a_formula_is_rendered_to_html_and_its_source_shown():
    rendered = latex.to_html(r"\frac{\log p(y\mid x)}{|y|^{\alpha}}")
    assert rendered.startswith('<span class="frac"><span class="num"><span class="op">log</span><i>p</i>')
    assert '<span class="den">|<i>y</i>|<sup>α</sup></span>' in rendered
    assert latex.to_html(r"y_{<t}\ \text{a <b> c}") == ('<i>y</i><sub>&lt; <i>t</i></sub> '
                                                         '<span class="text">a &lt;b&gt; c</span>')
    assert latex.to_html(r"\hat y \not\Rightarrow \mathbb{1}") == "<i>y\u0302</i> ⇏ 𝟙"  # (y, combining circumflex)
    for unknown in (r"\unknowncommand x", r"\frac{a}{b", "a^", "}"):
        assert latex.to_html(unknown) is None
    page = build_html(Report(title="f", subject="f", blocks=(
        Section(title="Formula", formula=r"\unknowncommand{<x>}"),)), plotly=STUB)
    assert 'class="formula"' not in page and r"LaTeX: <code>\unknowncommand{&lt;x&gt;}</code>" in page


def test_the_explore_report_has_the_setting_outputs_every_chart_and_the_link():
    store = tiny_store()
    params = UiParams(strategy="beam", beam_width=3, num_return=2, max_length=6)
    session = run_decode(store, "g2p-tiny", "cab", params)
    report = explore_report(session, share="abc_-1", model_label="tiny G2P", hypothesis=1, step=99, layer=-1,
                            head=-1, base_url="http://127.0.0.1:7860/?view=old")
    blocks = {type(b).__name__ + (b.title if hasattr(b, "title") else b.name): b for b in report.blocks}
    assert [b.name for b in report.blocks if isinstance(b, Chart)] == charts.names()
    setting = dict(blocks["TableSetting"].rows)
    assert setting["Input"] == "cab" and setting["Model"] == "tiny G2P (g2p-tiny)" and setting["Beam width"] == "3"
    unused = setting["Not read by beam search"]
    labels = [c.label for c in CONTROLS.values()]
    assert all(label in setting or label in unused for label in labels)
    assert setting["The charts show"].startswith("output 2 of 2, step ") and len(blocks["TableOutputs"].rows) == 2
    (link,) = blocks["LinksShare"].links
    assert link.url == "http://127.0.0.1:7860/?view=abc_-1" and link.text == "abc_-1" and report.subject == "cab"
    unlinked = explore_report(session, share="(this view cannot be shared)", model_label="m", base_url="http://h/")
    assert unlinked.blocks[-1].links[0].url == "" and unlinked.blocks[-1].links[0].text.startswith("(this view")
    page = Parsed(build_html(report, plotly=STUB))
    assert "ended with </s>" in " ".join(page.text)  # (written &lt;/s&gt; in the file)
    assert [c["name"] for c in page.charts()] == charts.names()


def test_plain_reads_the_summary_back_as_text():
    assert plain("<b>a &lt;/s&gt;</b> → <b>K</b><br><i>cut</i>") == "a </s> → K\ncut"
