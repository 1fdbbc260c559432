"""Benchmark: does a gr.Plot leak a window "resize" listener per update, and does the page's fix remove it?

    python benchmarks/plot_listeners.py            # 40 updates of one gr.Plot, without and with page.js

A minimal Gradio app (one gr.Plot, one button that returns a new bar chart) is driven in headless Chromium;
after each update the script waits until the new data is drawn. It counts the window's "resize" listeners
(DevTools' getEventListeners, over CDP) before and after, and whether the chart's <div> survived the update.
Run once with Gradio as is and once with ``playground/ui/common/page.js`` as the app passes it to
``demo.launch(js=...)`` (common/toolbar.py's page_js). The other tabs' charts are gr.Plot outputs, so this is what
each of their updates did.
"""

from __future__ import annotations

import argparse
import time

from common import machine, table

from playground.ui.common import toolbar

DRAWN = "document.querySelector('#p .js-plotly-plot')?._fullData?.[0]?.y?.[1] === {value}"


def build():
    import gradio as gr
    import plotly.graph_objects as go

    count = {"n": 0}

    def figure():
        count["n"] += 1
        return go.Figure(go.Bar(x=["a", "b", "c"], y=[1, count["n"], 3]))

    with gr.Blocks() as demo:
        plot = gr.Plot(figure(), elem_id="p")
        gr.Button("update", elem_id="b").click(figure, None, plot)
    return demo


def drive(url: str, updates: int) -> dict:
    from playwright.sync_api import sync_playwright

    from playground.ui.page import launch, resize_listeners

    with sync_playwright() as pw:
        browser = launch(pw)
        page = browser.new_page()
        page.goto(url)
        page.wait_for_function(DRAWN.format(value=1), timeout=60_000)
        page.evaluate("document.querySelector('#p .js-plotly-plot').__first = true")
        before, start = resize_listeners(page), time.perf_counter()
        for i in range(updates):
            page.click("#b")
            page.wait_for_function(DRAWN.format(value=i + 2), timeout=30_000)
        seconds = time.perf_counter() - start
        time.sleep(0.5)
        after = resize_listeners(page)
        kept = page.evaluate("document.querySelector('#p .js-plotly-plot').__first === true")
        browser.close()
    return dict(before=before, after=after, kept=kept, ms=1000 * seconds / updates)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--updates", type=int, default=40)
    args = p.parse_args()
    page_js = toolbar.page_js()  # page.js as the app passes it (handed the charts' toolbar)
    rows = []
    for name, js in (("gr.Plot as is", None), ("with page.js", page_js)):
        demo = build()
        _, url, _ = demo.launch(prevent_thread_lock=True, quiet=True, js=js, server_port=None)
        try:
            result = drive(url, args.updates)
        finally:
            demo.close()
        rows.append([name, str(result["before"]), str(result["after"]), "yes" if result["kept"] else "no",
                     f"{result['ms']:.0f}"])
    print(f"window resize listeners around {args.updates} updates of one gr.Plot (headless Chromium)")
    print(f"machine: {machine(1)}\n")
    print(table(["page", "listeners before", f"after {args.updates} updates", "chart <div> kept",
                 "ms per update (click -> drawn)"], rows))
    leak = int(rows[0][2]) - int(rows[0][1])
    print(f"\nwithout the fix {leak} listener(s) leaked; with it {int(rows[1][2]) - int(rows[1][1])}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
