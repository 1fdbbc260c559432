"""Where the cold start's time goes: each phase of ``python app.py`` in a fresh process, then the page.

    python benchmarks/cold_start.py                 # 3 fresh processes

Each run is a new Python process that does what app.py does, timing each phase: import torch, import
gradio, import the playground's UI, find and load the checkpoints, build the page (this includes the first
decode and its views), launch the server. Then headless Chromium opens the page and waits for the first
chart (the Explore tree, as benchmarks/browser.py's cold start does). Benchmark 4's target (python app.py ->
first chart drawn <= 10 s) is printed against the sum. For scale, the same page measurement is made on a
minimal Gradio app (one small Plotly chart and nothing else, served from this process after the runs): the
floor that importing gradio and loading Gradio's own page put under any app on this machine.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

from browser import ARGS, CHROMIUM, COLD_S, free_port
from common import ROOT, machine, parser, percentile, table

PHASES = ("import torch", "import gradio", "import playground.ui", "load checkpoints", "build the page",
          "launch")
# runs in the fresh process: prints the phase times as JSON, then serves until killed
CHILD = """
import json, sys, time
marks = [time.perf_counter()]
import torch; marks.append(time.perf_counter())
import gradio; marks.append(time.perf_counter())
from playground.ui import DECODE_CONCURRENCY, ModelStore, build_demo, launch_kwargs
from playground.ui.common.runtime import configure_threads
marks.append(time.perf_counter())
configure_threads(DECODE_CONCURRENCY)
store = ModelStore.discover(); marks.append(time.perf_counter())
demo = build_demo(store); marks.append(time.perf_counter())
demo.launch(prevent_thread_lock=True, quiet=True, **launch_kwargs()); marks.append(time.perf_counter())
print(json.dumps([b - a for a, b in zip(marks, marks[1:])]), flush=True)
demo.block_thread()
"""


def one_run(browser) -> list[float]:
    """Seconds per phase, then the page's (goto -> first chart)."""
    port = free_port()
    env = {**os.environ, "GRADIO_SERVER_NAME": "127.0.0.1", "GRADIO_SERVER_PORT": str(port)}
    proc = subprocess.Popen([sys.executable, "-c", CHILD], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, text=True)
    try:
        phases = json.loads(proc.stdout.readline())
        page = browser.new_page()
        start = time.perf_counter()
        page.goto(f"http://127.0.0.1:{port}/")
        page.wait_for_selector("#plot-tree .main-svg", timeout=60_000)
        page.close()
        return phases + [time.perf_counter() - start]
    finally:
        proc.terminate()
        proc.wait(timeout=15)


def minimal_page(browser, repeats: int) -> list[float]:
    """Seconds from opening a minimal Gradio app (one bar chart) to its chart drawn, ``repeats`` times."""
    import gradio as gr
    import plotly.graph_objects as go

    from playground.ui.server import serve

    with gr.Blocks() as demo:
        gr.Plot(go.Figure(go.Bar(x=list("abc"), y=[1, 2, 3])), elem_id="plot-minimal")
    url, demo = serve(demo, ports=range(7980, 7990))
    try:
        out = []
        for _ in range(repeats):
            page = browser.new_page()
            start = time.perf_counter()
            page.goto(url)
            page.wait_for_selector("#plot-minimal .main-svg", timeout=60_000)
            out.append(time.perf_counter() - start)
            page.close()
        return out
    finally:
        demo.close()


def main() -> int:
    p = parser(__doc__.split("\n")[0])
    args = p.parse_args()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        runs = [one_run(browser) for _ in range(args.repeats)]
        minimal = minimal_page(browser, args.repeats)
        browser.close()
    names = [*PHASES, "page: load -> first chart"]
    columns = list(zip(*runs, strict=True))
    rows = [[name, f"{percentile(col, 50):.2f}", f"{min(col):.2f}", f"{max(col):.2f}"]
            for name, col in zip(names, columns, strict=True)]
    totals = [sum(run) for run in runs]
    rows.append(["total", f"{percentile(totals, 50):.2f}", f"{min(totals):.2f}", f"{max(totals):.2f}"])
    rows.append(["for scale: a minimal Gradio app's page: load -> first chart", f"{percentile(minimal, 50):.2f}",
                 f"{min(minimal):.2f}", f"{max(minimal):.2f}"])
    print(f"Cold start by phase ({args.repeats} fresh processes)")
    from playground.ui import DECODE_CONCURRENCY  # (imported after the runs: the parent stays idle)

    print(f"machine: {machine(max(1, (os.cpu_count() or 1) // DECODE_CONCURRENCY))}\n")
    print(table(["phase", "median s", "min s", "max s"], rows))
    total = percentile(totals, 50)
    print(f"\ntarget (<= {COLD_S} s to the first chart): {'holds' if total <= COLD_S else 'does NOT hold'} "
          f"(median {total:.1f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
