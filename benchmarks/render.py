"""Benchmark 6 (issue 6): what a decode costs the server beyond decoding: the views JSON the page draws.

    python benchmarks/render.py                 # "entrepreneur", median of 20 calls, 1 thread

Decodes one word per strategy on the shipped G2P checkpoint (through the page's own ModelStore and
handlers), then times each figure function and the whole ``render_views`` call (the five figures plus
every step's distribution and marks, serialised: playground/ui/step_views.py), at steps t = 0, 1, 2, ...
wrapping. Reports medians of ``--repeats`` calls after a warm-up. The payload column is the views JSON,
what the page receives per decode or hypothesis pick (a step move sends nothing). Target: render_views p50
under 35 ms on the 2-core development machine (so the ~150 ms slider-to-charts budget has room)."""

from __future__ import annotations

import statistics

from common import machine, parser, setup, table, timed

STRATEGIES = {
    "greedy": dict(strategy="greedy"),
    "beam 5": dict(strategy="beam", beam_width=5),
    "sampling x16": dict(strategy="sample", num_return=16, top_k=10, top_p=0.9, seed=0),  # the page: samples = returned
}
TARGET_MS = 35.0


def median_ms(call, arg, steps: int, repeats: int) -> float:
    """Median wall time of ``call(arg, t)`` in ms, t moving like the step slider: 0, 1, 2, ... wrapping."""
    return 1000 * statistics.median(timed(lambda t=i % steps: call(arg, t))[0] for i in range(repeats))


def main() -> int:
    p = parser(__doc__.split("\n")[0])
    p.set_defaults(repeats=20)
    p.add_argument("--word", default="entrepreneur")
    args = p.parse_args()

    from pathlib import Path

    from playground.ui import ModelStore
    from playground.ui.common.controls import UiParams
    from playground.ui.explore.attention import attention_figure
    from playground.ui.explore.distribution import distribution_figure
    from playground.ui.explore.handlers import render_views, run_decode
    from playground.ui.explore.results import results_figure
    from playground.ui.explore.selection import Selection
    from playground.ui.explore.tree import tree_figure
    from playground.ui.explore.uncertainty import uncertainty_figure

    model = Path(args.checkpoint).name
    store = ModelStore({model: setup(args)})  # the page's own store: it also caches decodes, as the page does
    figures = {  # each from a fresh selection, as render_views makes one per call
        "results": lambda tr, t: results_figure(Selection.of(tr)),
        "distribution": lambda tr, t: distribution_figure(Selection.of(tr), t),
        "attention": lambda tr, t: attention_figure(Selection.of(tr), t),
        "tree": lambda tr, t: tree_figure(Selection.of(tr), t),
        "uncertainty": lambda tr, t: uncertainty_figure(Selection.of(tr), t),
    }
    rows, ok = [], True
    for name, knobs in STRATEGIES.items():
        session = run_decode(store, model, args.word, UiParams(**knobs))
        trace, steps = session.trace, max(Selection.of(session.trace).steps, 1)
        for t in range(3):  # warm-up: imports, validator caches
            render_views(session, 0, t)
        cells = [f"{median_ms(fn, trace, steps, args.repeats):.1f}" for fn in figures.values()]
        total = median_ms(lambda s, t: render_views(s, 0, t), session, steps, args.repeats)
        views = render_views(session, 0, 1)
        payload = len(views.step_views)
        ok &= total <= TARGET_MS
        rows.append([name, f"{len(trace.nodes) - 1}", *cells, f"{total:.1f}", f"{payload / 1000:.1f}",
                     "yes" if total <= TARGET_MS else "NO"])
    print(f'render_views for "{args.word}" on {model}: median of {args.repeats} calls, steps 1, 2, 3, ...')
    print(f"machine: {machine(args.threads)}\n")
    print(table(["strategy", "tree nodes", *(f"{f} ms" for f in figures), "render_views ms", "payload KB",
                 f"<= {TARGET_MS:g} ms"], rows))
    print(f"\nTarget (render_views <= {TARGET_MS:g} ms for every strategy): {'holds' if ok else 'does NOT hold'}.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
