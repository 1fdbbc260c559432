"""Where a step-slider move's time goes: server round trip, Plotly redraws in the page, and a minimal app.

    python benchmarks/browser_breakdown.py            # 20 changes each

Three measurements that explain benchmark 4 (browser.py), with its measuring method (``change``: type a value
into a slider's number box, press Enter, wait until no chart has drawn for 400 ms):

1. a minimal Gradio app (one slider, one small bar chart): what the method measures for Gradio alone;
2. the server alone: gradio_client round trips to ``/select_step`` (the step slider's event: re-render the
   stored trace, no decoding) on the shipped G2P checkpoint;
3. the page: for step-slider moves with greedy and beam 5, how many ``Plotly.react`` calls each move makes,
   how long each call runs synchronously, and when the first one starts (≈ when the server's answer arrived).
"""

from __future__ import annotations

import time

from browser import ARGS, CHROMIUM, HOOK, WORD, change
from common import machine, parser, percentile, table

SYNC_HOOK = """() => {  // after HOOK: time each Plotly.react call's synchronous part (installed once)
  if (window.__sync) return;
  window.__sync = [];
  const original = window.Plotly.react;
  window.Plotly.react = function (gd, ...rest) {
    const t = performance.now();
    const out = original.call(this, gd, ...rest);
    window.__sync.push([performance.now() - t, t - window.__t0]);
    return out;
  };
}"""


def minimal_app(page_factory, serve, n: int) -> list[float]:
    import gradio as gr
    import plotly.graph_objects as go

    def bars(v):
        return go.Figure(go.Bar(x=list("abcdefghij"), y=[(i * v) % 7 for i in range(10)]))

    with gr.Blocks() as demo:
        slider = gr.Slider(1, 64, 1, step=1, elem_id="s")
        plot = gr.Plot(bars(1), elem_id="plot-x")
        slider.change(bars, slider, plot)
    url, demo = serve(demo, ports=range(7980, 7990))
    try:
        page = page_factory(url, "#plot-x .main-svg")
        return [change(page, "s", 2 + i % 60, 400)[0] for i in range(n)]
    finally:
        demo.close()


def server_round_trips(url: str, n: int) -> list[float]:
    from gradio_client import Client

    from playground.ui.controls import UiParams
    from playground.ui.layout import PARAMS

    client = Client(url, verbose=False)
    client.predict("g2p-bahdanau", WORD, 1, *[getattr(UiParams(), k) for k in PARAMS], api_name="/explore")
    out = []
    for i in range(n):
        start = time.perf_counter()
        client.predict(0, 1 + i % 8, api_name="/select_step")
        out.append(1000 * (time.perf_counter() - start))
    return out


def page_redraws(page, strategy: str, n: int) -> tuple[list[float], list[float], list[float], list[int]]:
    """(latency ms, per-call sync ms, first-call start ms, calls per move) for ``n`` step moves."""
    if strategy == "beam 5":
        page.locator("#strategy label", has_text="beam search").first.click()
        page.locator("#beam-width").wait_for(state="visible")
        change(page, "beam-width", 5, 400)
    page.wait_for_timeout(1000)
    page.evaluate(SYNC_HOOK)
    latencies, sync, first, calls = [], [], [], []
    for i in range(n):
        latency, _ = change(page, "step", 2 + i % 6, 400)
        records = page.evaluate("() => window.__sync.splice(0)")
        latencies.append(latency)
        sync += [r[0] for r in records]
        first.append(min(r[1] for r in records))
        calls.append(len(records))
    return latencies, sync, first, calls


def main() -> int:
    p = parser(__doc__.split("\n")[0])
    p.add_argument("--changes", type=int, default=20)
    args = p.parse_args()
    import torch
    from playwright.sync_api import sync_playwright

    from playground.ui import DECODE_CONCURRENCY, ModelStore, build_demo
    from playground.ui.runtime import configure_threads
    from playground.ui.server import serve

    configure_threads(DECODE_CONCURRENCY)  # as app.py does
    rows = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)

        def open_page(url: str, selector: str):
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.goto(url)
            page.wait_for_selector(selector, timeout=60_000)
            page.wait_for_function(HOOK, timeout=30_000)
            return page

        base = minimal_app(open_page, serve, args.changes)
        rows.append(["minimal app: slider -> one bar chart, in the page", f"{percentile(base, 50):.0f}",
                     f"{percentile(base, 95):.0f}", ""])
        url, demo = serve(build_demo(ModelStore.discover()), ports=range(7990, 8000))
        try:
            trips = server_round_trips(url, args.changes)
            rows.append(["server: /select_step round trip (gradio_client)", f"{percentile(trips, 50):.0f}",
                         f"{percentile(trips, 95):.0f}", ""])
            page = open_page(url, "#plot-tree .main-svg")
            page.locator("#text textarea").fill(WORD)
            page.wait_for_function("w => document.querySelector('#summary').innerText.includes(w)", arg=WORD)
            for strategy in ("greedy", "beam 5"):
                latency, sync, first, calls = page_redraws(page, strategy, args.changes)
                note = (f"{min(calls)}-{max(calls)} Plotly.react calls per move, each {min(sync):.0f}-{max(sync):.0f}"
                        f" ms (sum p50 {percentile(sync, 50) * percentile(calls, 50):.0f} ms); first call "
                        f"{percentile(first, 50):.0f} ms after the key press (p50)")
                rows.append([f"page: step slider, {strategy}", f"{percentile(latency, 50):.0f}",
                             f"{percentile(latency, 95):.0f}", note])
        finally:
            demo.close()
            browser.close()
    print(f"Where a step-slider move's time goes ({args.changes} changes per row; word '{WORD}')")
    print(f"machine: {machine(torch.get_num_threads())}\n")
    print(table(["measurement", "p50 ms", "p95 ms", "in the page"], rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
