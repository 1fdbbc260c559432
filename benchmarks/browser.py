"""Benchmark 4: interaction latency in a real browser, and the cold start of ``python app.py``.

    python benchmarks/browser.py                    # 40 changes per slider, greedy and beam 5
    python benchmarks/browser.py --changes 30 --no-cold-start --cache

Headless Chromium (Debian's /usr/bin/chromium, never a Playwright download) driven by Playwright.

Interaction: the app runs in this process on a free port (as tests/test_browser.py), on the shipped
checkpoints. The page's ``Plotly.react`` and ``Plotly.relayout`` are wrapped so that each chart reports when
it has drawn new data (the page draws the Explore charts itself, playground/ui/step_views.js: a decode
redraws each chart with ``react``; a step move redraws the distribution with ``react`` and moves the other
charts' marks with ``relayout``).
One change = typing a value into a slider's number box and pressing Enter; its latency = from that key press
(the first input event, caught in the page) to the last chart drawn (one animation frame after the draw
call resolved), once no chart has drawn for ``--quiet-ms``. Sliders: the step slider (redrawn in the page
from the step views shipped with the decode, no server round trip: distribution, attention, tree and
uncertainty change; the results chart has no per-step data) and a decoding slider (every change decodes
again: max length for greedy, cycling through lengths that cut the output so that the charts change; the
length-penalty alpha for beam 5, a new value each time). By default the server's result cache is cleared
before every change, so every decoding change really decodes (``--cache`` keeps it, as a user going back
and forth would).

Cold start: from spawning ``python app.py`` to the first chart drawn in a browser tab opened as soon as the
server accepts connections (split into the two).
Targets: p50 <= 150 ms, p95 <= 300 ms per slider and strategy; cold start <= 10 s.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time

from common import ROOT, machine, percentile, table

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]
CHARTS = ("results", "distribution", "attention", "tree", "uncertainty")
P50_MS, P95_MS, COLD_S = 150, 300, 10
WORD = "entrepreneur"  # 12 letters, 10 phonemes

HOOK = """() => {
  if (window.__draws) return true;
  if (!window.Plotly) return false;
  window.__draws = []; window.__inflight = 0; window.__t0 = null;
  for (const method of ['react', 'relayout']) {  // gr.Plot calls react; a step move also relayouts marks
    const original = window.Plotly[method];
    window.Plotly[method] = function (gd, ...rest) {
      window.__inflight++;
      const id = (gd.closest('[id^="plot-"]') || {}).id || '?';
      const done = () => requestAnimationFrame(() => {
        window.__draws.push([id, performance.now()]); window.__inflight--;
      });
      const out = original.call(this, gd, ...rest);
      Promise.resolve(out).then(done, done);
      return out;
    };
  }
  const arm = () => { if (window.__t0 === null) window.__t0 = performance.now(); };
  document.addEventListener('input', arm, true);
  document.addEventListener('keydown', e => { if (e.key === 'Enter') arm(); }, true);
  return true;
}"""
SETTLED = """(quiet) => {
  const t0 = window.__t0;
  if (t0 === null || window.__inflight) return false;
  const after = window.__draws.filter(d => d[1] > t0);
  return after.length > 0 && performance.now() - Math.max(...after.map(d => d[1])) > quiet;
}"""
RESULT = """() => {
  const t0 = window.__t0, after = window.__draws.filter(d => d[1] > t0);
  return [Math.max(...after.map(d => d[1])) - t0, [...new Set(after.map(d => d[0]))]];
}"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def listening(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


def cold_start(browser) -> tuple[float, float]:
    """(seconds until the server accepts connections, seconds until its first chart is drawn in a new tab),
    both from spawning ``python app.py``. The port is polled with plain TCP connects, as a person waits for
    the printed URL: polling with page loads rendered an error page every 100 ms, and those renders took
    CPU from the starting app on this 2-core machine (about 5 s later)."""
    port = free_port()
    env = {**os.environ, "GRADIO_SERVER_NAME": "127.0.0.1", "GRADIO_SERVER_PORT": str(port)}
    page = browser.new_page()
    start = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "app.py"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        while not listening(port):
            if proc.poll() is not None or time.perf_counter() - start > 120:
                raise SystemExit("app.py did not start")
            time.sleep(0.05)
        up = time.perf_counter() - start
        page.goto(f"http://127.0.0.1:{port}/")
        page.wait_for_selector("#plot-tree .main-svg", timeout=60_000)
        return up, time.perf_counter() - start
    finally:
        page.close()
        proc.terminate()
        proc.wait(timeout=15)


def change(page, elem_id: str, value, quiet_ms: int) -> tuple[float, list[str]]:
    """Type ``value`` into a slider's number box, press Enter; (latency ms, charts redrawn)."""
    page.evaluate("() => { window.__t0 = null; }")
    box = page.locator(f"#{elem_id} input[type=number]")
    box.fill(str(value))
    box.press("Enter")
    box.blur()
    try:
        page.wait_for_function(SETTLED, arg=quiet_ms, timeout=30_000, polling=20)
    except Exception as e:  # noqa: BLE001 - say which change never showed up, then stop
        state = page.evaluate("() => [window.__t0, window.__draws.slice(-6), window.__inflight]")
        raise SystemExit(f"{elem_id} = {value}: no chart was redrawn within 30 s ({state})") from e
    latency, charts = page.evaluate(RESULT)
    return latency, charts


def main() -> int:
    from common import parser

    p = parser(__doc__.split("\n")[0])
    p.add_argument("--changes", type=int, default=40, help="changes per slider and strategy (at least 30)")
    p.add_argument("--quiet-ms", type=int, default=400, help="no chart drawn for this long = settled")
    p.add_argument("--cache", action="store_true", help="keep the server's result cache between changes")
    p.add_argument("--no-cold-start", action="store_true")
    args = p.parse_args()
    from playwright.sync_api import sync_playwright

    from playground.ui import DECODE_CONCURRENCY, ModelStore, build_demo
    from playground.ui.common.runtime import configure_threads
    from playground.ui.server import serve

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        cold = None if args.no_cold_start else cold_start(browser)
        configure_threads(DECODE_CONCURRENCY)
        store = ModelStore.discover()
        url, demo = serve(build_demo(store), ports=range(7940, 7960))
        try:
            rows = run_changes(browser, url, store, args)
        finally:
            demo.close()
            browser.close()
    print(f"Interaction latency in headless Chromium ({args.changes} changes per row; result cache "
          f"{'kept' if args.cache else 'cleared before every change'})")
    print(f"machine: {machine(torch_threads())}\n")
    ok = True
    out = []
    for strategy, slider, latencies, redrawn in rows:
        p50, p95 = percentile(latencies, 50), percentile(latencies, 95)
        ok &= p50 <= P50_MS and p95 <= P95_MS
        out.append([strategy, slider, str(len(latencies)), f"{p50:.0f}", f"{p95:.0f}", f"{max(latencies):.0f}",
                    redrawn, "yes" if p50 <= P50_MS and p95 <= P95_MS else "NO"])
    print(table(["strategy", "slider", "changes", "p50 ms", "p95 ms", "max ms", "charts redrawn",
                 f"p50 <= {P50_MS}, p95 <= {P95_MS}"], out))
    if cold is not None:
        up, first = cold
        ok &= first <= COLD_S
        print(f"\ncold start (python app.py -> first chart drawn): {first:.1f} s "
              f"({'within' if first <= COLD_S else 'OVER'} the {COLD_S} s target); the server accepted "
              f"connections after {up:.1f} s, the page took {first - up:.1f} s")
    print(f"\ntargets: {'hold' if ok else 'do NOT all hold'}")
    return 0


def torch_threads() -> int:
    import torch

    return torch.get_num_threads()


def sequence(values: list, current: str, n: int) -> list:
    """``n`` values cycling through ``values``, none equal to the one before it (the first differs from the
    slider's ``current`` value): a change to the same value redraws nothing."""
    out, i = [], 0
    while len(out) < n:
        value = values[i % len(values)]
        i += 1
        if float(value) != float(out[-1] if out else current):
            out.append(value)
    return out


def shown_steps(store, strategy: str) -> int:
    """How many steps the step slider has for WORD's best output (the page's own computation)."""
    from playground.ui.common.controls import UiParams
    from playground.ui.explore.handlers import render_views, run_decode

    params = UiParams(strategy="greedy") if strategy == "greedy" else UiParams(strategy="beam", beam_width=5)
    return render_views(run_decode(store, store.default, WORD, params)).steps


def run_changes(browser, url: str, store, args) -> list:
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(url)
    page.wait_for_selector("#plot-tree .main-svg", timeout=60_000)
    page.wait_for_function(HOOK, timeout=30_000)
    page.locator("#text textarea").fill(WORD)
    page.wait_for_function("w => document.querySelector('#summary').innerText.includes(w)", arg=WORD)
    rows = []
    for strategy in ("greedy", "beam 5"):
        page.locator("#strategy label", has_text="greedy" if strategy == "greedy" else "beam search").first.click()
        if strategy == "beam 5":
            page.locator("#beam-width").wait_for(state="visible")
            change(page, "beam-width", 5, args.quiet_ms)
        page.wait_for_timeout(1000)
        steps = shown_steps(store, strategy)
        step_values = list(range(1, steps + 1)) + list(range(steps - 1, 1, -1))  # 1..n..2, bouncing
        if strategy == "greedy":  # lengths that cut the 10-symbol output: every change alters the charts
            decode_slider, decode_values = "max-length", list(range(2, steps))
        else:  # alpha 0.05 .. 2.0 in an order that jumps around, each value once (41 values on the slider)
            decode_slider, decode_values = "length-penalty", [round(0.05 * (1 + (7 * i) % 40), 2) for i in range(40)]
        for slider, values, clear in (("step", step_values, False), (decode_slider, decode_values, True)):
            latencies, redrawn = [], set()
            for value in sequence(values, page.locator(f"#{slider} input[type=number]").input_value(), args.changes):
                if clear and not args.cache:
                    store.clear_cache()
                latency, charts = change(page, slider, value, args.quiet_ms)
                latencies.append(latency)
                redrawn.add(len(charts))
            rows.append((strategy, slider, latencies, "/".join(map(str, sorted(redrawn)))))
            if slider == "max-length":
                change(page, "max-length", 32, args.quiet_ms)
    page.close()
    return rows


if __name__ == "__main__":
    raise SystemExit(main())
