"""Where a slider change's time goes: server round trip, Plotly draws in the page, and a minimal app.

    python benchmarks/browser_breakdown.py            # 20 changes each

Measurements that explain benchmark 4 (browser.py), with its measuring method (``change``: type a value
into a slider's number box, press Enter, wait until no chart has drawn for 400 ms):

1. a minimal Gradio app (one slider, one small bar chart): what the method measures for Gradio alone;
2. the server alone: gradio_client round trips to ``/explore`` (a decoding slider's event: decode, render
   the views and every step's views) on the shipped G2P checkpoint, greedy and beam 5, result cache cleared;
3. the page: for decoding-slider changes (max length for greedy, alpha for beam 5) and step-slider moves
   (drawn in the page, no server), how many Plotly draw calls (``react`` / ``relayout``) each change makes,
   how long each call runs synchronously, and when the first one starts (for a decoding change: about when
   the server's answer arrived), also for the first five changes against the last five. That start used to
   drift later change after change (benchmarks/page_profile.py --run-history) while the server's round trip stayed
   flat: Gradio's run history re-wrote every call's views JSON into localStorage; it is off now
   (playground/ui/wiring.py, launch_kwargs), and the drift column checks that it stays flat.
"""

from __future__ import annotations

import time

from browser import ARGS, CHROMIUM, HOOK, WORD, change
from common import machine, parser, percentile, table

SYNC_HOOK = """() => {  // after HOOK: time each draw call's synchronous part (installed once)
  if (window.__sync) return;
  window.__sync = [];
  for (const method of ['react', 'relayout']) {
    const original = window.Plotly[method];
    window.Plotly[method] = function (gd, ...rest) {
      const t = performance.now();
      const out = original.call(this, gd, ...rest);
      window.__sync.push([performance.now() - t, t - window.__t0]);
      return out;
    };
  }
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


def decoding_values(strategy: str, n: int) -> list:
    """``n`` values of the decoding slider: lengths that cut the greedy output, or alphas for beam 5."""
    return [2 + i % 9 for i in range(n)] if strategy == "greedy" else [round(0.05 * (1 + (7 * i) % 40), 2)
                                                                        for i in range(n)]


def server_round_trips(url: str, store, n: int) -> dict[str, list[float]]:
    """/explore round trips per strategy, each with a new decoding-slider value and the result cache cleared."""
    from gradio_client import Client

    from playground.ui.common.controls import CONTROL_NAMES as PARAMS
    from playground.ui.common.controls import UiParams

    client = Client(url, verbose=False)
    out = {}
    for strategy, params, knob in (("greedy", UiParams(strategy="greedy"), "max_length"),
                                   ("beam 5", UiParams(strategy="beam", beam_width=5), "length_penalty")):
        trips = []
        for value in decoding_values(strategy, n):
            store.clear_cache()
            args = [getattr(params, k) if k != knob else value for k in PARAMS]
            start = time.perf_counter()
            client.predict("g2p-bahdanau", WORD, 1, *args, api_name="/explore")
            trips.append(1000 * (time.perf_counter() - start))
        out[strategy] = trips
    return out


def page_draws(page, store, slider: str, values: list) -> tuple[list[float], list[float], list[float], list[int]]:
    """(latency ms, per-call sync ms, first-call start ms, calls per change) for one change per value."""
    page.evaluate(SYNC_HOOK)
    latencies, sync, first, calls = [], [], [], []
    for value in values:
        if slider != "step":
            store.clear_cache()
        latency, _ = change(page, slider, value, 400)
        records = page.evaluate("() => window.__sync.splice(0)")
        latencies.append(latency)
        sync += [r[0] for r in records]
        first.append(min(r[1] for r in records))
        calls.append(len(records))
    return latencies, sync, first, calls


def use_strategy(page, strategy: str) -> None:
    page.locator("#strategy label", has_text="greedy" if strategy == "greedy" else "beam search").first.click()
    if strategy == "beam 5":
        page.locator("#beam-width").wait_for(state="visible")
        change(page, "beam-width", 5, 400)
    page.wait_for_timeout(1000)


def main() -> int:
    p = parser(__doc__.split("\n")[0])
    p.add_argument("--changes", type=int, default=20)
    args = p.parse_args()
    import torch
    from playwright.sync_api import sync_playwright

    from playground.ui import DECODE_CONCURRENCY, ModelStore, build_demo
    from playground.ui.common.runtime import configure_threads
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
                     f"{percentile(base, 95):.0f}",
                     f"latency, changes 1-5 → last 5: {percentile(base[:5], 50):.0f} → "
                     f"{percentile(base[-5:], 50):.0f} ms"])
        store = ModelStore.discover()
        url, demo = serve(build_demo(store), ports=range(7990, 8000))
        try:
            for strategy, trips in server_round_trips(url, store, args.changes).items():
                rows.append([f"server: /explore round trip, {strategy} (gradio_client)",
                             f"{percentile(trips, 50):.0f}", f"{percentile(trips, 95):.0f}", ""])
            page = open_page(url, "#plot-tree .main-svg")
            page.locator("#text textarea").fill(WORD)
            page.wait_for_function("w => document.querySelector('#summary').innerText.includes(w)", arg=WORD)
            for strategy in ("greedy", "beam 5"):
                use_strategy(page, strategy)
                decoding = ("max-length" if strategy == "greedy" else "length-penalty",
                            decoding_values(strategy, args.changes))
                for slider, values in (decoding, ("step", [2 + i % 6 for i in range(args.changes)])):
                    latency, sync, first, calls = page_draws(page, store, slider, values)
                    note = (f"{min(calls)}-{max(calls)} draw calls per change, each {min(sync):.0f}-{max(sync):.0f}"
                            f" ms (sum p50 {percentile(sync, 50) * percentile(calls, 50):.0f} ms); first call "
                            f"{percentile(first, 50):.0f} ms after the key press (p50); first call, changes "
                            f"1-5 → last 5: {percentile(first[:5], 50):.0f} → {percentile(first[-5:], 50):.0f} ms")
                    rows.append([f"page: {slider} slider, {strategy}", f"{percentile(latency, 50):.0f}",
                                 f"{percentile(latency, 95):.0f}", note])
                if strategy == "greedy":
                    change(page, "max-length", 32, 400)
        finally:
            demo.close()
            browser.close()
    print(f"Where a slider change's time goes ({args.changes} changes per row; word '{WORD}')")
    print(f"machine: {machine(torch.get_num_threads())}\n")
    print(table(["measurement", "p50 ms", "p95 ms", "in the page"], rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
