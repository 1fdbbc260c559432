"""Learn lessons load instantly: the first open computes a lesson, every later open comes from the memo.

    python benchmarks/lessons.py                 # every lesson on the shipped checkpoints (~2 min)

1. In process, the Learn tab's own handler code (ui/tabs/learn.py ``show`` and ``reveal``) on a memo like the
   tab's (analysis/lesson_cache.py): the very first open (it computes that lesson and starts the background
   warm-up of the others), then, once the warm-up is done, each lesson opened ``--repeats`` times predict-first,
   whole, and answered: the handler's time, p50 and max per lesson. Beside it, what computing each lesson costs
   (``learn_view.compute``: the demonstration, its question, chart and JSON), which is what the memo saves.
2. Over HTTP, the served app (shipped checkpoints) through gradio_client: the first /lesson call, then, after one
   call per lesson (the warm-up), ``--repeats`` rounds per lesson of /lesson_question (the question as JSON),
   /lesson (text, formula, the chart, and the JSON file, which gradio_client downloads in a second request) and
   a floor app's one queued endpoint that returns its input: what gradio_client and the queue cost anyway, so that
   "question - floor" is about the lesson's own share of a round trip.

Target (issue 24): every open after the first <= 100 ms server time (the handler's time, table 1).
"""

from __future__ import annotations

import statistics
import time
from functools import partial
from types import SimpleNamespace

from common import machine, ms, parser, table, timed

TARGET_S = 0.100


def in_process(store, repeats: int) -> tuple[float, list[list[str]], float]:
    """-> the first open's seconds, a row per lesson, the worst later open's seconds."""
    from playground.analysis.lesson_cache import LessonMemo
    from playground.analysis.lessons import LESSONS
    from playground.ui.tabs import learn
    from playground.ui.tabs import learn_view as view

    tab = SimpleNamespace(memo=LessonMemo(lambda key, name: view.compute(store, key, name)))
    first, _ = timed(lambda: learn.show(store, tab, LESSONS[0].key, True))
    tab.memo.join()
    rows, worst = [], 0.0
    for lesson in LESSONS:
        name = view.model_for(store, lesson)
        compute, _ = timed(partial(view.compute, store, lesson.key, name))
        calls = (partial(learn.show, store, tab, lesson.key, True), partial(learn.show, store, tab, lesson.key, False),
                 partial(learn.reveal, store, tab, lesson.key, 0))
        times = [timed(call)[0] for _ in range(repeats) for call in calls]
        worst = max(worst, max(times))
        rows.append([lesson.key, name, ms(compute), str(len(times)), f"{1000 * statistics.median(times):.3f}",
                     ms(max(times))])
    return first, rows, worst


def floor_app():
    """The floor: a served Blocks whose one queued endpoint returns its input (gradio_client's round trip)."""
    import gradio as gr

    def echo(key: str) -> str:
        return key

    with gr.Blocks() as floor:
        gr.api(echo, api_name="echo")
    return floor


def over_http(store, repeats: int) -> tuple[float, list[list[str]]]:
    """-> the first /lesson call's seconds, a row per lesson: /lesson_question, /lesson and the floor app called in
    turn (a host that gets busier or quieter during the run moves all three)."""
    from gradio_client import Client

    from playground.analysis.lessons import LESSONS
    from playground.ui import build_demo
    from playground.ui.server import serve

    url, demo = serve(build_demo(store), ports=range(7980, 7990))
    floor_url, floor = serve(floor_app(), ports=range(7990, 8000))
    try:
        client, echo = Client(url, verbose=False), Client(floor_url, verbose=False)
        first, _ = timed(lambda: client.predict(LESSONS[0].key, api_name="/lesson"))
        for lesson in LESSONS:  # (each waits for the warm-up's computation of it, or does it)
            client.predict(lesson.key, api_name="/lesson")
        rows = []
        for lesson in LESSONS:
            times: dict = {"question": [], "lesson": [], "floor": []}
            for _ in range(repeats):
                times["question"].append(timed(partial(client.predict, lesson.key, api_name="/lesson_question"))[0])
                times["lesson"].append(timed(partial(client.predict, lesson.key, api_name="/lesson"))[0])
                times["floor"].append(timed(partial(echo.predict, lesson.key, api_name="/echo"))[0])
            p50 = {k: statistics.median(v) for k, v in times.items()}
            rows.append([lesson.key, str(repeats), ms(p50["question"]), ms(max(times["question"])), ms(p50["lesson"]),
                         ms(p50["floor"]), ms(p50["question"] - p50["floor"])])
        return first, rows
    finally:
        demo.close()
        floor.close()


def main() -> int:
    p = parser(__doc__.split("\n\n")[0])
    p.set_defaults(repeats=10)
    args = p.parse_args()
    import torch

    from playground.ui import ModelStore

    torch.set_num_threads(args.threads)
    store = ModelStore.discover()
    print(f"Learn lessons on {', '.join(store.models)}\nmachine: {machine(args.threads)}\n")
    start = time.perf_counter()
    first, rows, worst = in_process(store, args.repeats)
    print(f"1. in process, the tab's handlers: first open {ms(first)} ms (computes it, starts the warm-up)\n")
    print(table(["lesson", "model", "computing it (ms)", "later opens", "p50 (ms)", "max (ms)"], rows))
    verdict = "holds" if worst <= TARGET_S else "does not hold"
    print(f"\nevery later open (predict-first, whole, answered) <= {ms(TARGET_S)} ms: {verdict} "
          f"(worst {ms(worst)} ms)\n")
    first, rows = over_http(store, args.repeats)
    print(f"2. over HTTP through gradio_client: the first /lesson call {ms(first)} ms\n")
    print(table(["lesson", "calls", "/lesson_question p50 (ms)", "max (ms)", "/lesson p50 (ms)", "floor p50 (ms)",
                 "question - floor (ms)"], rows))
    print(f"\n({time.perf_counter() - start:.0f} s in all)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
