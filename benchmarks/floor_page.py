"""The floor of benchmarks/browser.py: a minimal page that does only what no implementation can skip.

One Gradio slider (the same widget as Explore's), one ``gr.HTML`` whose server function returns, for the value
typed, the very JSON the real page got for it (computed beforehand by explore/service.py: no decode, no
session, no validation), and the five charts in the same layout, drawn from the gr.Plot figures of the first
answer and then, per change, with ``Plotly.react`` for each chart whose figure changed (the distribution at the
answer's step), as explore.js does. Its latency, measured exactly as the real page's, is the time that a
server function, the JSON and plotly.js take by themselves on this machine. browser.py alternates the changes
of a row between the real page and this one, so that both see the same machine.
"""

from __future__ import annotations

import contextlib
import json

from browser import CHARTS, HOOK, answers, key

FLOOR_JS = """
const CHARTS = __CHARTS__, shown = {};
let pending = null, inflight = false;
const graph = (name) => document.querySelector(`#plot-${name} [data-testid="plotly"]`);
async function pump() {
  while (pending !== null) {
    const value = pending;
    pending = null;
    inflight = true;
    const text = await server.answer({ value });
    inflight = false;
    if (pending !== null) continue;
    const views = JSON.parse(text).views, t = Math.max(JSON.parse(text).step - 1, 0);
    for (const name of CHARTS) {
      if (shown[name] === views.keys[name]) continue;
      shown[name] = views.keys[name];
      const fig = views[name] && views.steps ? views[name][t] : views.figures[name];  // a per-step chart's step t
      const layout = { ...fig.layout, autosize: true, margin: { ...(fig.layout.margin || {}), autoexpand: true } };
      window.Plotly.react(graph(name), fig.data, layout, { responsive: true });
    }
    window.dispatchEvent(new Event("explore-rendered"));
  }
}
window.__floor = (value) => { pending = value; if (!inflight) pump(); };
""".replace("__CHARTS__", json.dumps(list(CHARTS)))


def build(slider_name: str, value, first: str, served: dict):
    """The minimal page for one row: ``served`` maps key(value) -> the answer JSON; ``first`` is drawn at load."""
    import gradio as gr
    import plotly.io as pio

    from playground.ui.common.widgets import control_widget
    from playground.ui.explore import charts

    def answer(payload) -> str:
        return served[key(payload["value"])]

    views = json.loads(first)["views"]
    figure = lambda name: pio.from_json(json.dumps(views["figures"][name]))  # noqa: E731
    with gr.Blocks(fill_width=True) as demo:
        slider = control_widget(slider_name, value, elem_id=slider_name.replace("_", "-"))
        gr.HTML("<div id='floor'></div>", server_functions=[answer], js_on_load=FLOOR_JS)
        for row in charts.rows():  # the real page's rows (explore/tab.py), without captions or pickers
            with gr.Row() if len(row) > 1 else contextlib.nullcontext():
                for chart in row:
                    gr.Plot(figure(chart.name), show_label=False, elem_id=f"plot-{chart.name}")
        slider.change(None, slider, None, js="(v) => { window.__floor(v); return []; }")
    return demo


@contextlib.contextmanager
def floor_page(browser, store, word: str, row, values: list):
    """The floor page for ``row``, serving the real page's answers for ``values`` (and the row's default, shown
    first), open in ``browser`` with browser.py's HOOK; closed (page and server) on exit."""
    from playground.ui.common.controls import UiParams
    from playground.ui.page import open_page
    from playground.ui.server import serve

    start = getattr(UiParams(), row.control)
    served = answers(store, word, row, [start, *values])
    url, demo = serve(build(row.control, start, served[key(start)], served), ports=range(7960, 7980))
    try:
        page = open_page(browser, url)
        page.wait_for_function(HOOK, timeout=30_000)
        yield page
        page.close()
    finally:
        demo.close()
