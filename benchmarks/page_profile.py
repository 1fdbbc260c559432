"""Profile the page during decoding changes: a timeline of each change, and where the page's CPU goes.

    python benchmarks/page_profile.py                # 5 + 30 + 5 greedy max-length changes

The tool that found the slider drift (Gradio's run history, benchmarks/README.md section 4;
``--run-history`` turns it back on to show it). The app runs
in this process on the shipped checkpoints; Chromium is profiled through the DevTools protocol. For each
change (browser.py's ``change``: type a max length, press Enter, wait until no chart has drawn for 400 ms;
the result cache is cleared first, so every change decodes):

- a timeline, ms from the first input event of the change: Gradio's preprocessing, our ``explore_update``
  (decode + render_views), Gradio's postprocessing (all three timed in the server by wrapping them), then
  each ``Plotly.react`` in the page (start and synchronous duration) and the latency browser.py reports;
- a CPU profile of the first ``--window`` changes and of the last ``--window`` (after ``--changes`` more):
  the functions with the most self time, so that anything that grows change after change stands out.
  The sampling profiler slows the page: compare the two windows with each other, not with browser.py.
"""

from __future__ import annotations

import collections
import time

from browser import ARGS, CHROMIUM, HOOK, WORD, change
from common import machine, parser, percentile, table

PROBE = """() => {  // after HOOK: each react's start (ms since t0) and synchronous duration
  if (window.__reacts) return;
  window.__reacts = [];
  const react = window.Plotly.react;
  window.Plotly.react = function (gd, ...rest) {
    const start = performance.now(), out = react.call(this, gd, ...rest);
    window.__reacts.push([start - window.__t0, performance.now() - start]);
    return out;
  };
}"""


def wrap_server(records: list) -> None:
    """Time Gradio's pre/postprocessing and our explore_update, as (name, start, end) in epoch ms."""
    import gradio.blocks as blocks

    import playground.ui.wiring as wiring

    def timed(name, fn, is_async):
        async def run_async(*a, **k):
            start = time.time() * 1000
            out = await fn(*a, **k)
            records.append((name, start, time.time() * 1000))
            return out

        def run(*a, **k):
            start = time.time() * 1000
            out = fn(*a, **k)
            records.append((name, start, time.time() * 1000))
            return out
        return run_async if is_async else run

    blocks.Blocks.preprocess_data = timed("pre", blocks.Blocks.preprocess_data, True)
    blocks.Blocks.postprocess_data = timed("post", blocks.Blocks.postprocess_data, True)
    wiring.explore_update = timed("explore", wiring.explore_update, False)


def top_functions(profile: dict, n: int) -> list[tuple[str, float]]:
    nodes = {node["id"]: node for node in profile["nodes"]}
    self_us = collections.Counter()
    for sample, delta in zip(profile["samples"], profile["timeDeltas"], strict=True):
        frame = nodes[sample]["callFrame"]
        script = frame["url"].rsplit("/", 1)[-1]
        self_us[f"{frame['functionName'] or '(anonymous)'} {script}".strip()] += delta
    return [(name, us / 1000) for name, us in self_us.most_common(n)]


def main() -> int:
    p = parser(__doc__.split("\n")[0])
    p.add_argument("--changes", type=int, default=30, help="changes between the two profiled windows")
    p.add_argument("--window", type=int, default=5)
    p.add_argument("--top", type=int, default=12)
    p.add_argument("--run-history", action="store_true",
                   help="turn Gradio's run history back on, to see the drift it caused")
    args = p.parse_args()
    from playwright.sync_api import sync_playwright

    from playground.ui import DECODE_CONCURRENCY, ModelStore, build_demo
    from playground.ui.common.runtime import configure_threads
    from playground.ui.server import serve

    configure_threads(DECODE_CONCURRENCY)
    if args.run_history:
        import playground.ui.server as server

        plain = server.launch_kwargs
        server.launch_kwargs = lambda: {**plain(), "run_history": True}
    records: list = []
    wrap_server(records)
    store = ModelStore.discover()
    url, demo = serve(build_demo(store), ports=range(7990, 8000))
    timeline, profiles = [], {}
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.goto(url)
            page.wait_for_selector("#plot-tree .main-svg", timeout=60_000)
            page.wait_for_function(HOOK, timeout=30_000)
            page.evaluate(PROBE)
            page.locator("#text textarea").fill(WORD)
            page.wait_for_function("w => document.querySelector('#summary').innerText.includes(w)", arg=WORD)
            cdp = page.context.new_cdp_session(page)
            cdp.send("Profiler.enable")
            cdp.send("Profiler.setSamplingInterval", {"interval": 200})
            plan = [("first", args.window), (None, args.changes), ("last", args.window)]
            i = 0
            for label, n in plan:
                if label:
                    cdp.send("Profiler.start")
                for _ in range(n):
                    store.clear_cache()
                    records.clear()
                    page.evaluate("() => window.__reacts.splice(0)")
                    latency, _ = change(page, "max-length", 2 + i % 9, 400)
                    i += 1
                    t0 = page.evaluate("() => performance.timeOrigin + window.__t0")  # epoch ms
                    server = {}  # the decode's own (the share panel's follow-up event comes after)
                    for name, start, end in records:
                        server.setdefault(name, (start - t0, end - t0))
                    reacts = page.evaluate("() => window.__reacts.splice(0)")
                    timeline.append((label or "middle", latency, server, reacts))
                if label:
                    profiles[label] = cdp.send("Profiler.stop")["profile"]
            browser.close()
    finally:
        demo.close()
    print(f"Page profile: greedy max-length changes on '{WORD}' ({args.window} + {args.changes} + {args.window})"
          + (", Gradio's run history on" if args.run_history else ""))
    print(f"machine: {machine(1)}\n")
    rows = []
    for k, (label, latency, server, reacts) in enumerate(timeline):
        if label == "middle" and k % 5:
            continue  # every fifth of the unprofiled changes is enough to see a trend

        def span(name, server=server):
            return f"{server[name][0]:.0f} → {server[name][1]:.0f}" if name in server else "-"
        draws = ", ".join(f"{start:.0f}+{sync:.0f}" for start, sync in reacts)
        rows.append([str(k + 1), label, span("pre"), span("explore"), span("post"), draws, f"{latency:.0f}"])
    print(table(["change", "window", "preprocess ms", "explore_update ms", "postprocess ms",
                 "Plotly.react start+sync ms", "latency ms"], rows))
    for label in ("first", "last"):
        latencies = [t[1] for t in timeline if t[0] == label]
        print(f"\n{label} {args.window} changes: latency p50 {percentile(latencies, 50):.0f} ms; page CPU, "
              f"most self time:\n")
        print(table(["function (script)", "ms"],
                    [[name, f"{ms:.0f}"] for name, ms in top_functions(profiles[label], args.top)]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
