"""Load benchmark: the app under many concurrent gradio_client sessions, and the server's memory.

    python benchmarks/load.py                       # 2000 /decode requests, 20 sessions, shipped checkpoints
    python benchmarks/load.py --requests 200 --checkpoints some/dir

The server runs in a subprocess (this file with ``--serve``: the same store, page and launch settings as
app.py, on a loopback port), so its resident memory is read from /proc/<pid>/status alone. After a warm-up
(first requests fill caches: imports, allocator pools, compiled regexes) the benchmark sends ``--requests``
/decode calls with distinct inputs over ``--sessions`` clients, mixing the two models and all six
strategies, and checks that every answer is for the input that was sent. It prints a table and exits 1
on any error, any mixed-up answer, or RSS growth over ``--max-growth-mb`` (issue 7: under 50 MB).
"""

from __future__ import annotations

import argparse
import itertools
import os
import statistics
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run as a script from anywhere: `python benchmarks/load.py`

STRATEGIES = (  # the mix of requests, cycled: every strategy, at the page's usual sizes
    dict(strategy="greedy"),
    dict(strategy="beam", beam_width=5, num_return=3),
    dict(strategy="sample", num_samples=5, num_return=5, temperature=0.8, top_p=0.9),
    dict(strategy="stochastic_beam", beam_width=4, num_return=4),
    dict(strategy="diverse_beam", beam_width=4, num_groups=2, diversity_penalty=0.5, num_return=4),
    dict(strategy="exact", beam_width=2),
)


def spellings():
    """Distinct pronounceable spellings: onset + vowel + coda (3000+ of them)."""
    onsets = "b bl br c ch cl cr d dr f fl fr g gl gr h j k l m n p pl pr qu r s sh sl st t th tr v w wh y z".split()
    codas = ["", "n", "t", "ck", "ll", "nd", "st", "mp", "rt", "sh"]
    return ["".join(p) for p in itertools.product(onsets, "a e i o u ai ea oo ou".split(), codas)]


def phoneme_strings():
    """Distinct ARPAbet inputs (no stress digits, as the shipped P2G model reads them)."""
    onsets = "B D G K P T S M N L R F V Z SH CH JH HH W Y".split()
    vowels = "AA AE AH EH IH IY OW UW AY EY".split()
    return [" ".join(x for x in p if x) for p in itertools.product(onsets, vowels, ["", "T", "N", "S", "K", "L"])]


def serve_forever(args) -> None:
    """Child mode: what app.py does, on a free loopback port; prints the URL, then serves until killed."""
    from playground.ui import DECODE_CONCURRENCY, ModelStore, build_demo
    from playground.ui.common.runtime import configure_threads
    from playground.ui.server import serve

    configure_threads(DECODE_CONCURRENCY)
    url, _ = serve(build_demo(ModelStore.discover(Path(args.checkpoints))), ports=range(7910, 7940))
    print(f"URL {url}", flush=True)
    threading.Event().wait()


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for pid {pid}")


def start_server(args) -> tuple[subprocess.Popen, str]:
    """Start the child and wait for its URL. Retries: a checkpoint being rewritten by training can fail
    to load for a moment."""
    for attempt in range(3):
        proc = subprocess.Popen([sys.executable, __file__, "--serve", "--checkpoints", args.checkpoints], cwd=ROOT,
                                stdout=subprocess.PIPE, text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"})
        for line in proc.stdout:
            if line.startswith("URL "):
                # keep reading what the server prints, or a full pipe would block it mid-benchmark
                threading.Thread(target=proc.stdout.read, daemon=True).start()
                return proc, line.split()[1]
        proc.wait()
        print(f"server failed to start (exit {proc.returncode}), attempt {attempt + 1}", file=sys.stderr)
        time.sleep(5)
    raise SystemExit("the server did not start")


def run(url: str, jobs: list[tuple[str, str, list[str], dict]], sessions: int):
    """Send ``jobs`` (model, text, expected source, knobs) over ``sessions`` clients; returns latencies (s),
    errors and wrong answers."""
    from gradio_client import Client

    latencies, errors, wrong = [], [], []

    def session(share):
        client = Client(url, verbose=False)
        for model, text, expected, knobs in share:
            start = time.perf_counter()
            try:
                out = client.predict(text, model, api_name="/decode", **knobs)
            except Exception as e:  # noqa: BLE001 - every failure is counted and reported
                errors.append(f"{model} {text!r} {knobs}: {type(e).__name__}: {e}")
                continue
            latencies.append(time.perf_counter() - start)
            if out["source"] != expected or out["model"] != model or out["strategy"] != knobs["strategy"]:
                wrong.append(f"asked {model} {text!r}, got {out['model']} {out['source']}")

    with ThreadPoolExecutor(max_workers=sessions) as pool:
        list(pool.map(session, [jobs[i::sessions] for i in range(sessions)]))
    return latencies, errors, wrong


def make_jobs(n: int, offset: int = 0) -> list[tuple[str, str, list[str], dict]]:
    """n distinct requests: 4 of 5 to the G2P model, 1 of 5 to the P2G model, strategies cycled."""
    words, phones = spellings(), phoneme_strings()
    jobs = []
    for i in range(offset, offset + n):
        knobs = STRATEGIES[i % len(STRATEGIES)]
        if i % 5 == 4:
            text = phones[(i // 5) % len(phones)]
            jobs.append(("p2g-luong", text, text.split(), knobs))
        else:
            text = words[(i - i // 5) % len(words)]
            jobs.append(("g2p-bahdanau", text, list(text), knobs))
    return jobs


def percentile(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1] if len(values) > 1 else values[0]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--sessions", type=int, default=20)
    parser.add_argument("--warmup", type=int, default=120, help="requests before the RSS baseline")
    parser.add_argument("--max-growth-mb", type=float, default=50.0)
    parser.add_argument("--checkpoints", default=str(ROOT / "checkpoints"))
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve_forever(args)
        return 0
    proc, url = start_server(args)
    try:
        rss_start = rss_mb(proc.pid)
        run(url, make_jobs(args.warmup, offset=10_000), args.sessions)
        rss_warm = rss_mb(proc.pid)
        start = time.perf_counter()
        latencies, errors, wrong = run(url, make_jobs(args.requests), args.sessions)
        elapsed = time.perf_counter() - start
        rss_end = rss_mb(proc.pid)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
    growth = rss_end - rss_warm
    rows = [("requests", f"{args.requests} over {args.sessions} sessions ({len(STRATEGIES)} strategies, 2 models)"),
            ("errors", str(len(errors))), ("wrong answers", str(len(wrong))),
            ("wall time", f"{elapsed:.1f} s ({args.requests / elapsed:.1f} requests/s)"),
            ("latency p50", f"{1000 * percentile(latencies, 50):.0f} ms"),
            ("latency p95", f"{1000 * percentile(latencies, 95):.0f} ms"),
            ("latency max", f"{1000 * max(latencies):.0f} ms"),
            ("server RSS", f"{rss_start:.0f} MB at start, {rss_warm:.0f} MB after {args.warmup} warm-up requests, "
                           f"{rss_end:.0f} MB after"),
            ("RSS growth", f"{growth:+.1f} MB (limit {args.max_growth_mb:.0f} MB)")]
    width = max(len(k) for k, _ in rows)
    print("\n".join(f"{k:<{width}}  {v}" for k, v in rows))
    for line in (errors + wrong)[:10]:
        print("  " + line)
    return 0 if not errors and not wrong and growth < args.max_growth_mb else 1


if __name__ == "__main__":
    raise SystemExit(main())
