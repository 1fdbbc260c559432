"""Benchmark 5: how latency grows with the beam width (1-16) and with the input length.

    python benchmarks/scaling.py                    # 1 thread, 5 runs per point

Beam search (full trace, early_stopping=False as in the page) on one word for widths 1..16, and greedy and
beam 5 on inputs of 2..32 letters. The number of steps a search takes changes with both, so the table
gives the latency per decode and per step. The slope is a least-squares fit of latency against width or
length; the exponent is that of a power law fitted on log-log axes (1 = linear; "no faster than linearly"
means <= 1, with some noise on a shared CPU).
"""

from __future__ import annotations

import math

from common import machine, parser, percentile, setup, table, timed

WIDTHS = (1, 2, 3, 4, 6, 8, 10, 12, 14, 16)
WIDTH_WORD = "photograph"
LENGTH_TEXT = "unbelievablephotographentrepreneurmischievous"  # prefixes of 2..32 letters
LENGTHS = (2, 4, 8, 12, 16, 20, 24, 28, 32)


def fit(xs, ys):
    """Least-squares slope of y on x, and the log-log exponent."""
    n, mx, my = len(xs), sum(xs) / len(xs), sum(ys) / len(ys)
    slope = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / sum((x - mx) ** 2 for x in xs)
    lx, ly = [math.log(x) for x in xs], [math.log(y) for y in ys]
    mlx, mly = sum(lx) / n, sum(ly) / n
    exponent = sum((a - mlx) * (b - mly) for a, b in zip(lx, ly, strict=True)) / sum((a - mlx) ** 2 for a in lx)
    return slope, exponent


def main() -> int:
    p = parser(__doc__.split("\n")[0])
    p.set_defaults(repeats=5)
    args = p.parse_args()
    model = setup(args)
    from playground import DecodeConfig, decode

    def measure(text, config):
        decode(model, text, config)  # warm-up
        runs = [timed(lambda: decode(model, text, config)) for _ in range(args.repeats)]
        steps = len({s.t for s in runs[0][1].trace.steps})
        return percentile([r[0] for r in runs], 50), steps

    print(f"Scaling (shipped G2P model, full trace, median of {args.repeats} runs)")
    print(f"machine: {machine(args.threads)}\n")
    rows, xs, ys, per_step = [], [], [], []
    for width in WIDTHS:
        seconds, steps = measure(WIDTH_WORD, DecodeConfig(strategy="beam", beam_width=width, max_length=48))
        xs.append(width), ys.append(1000 * seconds), per_step.append(1000 * seconds / steps)
        rows.append([str(width), str(steps), f"{1000 * seconds:.1f}", f"{1000 * seconds / steps:.2f}"])
    print(f"Beam width ({WIDTH_WORD!r}, max_length 48)\n")
    print(table(["beam width", "steps", "ms / decode", "ms / step"], rows))
    slope, exponent = fit(xs, ys)
    slope_step, exponent_step = fit(xs, per_step)
    print(f"\nslope {slope:.2f} ms per extra beam (exponent {exponent:.2f}); per step: {slope_step:.3f} ms per "
          f"extra beam (exponent {exponent_step:.2f})\n")
    for name, knobs in (("greedy", dict(strategy="greedy")), ("beam 5", dict(strategy="beam", beam_width=5))):
        rows, xs, ys = [], [], []
        for length in LENGTHS:
            text = LENGTH_TEXT[:length]
            seconds, steps = measure(text, DecodeConfig(**knobs, max_length=64))
            xs.append(length), ys.append(1000 * seconds)
            rows.append([str(length), str(steps), f"{1000 * seconds:.1f}", f"{1000 * seconds / steps:.2f}"])
        print(f"Input length, {name} (prefixes of {LENGTH_TEXT!r}, max_length 64)\n")
        print(table(["input letters", "steps", "ms / decode", "ms / step"], rows))
        slope, exponent = fit(xs, ys)
        print(f"\nslope {slope:.2f} ms per input letter (exponent {exponent:.2f})\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
