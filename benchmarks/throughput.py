"""Benchmark: decoding many inputs at once, words per second by strategy and batch size (traces off).

    python benchmarks/throughput.py                    # the standard test split (11,994 words), 2 threads
    python benchmarks/throughput.py --limit 2000       # a quicker look

Decodes the words with ``decode_many`` (greedy; beam 5 with early stopping and alpha = 1, as evaluate.py does)
at several batch sizes, and one word at a time (batch 1, on the first --unbatched-limit words: the old path's
speed). Every batched output is compared with the unbatched one where both exist, and the WER of every batch
size is printed: batching must change no output. Targets (the whole split, 2 threads): beam 5 <= 60 s,
greedy <= 15 s.
"""

from __future__ import annotations

from common import machine, parser, setup, table, timed

SEARCHES = {"greedy": dict(strategy="greedy"),
            "beam 5": dict(strategy="beam", beam_width=5, early_stopping=True, length_penalty=1.0)}
TARGET_S = {"greedy": 15.0, "beam 5": 60.0}


def main() -> int:
    p = parser(__doc__.split("\n")[0])
    p.set_defaults(threads=2)
    p.add_argument("--batch-sizes", type=int, nargs="+", default=[64, 256, 512])
    p.add_argument("--limit", type=int, default=0, help="the first N words of the split (0: all)")
    p.add_argument("--unbatched-limit", type=int, default=500, help="words decoded one at a time, to compare")
    args = p.parse_args()
    model = setup(args)
    from playground.decoding import DecodeConfig, decode_many
    from playground.training import data
    from playground.training.metrics import error_rates

    lexicon = data.load_lexicon()
    items = data.eval_items(data.make_splits(lexicon, data.load_test_words()).test, "g2p")[: args.limit or None]
    texts, refs = ["".join(src) for src, _ in items], [r for _, r in items]
    decode_many(model, texts[:64], DecodeConfig(record_trace=False))  # warm-up
    rows, verdicts = [], []
    for name, knobs in SEARCHES.items():
        config = DecodeConfig(**knobs, max_length=48, record_trace=False)
        n1 = min(args.unbatched_limit, len(texts))
        seconds, single = timed(lambda: decode_many(model, texts[:n1], config, batch_size=1))  # noqa: B023
        single = [tuple(r.hypotheses[0].tokens) for r in single]
        rows.append([name, "1", str(n1), f"{seconds:.1f}", f"{n1 / seconds:.0f}", f"{len(texts) * seconds / n1:.0f}",
                     "-", "(reference)"])
        for size in args.batch_sizes:
            seconds, results = timed(lambda: decode_many(model, texts, config, batch_size=size))  # noqa: B023
            outputs = [tuple(r.hypotheses[0].tokens) for r in results]
            differ = sum(a != b for a, b in zip(outputs[:n1], single, strict=True))
            wer = error_rates(outputs, refs)["wer"]
            rows.append([name, str(size), str(len(texts)), f"{seconds:.1f}", f"{len(texts) / seconds:.0f}",
                         f"{seconds:.1f}", f"{wer:.2%}", f"{differ} of {n1}"])
            verdicts.append((name, size, seconds, differ))
    print(f"decode_many over {len(texts)} standard test words (G2P), traces off")
    print(f"machine: {machine(args.threads)}\n")
    print(table(["search", "batch", "words", "seconds", "words/s", "s for all words", "WER",
                 "outputs differing from batch 1"], rows))
    for name, target in TARGET_S.items():
        best = min((s, size) for n, size, s, _ in verdicts if n == name)
        whole = " (the whole split)" if not args.limit else f" ({len(texts)} words only)"
        print(f"\n{name}: fastest {best[0]:.1f} s at batch {best[1]}{whole}; target <= {target:g} s: "
              f"{'holds' if best[0] <= target else 'does NOT hold'}")
    print(f"every batched output equals the unbatched one: {'yes' if all(d == 0 for *_, d in verdicts) else 'NO'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
