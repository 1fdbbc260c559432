"""Taking a figure or a view out of the page: a chart's toolbar downloads SVG and PNG, the toolbar sits above the
chart (never over its title), and the Explore report and a lesson's download as one HTML file each that draws its
charts with the network off."""

from __future__ import annotations

import struct
import xml.etree.ElementTree as ET

import pytest
from browser import MARKS, open_tab, set_step
from test_ui_report import Parsed

from playground.analysis.lessons import BY_KEY
from playground.ui.explore import charts

pytestmark = MARKS
SVG_BUTTON = '.modebar-btn[data-title^="Download as SVG"]'
PNG_BUTTON = '.modebar-btn[data-title^="Download as PNG"]'


def download(page, selector: str, tmp_path):
    with page.expect_download() as info:
        page.locator(selector).click()
    path = tmp_path / info.value.suggested_filename
    info.value.save_as(path)
    return path


def test_a_charts_toolbar_downloads_it_as_svg_and_png_named_after_chart_and_input(page, tmp_path):
    word = page.locator("#text textarea").input_value()
    page.locator("#plot-distribution").hover()
    svg = download(page, f"#plot-distribution {SVG_BUTTON}", tmp_path)
    assert svg.name == f"distribution-{word}.svg"
    root = ET.parse(svg).getroot()
    assert root.tag == "{http://www.w3.org/2000/svg}svg" and float(root.get("width")) >= 800
    assert "Inter, system-ui" in svg.read_text()  # the charts' own font, as on the page
    png = download(page, f"#plot-distribution {PNG_BUTTON}", tmp_path)
    head = png.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n" and struct.unpack(">I", head[16:20])[0] == 2 * float(root.get("width"))


def test_every_tabs_charts_have_the_toolbar_above_their_title(page):
    for tab, name in (("explore", "distribution"), ("explore", "tree"), ("compare", "compare-1")):
        open_tab(page, tab)
        chart = page.locator(f"#plot-{name}")
        chart.locator(".main-svg").first.wait_for(timeout=60_000)
        chart.hover()
        bar = chart.locator(".modebar").bounding_box()
        plot = chart.locator(".main-svg").first.bounding_box()
        assert chart.locator(SVG_BUTTON).count() == 1 and chart.locator(PNG_BUTTON).count() == 1, name
        assert chart.locator('.modebar-btn[data-title="Download plot as a png"]').count() == 0, name
        assert bar["y"] + bar["height"] <= plot["y"] + 1, name  # in the strip above the chart, not over it
    for tab in ("sample", "whatif", "learn"):  # every chart any tab has drawn has our two buttons
        open_tab(page, tab)
    buttons = page.evaluate("""() => [...document.querySelectorAll('[id^="plot-"] .js-plotly-plot')].map(
        (gd) => [gd.closest('[id^="plot-"]').id, gd._context.modeBarButtonsToAdd.map((b) => b.name).join()])""")
    assert len(buttons) >= len(charts.names()) + 4
    assert {tab for tab, names in buttons if names != "download-svg,download-png"} == set()


@pytest.fixture
def offline(browser):
    """A page with the network off (and every request but the file's refused): (page, requests, errors)."""
    context = browser.new_context(offline=True, viewport={"width": 1200, "height": 900})
    requests, errors = [], []

    def refuse(route):
        requests.append(route.request.url)
        return route.continue_() if route.request.url.startswith("file://") else route.abort()

    context.route("**/*", refuse)
    page = context.new_page()
    page.on("console", lambda m: m.type == "error" and errors.append(m.text))
    page.on("pageerror", lambda e: errors.append(str(e)))
    yield page, requests, errors
    context.close()


def test_the_explore_report_downloads_and_draws_its_charts_offline(page, tmp_path, offline):
    set_step(page, 2)
    page.locator("#share").click()
    report = download(page, "#download-report", tmp_path)
    word = page.locator("#text textarea").input_value()
    assert report.name == f"report-{word}.html"
    assert "step 2 of" in " ".join(Parsed(report.read_text()).text)
    view, requests, errors = offline
    view.goto(report.as_uri())
    for name in charts.names():  # every chart of the view, drawn by the inlined plotly.js
        view.locator(f"#chart-{name} .main-svg").first.wait_for(timeout=20_000)
        assert view.locator(f"#chart-{name} .plot-container svg g").count() > 0, name
    assert requests == [report.as_uri()] and errors == []
    assert view.locator(f"#chart-tree {SVG_BUTTON}").count() == 1


def test_a_lessons_report_downloads_from_the_learn_tab_and_draws_offline(page, tmp_path, offline):
    open_tab(page, "learn")
    page.locator("#lesson-report").click()  # no lesson yet: a message, no file
    page.wait_for_function("() => document.querySelector('#lesson-report-status').innerText.includes('Pick a lesson')")
    page.locator("#lesson-beam-beats-greedy").click()
    page.wait_for_function("() => document.querySelector('#lesson-link textarea, #lesson-link input')"
                           ".value.endsWith('?lesson=beam_beats_greedy')", timeout=60_000)
    report = download(page, "#lesson-report", tmp_path)
    assert report.name == "lesson-beam_beats_greedy.html"
    page.locator("#plot-learn").hover()  # the chart's own toolbar names it after the lesson's word
    assert download(page, f"#plot-learn {SVG_BUTTON}", tmp_path).name == f"learn-{BY_KEY['beam_beats_greedy'].word}.svg"
    view, requests, errors = offline
    view.goto(report.as_uri())
    view.locator("#chart-lesson .main-svg").first.wait_for(timeout=20_000)
    text = view.locator("main").inner_text()
    assert "Why" in text and "LaTeX: \\log p(y\\mid x)" in text and "Source:" in text
    formula = view.locator(".formula")  # rendered in the file, without MathJax or KaTeX
    assert formula.count() == 1 and "∑" in formula.inner_text() and formula.locator("sub").count() > 0
    assert requests == [report.as_uri()] and errors == []
