"""Where a decoding change's time goes in the page: the server call, then each chart's Plotly.react.

    python benchmarks/page_profile.py                # 30 beam-5 α changes and 30 sampling temperature changes

The app runs in this process on the shipped checkpoints; Chromium is profiled through the DevTools protocol.
For each change (browser.py's ``change``; the result cache is cleared first, so every change decodes):

- the server: when explore/service.py's ``explore`` started and ended (wrapped here), in ms from the input event;
- the page: each chart's ``Plotly.react`` / ``relayout``, its start, its synchronous duration (the layout and
  SVG work plotly.js does before returning) and when it was drawn (one animation frame after it resolved);
- the latency browser.py reports.

Then, per chart, the median synchronous draw time over the changes that redrew it, and a CPU profile of the
page over all changes (the functions with the most self time; the sampling profiler slows the page, so
compare its entries with each other, not with browser.py).
"""

from __future__ import annotations

import collections
import statistics
import time

from browser import CHARTS, HOOK, WORD, Row, change, prepare, sequence
from common import machine, parser, percentile, table

PROBE = """() => {  // after HOOK: each draw's chart, start (ms since t0) and synchronous duration
  if (window.__calls) return;
  window.__calls = [];
  for (const method of ['react', 'relayout']) {
    const inner = window.Plotly[method];
    window.Plotly[method] = function (gd, ...rest) {
      const start = performance.now(), out = inner.call(this, gd, ...rest);
      const id = ((gd.closest('[id^="plot-"]') || {}).id || '?').replace('plot-', '');
      window.__calls.push([id, method, start - window.__t0, performance.now() - start]);
      return out;
    };
  }
}"""
ROWS = (Row("beam search", "length-penalty", "length_penalty", tuple(round(0.05 * (1 + (7 * i) % 40), 2)
                                                                      for i in range(40))),
        Row("sampling", "temperature", "temperature", tuple(round(0.3 + 0.1 * ((7 * i) % 18), 2) for i in range(18))))


def wrap_service(records: list) -> None:
    """Record (start, end) in epoch ms of every explore call the page makes."""
    from playground.ui.explore.service import ExploreService

    inner = ExploreService.explore

    def explore(self, payload):
        start = time.time() * 1000
        try:
            return inner(self, payload)
        finally:
            records.append((start, time.time() * 1000))
    ExploreService.explore = explore


def top_functions(profile: dict, n: int) -> list[tuple[str, float]]:
    nodes = {node["id"]: node for node in profile["nodes"]}
    self_us = collections.Counter()
    for sample, delta in zip(profile["samples"], profile["timeDeltas"], strict=True):
        frame = nodes[sample]["callFrame"]
        script = frame["url"].rsplit("/", 1)[-1]
        self_us[f"{frame['functionName'] or '(anonymous)'} {script}".strip()] += delta
    return [(name, us / 1000) for name, us in self_us.most_common(n)]


def profile_changes(page, store, records: list, changes: int) -> list:
    """Run every ROWS row; one (row, latency, server span, draws) per change."""
    timeline = []
    for row in ROWS:
        prepare(page, row, 400)
        box = page.locator(f"#{row.slider} input[type=number]")
        for value in sequence(row.values, box.input_value(), changes):
            store.clear_cache()
            records.clear()
            page.evaluate("() => window.__calls.splice(0)")
            latency, _ = change(page, row.slider, value, 400, answered=True)
            t0 = page.evaluate("() => performance.timeOrigin + window.__t0")  # epoch ms
            server = (records[0][0] - t0, records[0][1] - t0) if records else (float("nan"),) * 2
            timeline.append((row, latency, server, page.evaluate("() => window.__calls.splice(0)")))
    return timeline


def main() -> int:
    p = parser(__doc__.split("\n")[0])
    p.add_argument("--changes", type=int, default=30, help="changes per row")
    p.add_argument("--top", type=int, default=12)
    args = p.parse_args()
    from playwright.sync_api import sync_playwright

    from playground.ui import DECODE_CONCURRENCY, ModelStore, build_demo
    from playground.ui.common.runtime import configure_threads
    from playground.ui.page import launch, open_page
    from playground.ui.server import serve

    configure_threads(DECODE_CONCURRENCY)
    records: list = []
    wrap_service(records)
    store = ModelStore.discover()
    url, demo = serve(build_demo(store), ports=range(7990, 8000))
    try:
        with sync_playwright() as pw:
            browser = launch(pw)
            page = open_page(browser, url)
            page.wait_for_function(HOOK, timeout=30_000)
            page.evaluate(PROBE)
            page.locator("#text textarea").fill(WORD)
            page.wait_for_function("w => document.querySelector('#summary').innerText.includes(w)", arg=WORD)
            cdp = page.context.new_cdp_session(page)
            cdp.send("Profiler.enable")
            cdp.send("Profiler.setSamplingInterval", {"interval": 200})
            cdp.send("Profiler.start")
            timeline = profile_changes(page, store, records, args.changes)
            profile = cdp.send("Profiler.stop")["profile"]
            browser.close()
    finally:
        demo.close()
    report(timeline, profile, args)
    return 0


def report(timeline: list, profile: dict, args) -> None:
    print(f"Page profile: decoding changes on {WORD!r} ({args.changes} per row), result cache cleared each time")
    print(f"machine: {machine(1)}\n")
    rows = []
    for k, (row, latency, (start, end), calls) in enumerate(timeline):
        if k % 5:
            continue  # every fifth change shows the pattern
        draws = ", ".join(f"{c[0]} {c[2]:.0f}+{c[3]:.0f}" for c in calls)
        rows.append([f"{row.strategy} {row.slider}", f"{start:.0f} → {end:.0f}", draws, f"{latency:.0f}"])
    print(table(["change", "server: explore ms (start → end)", "draws: chart start+sync ms", "latency ms"], rows))
    print("\nPer chart, over all changes that redrew it:\n")
    per_chart = collections.defaultdict(list)
    for *_, calls in timeline:
        for chart, method, _, sync in calls:
            per_chart[(chart, method)].append(sync)
    print(table(["chart", "call", "times", "sync ms p50", "sync ms p95"],
                [[chart, method, str(len(v)), f"{statistics.median(v):.1f}", f"{percentile(v, 95):.1f}"]
                 for (chart, method), v in sorted(per_chart.items(), key=lambda kv: CHARTS.index(kv[0][0])
                                                  if kv[0][0] in CHARTS else 99)]))
    server = [end - start for _, _, (start, end), _ in timeline]
    latency = [t[1] for t in timeline]
    print(f"\nserver explore call p50 {statistics.median(server):.0f} ms; latency p50 "
          f"{statistics.median(latency):.0f} ms. Page CPU, most self time over all changes:\n")
    print(table(["function (script)", "ms"], [[name, f"{ms:.0f}"] for name, ms in top_functions(profile, args.top)]))


if __name__ == "__main__":
    raise SystemExit(main())
