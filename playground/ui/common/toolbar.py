"""Every chart's toolbar: SVG and PNG downloads at a size fit for slides, and a strip above the chart to sit in.

toolbar.js is a plotly.js config (the buttons, the sizes, the tools kept); the page installs it for every chart
(page.js, through ``page_js``) and a downloaded report for its own (common/report.py). Plotly puts the toolbar over
the chart's top right corner, where our charts have their title and legend: CSS moves it into a strip above.
"""

from __future__ import annotations

from pathlib import Path

HERE = Path(__file__).parent
TOOLBAR_JS = (HERE / "toolbar.js").read_text(encoding="utf-8")  # (Plotly, nameOf) => config
STRIP_PX = 28  # the toolbar's height (Plotly's 2px padding around 22px buttons, and a gap)
CSS = f"""
[id^="plot-"].block {{ padding-top: {STRIP_PX}px !important; }}
[id^="plot-"] .js-plotly-plot .plotly .modebar-container {{ top: -{STRIP_PX}px !important; }}
"""


def page_js() -> str:
    """The page's load script (demo.launch(js=...)): page.js, handed the toolbar's config function."""
    page = (HERE / "page.js").read_text(encoding="utf-8")
    return f"() => ({page.strip()})({TOOLBAR_JS.strip()})"
