"""Load benchmark: the app under many concurrent gradio_client sessions, and the server's memory.

    python benchmarks/load.py                       # 2000 /decode requests, 20 sessions, shipped checkpoints
    python benchmarks/load.py --requests 200 --checkpoints some/dir
    python benchmarks/load.py --requests 0 --explore-pages 120   # only the stored-traces bound (issue 21)

The server runs in a subprocess (this file with ``--serve``: the same store, page and launch settings as
app.py, on a loopback port), so its resident memory is read from /proc/<pid>/status alone. After a warm-up
(first requests fill caches: imports, allocator pools, compiled regexes) the benchmark sends ``--requests``
/decode calls with distinct inputs over ``--sessions`` clients, mixing the two models and all six
strategies, and checks that every answer is for the input that was sent. It prints a table and exits 1
on any error, any mixed-up answer, or RSS growth over ``--max-growth-mb`` (issue 7: under 50 MB).

Then (issue 21) the bounds on what the server keeps and computes:
- stored traces: ``--explore-pages`` pages (8 at a time) each decode a distinct 254-word input with beam 16 and
  max length 64 through the Explore tab's server function, on a random 6-layer, 8-head BART built here (each
  trace 9-10 MB, as in the issue); the server reports what its pages keep (service.sessions) and its RSS is read
  every 30 pages. Holds when the kept traces stay within PLAYGROUND_TRACES_MAX_BYTES (``--traces-budget-mb``) and
  the RSS growth within that plus the shared caches' bounds (64 + 64 MB) and 150 MB of allocator slack;
- memory per decode, in a fresh process: a sampling decode at the memory budget over a 256,003-token vocabulary
  (bytes per logit, against budget.BYTES_PER_LOGIT), the refusal of 1000 samples, and the Sample tab's 1000
  samples drawn in batches within the time budget.
"""

from __future__ import annotations

import argparse
import itertools
import json
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


WORDS = tuple("the a cat dog sat on mat big small red blue ran to house tree bird sang song sun moon".split()) + \
    tuple(f"w{i}" for i in range(60))
SPECIALS = ("<s>", "<pad>", "</s>", "<unk>")
WIDE = "wide-bart"  # the Explore phase's model: 6 + 6 layers, 8 heads, random weights, </s> pushed down


def wide_bart(directory: Path) -> Path:
    """A random BART as wide as the issue's (6 + 6 layers, 8 heads; d_model 256 keeps it quick, and the trace's
    size does not depend on it) over a word-level tokenizer of WORDS, saved in ``directory``."""
    import torch
    import transformers
    from tokenizers import Tokenizer, models, pre_tokenizers, processors

    vocab = {t: i for i, t in enumerate(SPECIALS + WORDS)}
    backend = Tokenizer(models.WordLevel(vocab, unk_token="<unk>"))
    backend.pre_tokenizer = pre_tokenizers.Whitespace()
    backend.post_processor = processors.TemplateProcessing(single="<s> $A </s>", special_tokens=[("<s>", 0),
                                                                                                ("</s>", 2)])
    tokenizer = transformers.PreTrainedTokenizerFast(tokenizer_object=backend, bos_token="<s>", pad_token="<pad>",
                                                     eos_token="</s>", unk_token="<unk>")
    config = transformers.BartConfig(
        vocab_size=len(vocab), d_model=256, encoder_layers=6, decoder_layers=6, encoder_attention_heads=8,
        decoder_attention_heads=8, encoder_ffn_dim=1024, decoder_ffn_dim=1024, max_position_embeddings=1024,
        bos_token_id=0, pad_token_id=1, eos_token_id=2, decoder_start_token_id=2, forced_bos_token_id=None,
        forced_eos_token_id=None, init_std=0.3)
    torch.manual_seed(0)
    model = transformers.BartForConditionalGeneration(config).eval()
    with torch.no_grad():
        model.final_logits_bias[0, 2] = -30.0  # </s> never wins: every beam runs to max_length
    model.save_pretrained(directory)
    tokenizer.save_pretrained(directory)
    return directory


def serve_forever(args) -> None:
    """Child mode: what app.py does, on a free loopback port; prints the URL, then serves until killed, printing
    what the Explore tab's pages keep twice a second ("STORED bytes pages")."""
    import tempfile

    from playground.ui import DECODE_CONCURRENCY, ModelStore, build_demo
    from playground.ui.common.runtime import configure_threads
    from playground.ui.server import serve

    configure_threads(DECODE_CONCURRENCY)
    root = Path(args.checkpoints)
    if args.explore_pages:  # the shipped checkpoints and the wide BART, side by side
        root = Path(tempfile.mkdtemp(prefix="load-"))
        for path in Path(args.checkpoints).iterdir():
            (root / path.name).symlink_to(path.resolve())
        wide_bart(root / WIDE)
    demo = build_demo(ModelStore.discover(root))
    url, _ = serve(demo, ports=range(7910, 7940))
    print(f"URL {url}", flush=True)
    sessions = demo.explore_service.sessions
    while True:
        print(f"STORED {sessions.nbytes} {len(sessions)}", flush=True)
        time.sleep(0.5)


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for pid {pid}")


def start_server(args, stored: dict) -> tuple[subprocess.Popen, str]:
    """Start the child and wait for its URL. Retries: a checkpoint being rewritten by training can fail
    to load for a moment. ``stored`` follows the child's STORED lines (bytes, pages; the largest bytes seen)."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "PLAYGROUND_TRACES_MAX_BYTES": str(args.traces_budget_mb * 2**20)}
    command = [sys.executable, __file__, "--serve", "--checkpoints", args.checkpoints,
               "--explore-pages", str(args.explore_pages)]
    for attempt in range(3):
        proc = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, text=True, env=env)
        for line in proc.stdout:
            if line.startswith("URL "):
                # keep reading what the server prints, or a full pipe would block it mid-benchmark
                threading.Thread(target=follow, args=(proc.stdout, stored), daemon=True).start()
                return proc, line.split()[1]
        proc.wait()
        print(f"server failed to start (exit {proc.returncode}), attempt {attempt + 1}", file=sys.stderr)
        time.sleep(5)
    raise SystemExit("the server did not start")


def follow(stream, stored: dict) -> None:
    for line in stream:
        if line.startswith("STORED "):
            nbytes, pages = map(int, line.split()[1:3])
            stored.update(bytes=nbytes, pages=pages, most=max(stored.get("most", 0), nbytes))


def explore_pages(url: str, pages: int, sessions: int, pid: int, stored: dict) -> tuple[list, int]:
    """``pages`` pages, ``sessions`` at a time, each decoding a distinct 254-word input with beam 16 and max length
    64 on WIDE through the Explore server function; (rows after every 30 pages, errors)."""
    import random

    import httpx

    from playground.ui.common.controls import UiParams

    config = httpx.get(f"{url}/config").json()
    header = next(c["id"] for c in config["components"] if c.get("props", {}).get("elem_id") == "explore-header")
    controls = UiParams(strategy="beam", beam_width=16, num_return=16, max_length=64).controls()
    errors = []

    def page(i: int) -> None:
        text = " ".join(random.Random(i).choices(WORDS, k=254))
        body = {"session_hash": f"load{i}", "component_id": header, "fn_name": "explore",
                "data": {"token": f"page-{i}", "model": WIDE, "text": text, **controls, "step": 1}}
        answer = httpx.post(f"{url}/gradio_api/component_server/", json=body, timeout=300).json()
        if "error" in json.loads(answer):
            errors.append(json.loads(answer)["error"])

    rows = [(0, rss_mb(pid), stored.get("bytes", 0), stored.get("pages", 0))]
    with ThreadPoolExecutor(max_workers=sessions) as pool:
        for start in range(0, pages, 30):
            list(pool.map(page, range(start, min(pages, start + 30))))
            time.sleep(1.5)  # (the child reports twice a second)
            rows.append((min(pages, start + 30), rss_mb(pid), stored.get("bytes", 0), stored.get("pages", 0)))
    return rows, len(errors)


def decode_memory() -> None:
    """Child mode (a fresh process, so that its peak RSS is this measurement's alone): memory per decode over a
    256,003-token vocabulary; prints the rows of the table."""
    import resource

    from playground.analysis.sampling import sample_distribution
    from playground.decoding import DecodeConfig, decode
    from playground.decoding.budget import BYTES_PER_LOGIT, MAX_LOGITS_ENV, max_logits
    from playground.decoding.scripted import ScriptedModel

    def peak_mb() -> float:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    symbols = [chr(0x10000 + i) for i in range(256_000)]
    model = ScriptedModel(target_symbols=symbols, table={"": {symbols[0]: 0.5, symbols[1]: 0.3, symbols[2]: 0.2}},
                          hidden={symbols[0]: [1.0]})
    vocab, budget = len(model.target_vocab), max_logits()
    rows = budget // vocab
    decode(model, "ab", DecodeConfig(strategy="sample", num_samples=1, num_return=1))  # (imports, first allocations)
    base = peak_mb()
    decode(model, "ab", DecodeConfig(strategy="sample", num_samples=rows, num_return=rows))
    grown = peak_mb() - base
    print(f"ROW budget|{budget:,} logits ({MAX_LOGITS_ENV}), about {budget * BYTES_PER_LOGIT / 1e6:.0f} MB at "
          f"{BYTES_PER_LOGIT} bytes each")
    print(f"ROW sampling n = {rows} (at the budget)|peak RSS +{grown:.0f} MB = "
          f"{grown * 2**20 / (rows * vocab):.1f} bytes per logit ({rows} x {vocab:,})")
    try:
        decode(model, "ab", DecodeConfig(strategy="sample", num_samples=1000, num_return=1000))
        print("ROW sampling n = 1000|NOT REFUSED")
    except ValueError as e:
        print(f"ROW sampling n = 1000|refused before any step: {str(e)[:110]}...")
    start = time.perf_counter()
    stats = sample_distribution(model, "ab", DecodeConfig(seed=0), 1000)
    print(f"ROW Sample tab, n = 1000|{stats.n} drawn in batches of {rows}, {stats.distinct} distinct, "
          f"{time.perf_counter() - start:.1f} s (time budget 10 s), peak RSS +{peak_mb() - base:.0f} MB")
    print(f"PER_LOGIT {grown * 2**20 / (rows * vocab):.2f} {BYTES_PER_LOGIT}")


def run(url: str, jobs: list[tuple[str, str, list[str], dict]], sessions: int):
    """Send ``jobs`` (model, text, expected source, knobs) over ``sessions`` clients; returns latencies (s),
    errors and wrong answers."""
    from gradio_client import Client

    latencies, errors, wrong = [], [], []

    def session(share):
        # (20 clients fetch the page's config and API description at once: several seconds on a busy 2-core host,
        # beyond httpx's default 5 s)
        client = Client(url, verbose=False, httpx_kwargs={"timeout": 120})
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
    parser.add_argument("--explore-pages", type=int, default=120, help="0: no stored-traces phase")
    parser.add_argument("--traces-budget-mb", type=int, default=256, help="the server's PLAYGROUND_TRACES_MAX_BYTES")
    parser.add_argument("--no-decode-memory", action="store_true", help="skip the memory-per-decode phase")
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--decode-memory-child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve_forever(args)
        return 0
    if args.decode_memory_child:
        decode_memory()
        return 0
    ok = True
    stored: dict = {}
    proc, url = start_server(args, stored)
    try:
        if args.requests:
            ok &= decode_phase(args, proc, url)
        if args.explore_pages:
            ok &= explore_phase(args, proc, url, stored)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
    if not args.no_decode_memory:
        ok &= memory_phase()
    return 0 if ok else 1


def table(rows) -> None:
    width = max(len(k) for k, _ in rows)
    print("\n".join(f"{k:<{width}}  {v}" for k, v in rows))


def decode_phase(args, proc, url) -> bool:
    """Issue 7: /decode under load, RSS growth."""
    rss_start = rss_mb(proc.pid)
    run(url, make_jobs(args.warmup, offset=10_000), args.sessions)
    rss_warm = rss_mb(proc.pid)
    start = time.perf_counter()
    latencies, errors, wrong = run(url, make_jobs(args.requests), args.sessions)
    elapsed = time.perf_counter() - start
    rss_end = rss_mb(proc.pid)
    growth = rss_end - rss_warm
    table([("requests", f"{args.requests} over {args.sessions} sessions ({len(STRATEGIES)} strategies, 2 models)"),
           ("errors", str(len(errors))), ("wrong answers", str(len(wrong))),
           ("wall time", f"{elapsed:.1f} s ({args.requests / elapsed:.1f} requests/s)"),
           ("latency p50", f"{1000 * percentile(latencies, 50):.0f} ms"),
           ("latency p95", f"{1000 * percentile(latencies, 95):.0f} ms"),
           ("latency max", f"{1000 * max(latencies):.0f} ms"),
           ("server RSS", f"{rss_start:.0f} MB at start, {rss_warm:.0f} MB after {args.warmup} warm-up requests, "
                          f"{rss_end:.0f} MB after"),
           ("RSS growth", f"{growth:+.1f} MB (limit {args.max_growth_mb:.0f} MB)")])
    for line in (errors + wrong)[:10]:
        print("  " + line)
    return not errors and not wrong and growth < args.max_growth_mb


def explore_phase(args, proc, url, stored: dict) -> bool:
    """Issue 21: what the Explore tab's pages keep stays within its byte budget, and so does the server's RSS."""
    sessions = 8
    start = time.perf_counter()
    rows, errors = explore_pages(url, args.explore_pages, sessions, proc.pid, stored)
    elapsed = time.perf_counter() - start
    budget = args.traces_budget_mb
    bound = budget + 64 + 64 + 150  # the pages' traces, the shared result and encoding caches, allocator slack
    growth = max(r[1] for r in rows) - rows[0][1]
    print()
    table([("explore pages", f"{args.explore_pages} over {sessions} sessions: {WIDE} (6 + 6 layers, 8 heads), "
                             f"254 words, beam 16, max length 64; {elapsed:.0f} s"),
           ("errors", str(errors)),
           *((f"after {n:>3} pages", f"server RSS {rss:.0f} MB; pages keep {b / 2**20:.0f} MB in {p} traces")
             for n, rss, b, p in rows),
           ("stored traces", f"at most {stored.get('most', 0) / 2**20:.0f} MB kept (budget {budget} MB, "
                             "PLAYGROUND_TRACES_MAX_BYTES)"),
           ("RSS growth", f"{growth:+.0f} MB (bound {bound} MB: traces {budget} + result cache 64 + encodings 64 "
                          "+ 150 slack)")])
    return not errors and stored.get("most", 0) <= budget * 2**20 and growth < bound


def memory_phase() -> bool:
    """Issue 21: memory per decode, measured in a fresh process."""
    out = subprocess.run([sys.executable, __file__, "--decode-memory-child"], cwd=ROOT, capture_output=True,
                         text=True, timeout=900)
    rows = [line[4:].split("|", 1) for line in out.stdout.splitlines() if line.startswith("ROW ")]
    per = next((line.split()[1:] for line in out.stdout.splitlines() if line.startswith("PER_LOGIT")), None)
    print("\nmemory per decode (a scripted model over 256,003 tokens)")
    table(rows or [("failed", out.stderr[-500:])])
    return per is not None and float(per[0]) <= 1.5 * float(per[1]) and "NOT REFUSED" not in out.stdout


if __name__ == "__main__":
    raise SystemExit(main())
