"""Benchmark: the engine at the model's speed. ``decode()`` with the full trace against a bare loop over the model.

    python benchmarks/engine_overhead.py                  # 150 dev words, 3 passes, 1 thread
    python benchmarks/engine_overhead.py --checkpoint checkpoints/g2p-transformer

The bare loops talk to the model through the step protocol and do nothing else: greedy is encode, then
``step`` + argmax until </s>; beam 5 is encode, then one batched ``step`` for the live beams, log_softmax, the
top 2k candidates of the flattened (k, V) scores, finished ones into an n-best pool, the state reordered;
it stops by the engine's own rule (the n-best pool is full and no live beam can still beat its worst), so both
sides run the same number of steps (checked: the table counts the words whose best output differs).
``decode()`` runs with ``record_trace=True`` (every step's logits, filtered distributions and attention).
The two sides alternate word by word. Target: greedy decode <= 1.10x the bare loop (medians of per-word time).
Also printed: ms per encode and ms per model step, measured inside the bare loops, and the model's step in the
bare greedy loop under ``torch.no_grad`` against ``torch.inference_mode`` (which decode() runs under).

The floor, for greedy: ``decode()`` of each word on a model that replays the bare loop's recorded outputs
(encode and step cost nothing), i.e. what the engine itself spends per word with the full trace. Bare loop +
that is the least ``decode()`` could take if the model ran inside it exactly as fast as alone.
"""

from __future__ import annotations

import time

from common import ROOT, machine, ms, parser, percentile, table

TARGET = 1.10
WIDTH, ALPHA = 5, 1.0  # beam 5, length penalty L^1 (HF's default form)


def dev_words(count: int) -> list[str]:
    """The first ``count`` dev words of the standard split (never the test words), in a fixed order."""
    from playground.training.data import load_lexicon, load_test_words, make_splits

    return sorted(make_splits(load_lexicon(), load_test_words()).dev)[::7][:count]


def bare_greedy(model, src, max_length: int, clock: dict) -> list[int]:
    import torch

    vocab = model.target_vocab
    start = time.perf_counter()
    state = model.encode(src)
    clock["encode"].append(time.perf_counter() - start)
    prev, out = torch.tensor([vocab.bos_id]), []
    for _ in range(max_length):
        start = time.perf_counter()
        logits, state = model.step(prev, state)[:2]
        clock["step"].append(time.perf_counter() - start)
        prev = logits.argmax(-1)
        if int(prev) == vocab.eos_id:
            break
        out.append(int(prev))
    return out


def bare_beam(model, src, max_length: int, clock: dict) -> list[int]:
    """Beam search of width WIDTH at batch 1, HF semantics (top 2k candidates; score = log p / L^ALPHA)."""
    import torch

    vocab = model.target_vocab
    start = time.perf_counter()
    state = model.encode(src)
    clock["encode"].append(time.perf_counter() - start)
    prev = torch.tensor([vocab.bos_id])
    cum = torch.zeros(1, dtype=torch.float64)  # (k,) live beams' log-probs
    prefixes: list[list[int]] = [[]]
    pool: list[tuple[float, list[int]]] = []  # (score, tokens), best first
    for t in range(max_length):
        start = time.perf_counter()
        logits, state = model.step(prev, state)[:2]
        clock["step"].append(time.perf_counter() - start)
        scores = (cum[:, None] + torch.log_softmax(logits.double(), -1)).view(-1)  # (k * V,)
        values, index = scores.topk(2 * WIDTH)
        rows, tokens = (index // logits.shape[1]).tolist(), (index % logits.shape[1]).tolist()
        keep_rows, keep_tokens, keep_values = [], [], []
        for rank, (row, token, value) in enumerate(zip(rows, tokens, values.tolist(), strict=True)):
            if token == vocab.eos_id:
                if rank < WIDTH:
                    pool = sorted([*pool, (value / (t + 1) ** ALPHA, prefixes[row])], key=lambda p: -p[0])[:WIDTH]
            elif len(keep_rows) < WIDTH:
                keep_rows.append(row), keep_tokens.append(token), keep_values.append(value)
        best = max(keep_values)
        if len(pool) == WIDTH and max(best / (t + 2) ** ALPHA, best / max_length ** ALPHA) <= pool[-1][0]:
            break
        prefixes = [prefixes[r] + [tok] for r, tok in zip(keep_rows, keep_tokens, strict=True)]
        cum, prev = torch.tensor(keep_values, dtype=torch.float64), torch.tensor(keep_tokens)
        state = model.reorder(state, torch.tensor(keep_rows))
    return pool[0][1] if pool else prefixes[0]


class Replay:
    """The model's recorded greedy outputs, played back through the step protocol: the engine's own cost."""

    def __init__(self, model, tape: list):
        self.source_vocab, self.target_vocab, self.config, self.tape = model.source_vocab, model.target_vocab, {}, tape

    def encode(self, src_ids):
        return 0  # the state is the step index

    def step(self, prev_tokens, t: int):
        logits, attention = self.tape[t]
        return logits, t + 1, attention

    def reorder(self, t: int, index):
        return t


def engine_alone(model, words, repeats: int) -> list[float]:
    """Seconds per word of decode() (greedy, full trace) on a Replay of each word's bare greedy steps."""
    import torch

    from playground import DecodeConfig, decode

    tapes = {}
    with torch.inference_mode():
        for word in words:
            state, prev, tape = model.encode(torch.tensor([model.source_vocab.encode(
                model.source_vocab.tokenize(word))])), torch.tensor([model.target_vocab.bos_id]), []
            for _ in range(DecodeConfig().max_length):
                logits, state, attention = model.step(prev, state)[:3]
                tape.append((logits, attention))
                prev = logits.argmax(-1)
                if int(prev) == model.target_vocab.eos_id:
                    break
            tapes[word] = Replay(model, tape)
    times = []
    for _ in range(repeats + 1):  # (the first pass warms up)
        times = []
        for word in words:
            start = time.perf_counter()
            decode(tapes[word], word, DecodeConfig(strategy="greedy"))
            times.append(time.perf_counter() - start)
    return times


def grad_modes(model, words, repeats: int) -> dict[str, float]:
    """Median ms per model step of the bare greedy loop under torch.no_grad and under torch.inference_mode
    (which decode() uses), alternating word by word: what the mode alone changes in the model's step."""
    import torch

    steps = {"no_grad": [], "inference_mode": []}
    modes = {"no_grad": torch.no_grad, "inference_mode": torch.inference_mode}
    for r in range(repeats + 1):  # (the first pass warms up)
        for i, word in enumerate(words):
            src = torch.tensor([model.source_vocab.encode(model.source_vocab.tokenize(word))])
            for name in (("no_grad", "inference_mode") if (i + r) % 2 else ("inference_mode", "no_grad")):
                clock = {"encode": [], "step": []}
                with modes[name]():
                    bare_greedy(model, src, 32, clock)
                steps[name] += clock["step"] if r else []
    return {name: 1000 * percentile(values, 50) for name, values in steps.items()}


def measure(model, words, repeats: int):
    import torch

    from playground import DecodeConfig, decode

    configs = {"greedy": DecodeConfig(strategy="greedy"),
               "beam 5": DecodeConfig(strategy="beam", beam_width=WIDTH, num_return=1, length_penalty=ALPHA,
                                      length_penalty_formula="length")}
    bare = {"greedy": bare_greedy, "beam 5": bare_beam}
    times = {name: ([], []) for name in configs}
    clocks = {name: {"encode": [], "step": []} for name in configs}
    differ = dict.fromkeys(configs, 0)
    with torch.inference_mode():
        for r in range(repeats):
            for i, word in enumerate(words):
                src = torch.tensor([model.source_vocab.encode(model.source_vocab.tokenize(word))])
                for name, config in configs.items():
                    for side in ((0, 1) if (i + r) % 2 else (1, 0)):
                        start = time.perf_counter()
                        if side == 0:
                            tokens = bare[name](model, src, config.max_length, clocks[name])
                        else:
                            result = decode(model, word, config)
                        times[name][side].append(time.perf_counter() - start)
                    differ[name] += r == 0 and tokens != list(result.hypotheses[0].token_ids)
    return times, clocks, differ


def main() -> int:
    p = parser(__doc__.split("\n")[0])
    p.add_argument("--words", type=int, default=150)
    p.set_defaults(checkpoint=str(ROOT / "checkpoints" / "g2p-bahdanau"))
    args = p.parse_args()
    import torch

    from playground import load_model

    torch.set_num_threads(args.threads)
    model = load_model(args.checkpoint, device="cpu")
    words = dev_words(args.words)
    measure(model, words[:5], 1)  # warm-up
    times, clocks, differ = measure(model, words, args.repeats)
    alone = percentile(engine_alone(model, words, args.repeats), 50)
    rows, ok = [], True
    for name, (bare, engine) in times.items():
        ratio = percentile(engine, 50) / percentile(bare, 50)
        ok &= name != "greedy" or ratio <= TARGET
        rows.append([name, ms(percentile(bare, 50)), ms(percentile(engine, 50)), ms(percentile(engine, 95)),
                     f"{ratio:.2f}x", f"{1000 * percentile(clocks[name]['encode'], 50):.2f}",
                     f"{1000 * percentile(clocks[name]['step'], 50):.2f}", str(differ[name]),
                     ("yes" if ratio <= TARGET else "NO") if name == "greedy" else "(info)"])
    print(f"decode() with the full trace vs a bare loop over the model: {len(words)} dev words x {args.repeats} "
          f"passes, batch 1 ({args.checkpoint}, {model.num_parameters():,} parameters)")
    print(f"machine: {machine(args.threads)}\n")
    print(table(["strategy", "bare p50 ms/word", "decode p50 ms/word", "decode p95", "decode/bare (p50)",
                 "encode ms (p50)", "step ms (p50)", "outputs differ", f"<= {TARGET:g}x"], rows))
    bare = percentile(times["greedy"][0], 50)
    print(f"\nfloor (greedy): the engine alone takes {1000 * alone:.2f} ms/word (decode() on a replay of the "
          f"model's outputs), so decode() can be no faster than (bare + engine alone) / bare = "
          f"{(bare + alone) / bare:.2f}x the bare loop")
    modes = grad_modes(model, words, args.repeats)
    print(f"the model's step in the bare greedy loop: {modes['no_grad']:.3f} ms under torch.no_grad, "
          f"{modes['inference_mode']:.3f} ms under torch.inference_mode (what decode() runs under): "
          f"{1 - modes['inference_mode'] / modes['no_grad']:.0%} less")
    print(f"target (greedy decode/bare <= {TARGET:g}x): {'holds' if ok else 'does NOT hold'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
