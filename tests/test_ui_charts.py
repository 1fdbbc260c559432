"""The chart registry (explore/charts.py) is the only list of the Explore charts: a chart registered there, and
nowhere else, is rendered, sent in the views JSON, named to the page's JavaScript and laid out in the tab."""

from __future__ import annotations

import html
import json
import re

import pytest
from helpers import tiny_store, trace_of

from playground.ui import build_demo
from playground.ui.common.style import empty_spec
from playground.ui.explore import charts, tab
from playground.ui.explore.handlers import Session, render_views
from playground.ui.explore.uncertainty import uncertainty_marks

STEPS_SEEN = charts.Chart("steps_seen", lambda sel, t: empty_spec(f"step {t + 1} of {sel.steps}"), per_step=True,
                          caption="A throwaway chart: which step the page shows.")
MARKED = charts.Chart("marked", lambda sel, t: ([], {**empty_spec("marked")[1], **uncertainty_marks(t)}),
                      marks=lambda sel, t: uncertainty_marks(t), row="pair", caption="A throwaway chart with a mark.")
PAIRED = charts.Chart("paired", lambda sel, t: empty_spec("paired"), row="pair", above="attention",
                      caption="A throwaway chart beside the marked one.")


def page(demo) -> tuple[list[str], list[str], list[str]]:
    """The Explore tab's plot element ids, the registry's captions in page order and the chart names its header
    hands explore.js."""
    components = demo.config["components"]
    plots = [c["props"]["elem_id"] for c in components if c["type"] == "plot"
             and not c["props"]["elem_id"].startswith(("plot-compare", "plot-sample", "plot-whatif", "plot-learn"))]
    registered = {chart.caption for chart in charts.CHARTS}
    captions = [c["props"]["value"] for c in components if c["type"] == "markdown"
                and "caption" in (c["props"].get("elem_classes") or []) and c["props"]["value"] in registered]
    header = next(c["props"]["value"] for c in components if c["props"].get("elem_id") == "explore-header")
    names = json.loads(html.unescape(re.search(r'data-charts="([^"]*)"', header).group(1)))
    return plots, captions, names


def row_of(demo, elem_id: str) -> int | None:
    """The id of the innermost gr.Row holding the component ``elem_id`` (None: in no row)."""
    kinds = {c["id"]: (c["type"], c["props"].get("elem_id")) for c in demo.config["components"]}

    def find(node: dict, row: int | None) -> int | None | bool:
        kind, name = kinds.get(node["id"], (None, None))
        if name == elem_id:
            return row
        for child in node.get("children", []):
            found = find(child, node["id"] if kind == "row" else row)
            if found is not False:
                return found
        return False

    return find(demo.config["layout"], None)


def test_the_page_draws_every_registered_chart_in_order():
    demo = build_demo(tiny_store())
    plots, captions, names = page(demo)
    assert row_of(demo, "plot-distribution") == row_of(demo, "plot-attention") != row_of(demo, "plot-tree")
    assert names == charts.names() == ["results", "tokens", "distribution", "attention", "tree", "uncertainty", "lens"]
    assert plots == [f"plot-{name}" for name in names]
    assert captions == [chart.caption for chart in charts.CHARTS]
    assert [[chart.name for chart in row] for row in charts.rows()] == \
        [["results"], ["tokens"], ["distribution", "attention"], ["tree"], ["uncertainty"], ["lens"]]
    assert {chart.above or chart.below for chart in charts.CHARTS} - {""} <= set(tab.PICKERS)


def test_a_chart_registered_once_reaches_the_views_the_json_and_the_tab(monkeypatch):
    monkeypatch.setattr(charts, "CHARTS", (*charts.CHARTS, STEPS_SEEN, MARKED, PAIRED))
    trace = trace_of(strategy="beam", beam_width=3)
    views = render_views(Session(trace=trace), 0, 1)
    assert views.figure("steps_seen").layout.annotations[0].text == "step 2 of 6"
    payload = json.loads(views.step_views)
    assert set(payload["figures"]) == set(charts.names())
    assert [fig["layout"]["annotations"][0]["text"] for fig in payload["steps_seen"]] == \
        [f"step {t + 1} of 6" for t in range(6)]  # a per-step chart: every step's figure
    assert payload["marks"]["marked"] == [uncertainty_marks(t) for t in range(6)]
    demo = build_demo(tiny_store())
    plots, captions, names = page(demo)
    assert row_of(demo, "plot-marked") == row_of(demo, "plot-paired") != row_of(demo, "plot-steps_seen")
    assert names[-3:] == ["steps_seen", "marked", "paired"] and plots[-3:] == [f"plot-{n}" for n in names[-3:]]
    assert captions[-3:] == [STEPS_SEEN.caption, MARKED.caption, PAIRED.caption]


@pytest.mark.parametrize("name", ["steps", "figures", "marks", "Plot", "plot-x", ""])
def test_a_chart_name_must_fit_an_element_id_and_not_the_views_own_keys(name):
    with pytest.raises(ValueError, match="chart name"):
        charts.Chart(name, lambda sel, t: empty_spec(""), caption="")


def test_a_chart_moves_marks_or_is_sent_per_step_not_both():
    with pytest.raises(ValueError, match="not both"):
        charts.Chart("both", lambda sel, t: empty_spec(""), caption="", marks=lambda sel, t: {}, per_step=True)
