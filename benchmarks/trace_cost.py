"""Benchmark 2: what recording the trace costs: per-word latency with ``record_trace`` on and off.

    python benchmarks/trace_cost.py                 # 30 words x 3 passes, 1 thread

Off still records the search tree's nodes (hypotheses point at them); on adds every step's (H, V) logits,
filtered distributions and attention, converted to numpy at the end. On and off alternate word by word.
Target: on / off <= 1.3 (medians) for every strategy.
"""

from __future__ import annotations

from common import WORDS, machine, ms, parser, percentile, setup, table, timed

STRATEGIES = {
    "greedy": dict(strategy="greedy"),
    "sample top-k 10, top-p 0.9": dict(strategy="sample", top_k=10, top_p=0.9),
    "sample x100": dict(strategy="sample", num_samples=100, num_return=5),
    "beam 5": dict(strategy="beam", beam_width=5, num_return=3),
    "beam 10": dict(strategy="beam", beam_width=10, num_return=3),
    "diverse beam 8/4": dict(strategy="diverse_beam", beam_width=8, num_groups=4, diversity_penalty=0.5),
}
TARGET = 1.3


def main() -> int:
    args = parser(__doc__.split("\n")[0]).parse_args()
    model = setup(args)
    from playground import DecodeConfig, decode

    times = {name: ([], []) for name in STRATEGIES}
    for knobs in STRATEGIES.values():  # warm-up
        for record in (True, False):
            decode(model, WORDS[0], DecodeConfig(**knobs, record_trace=record))
    for r in range(args.repeats):
        for i, word in enumerate(WORDS):
            for name, knobs in STRATEGIES.items():
                order = (True, False) if (i + r) % 2 else (False, True)
                for record in order:
                    seconds, _ = timed(lambda: decode(model, word, DecodeConfig(**knobs, seed=i, record_trace=record)))  # noqa: B023
                    times[name][0 if record else 1].append(seconds)
    rows, ok = [], True
    for name, (on, off) in times.items():
        ratio = percentile(on, 50) / percentile(off, 50)
        ok &= ratio <= TARGET
        rows.append([name, ms(percentile(on, 50)), ms(percentile(on, 95)), ms(percentile(off, 50)),
                     ms(percentile(off, 95)), f"{ratio:.2f}x", "yes" if ratio <= TARGET else "NO"])
    print(f"Trace on vs off: {len(WORDS)} words x {args.repeats} passes, batch 1 (shipped G2P model)")
    print(f"machine: {machine(args.threads)}\n")
    print(table(["strategy", "on p50 ms", "on p95 ms", "off p50 ms", "off p95 ms", "on/off (p50)",
                 f"<= {TARGET:g}x"], rows))
    print(f"\ntarget (on/off <= {TARGET:g}x for every strategy): {'holds' if ok else 'does NOT hold'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
