"""Benchmark: the engine at the model's speed. ``decode()`` with the full trace against a bare loop over the model.

    python benchmarks/engine_overhead.py                  # 150 dev words, 3 passes, 1 thread
    python benchmarks/engine_overhead.py --checkpoint checkpoints/g2p-transformer

The bare loops talk to the model through the step protocol and do nothing else: greedy is encode, then
``step`` + argmax until </s>; beam 5 is encode, then one batched ``step`` for the live beams, log_softmax, the
top 2k candidates of the flattened (k, V) scores, finished ones into an n-best pool, the state reordered;
it stops by the engine's own rule (the n-best pool is full and no live beam can still beat its worst), so both
sides run the same number of steps (checked: the table counts the words whose best output differs).
``decode()`` runs with ``record_trace=True`` (every step's logits, filtered distributions and attention).
The two sides alternate word by word. Target (issue 20, item 7): greedy decode <= 1.15x the bare loop (medians of
per-word time).
Also printed: ms per encode and ms per model step, measured inside the bare loops, and the model's step in the
bare greedy loop under ``torch.no_grad`` against ``torch.inference_mode`` (which decode() runs under).

Floors, for greedy (a second table, ms per word and the ratio to the bare loop):
- the recording loop: the bare greedy loop that also keeps every step's logits and attention and summarises
  them once at the end with the recorder's own batched code (columns.summarise). That is the least any decode
  with the full trace adds (no processing, nodes, hypotheses or checks), so it bounds what the target can
  ask of decode();
- the engine alone: ``decode()`` on a model that replays the bare loop's recorded outputs (encode and step
  cost nothing), once on its own and once with the real model's encode and steps run between the engine's
  (their time subtracted): with the model's work between its steps, the engine's own work takes longer than
  alone (the model's weights passing through the caches are the likely reason).
"""

from __future__ import annotations

import dataclasses
import time

from common import ROOT, machine, ms, parser, percentile, table

TARGET = 1.15
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
        step = model.step(prev, state)
        logits, state = step.logits, step.state
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
        step = model.step(prev, state)
        logits, state = step.logits, step.state
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
    """The model's recorded greedy outputs, played back through the step protocol: the engine's own cost.

    ``live`` given (the real model): every encode and step also runs it on the real input (its result discarded,
    its time kept in ``model_s``; a step always feeds <s>, which costs what any token does), so the engine's
    work sits between the model's as in a real decode."""

    def __init__(self, model, tape: list, *, src=None, live=None):
        self.source_vocab, self.target_vocab, self.config, self.tape = model.source_vocab, model.target_vocab, {}, tape
        self.outputs = model.outputs
        self.src, self.live, self.model_s, self._state = src, live, 0.0, None

    def encode(self, src_ids):
        if self.live is not None:
            start = time.perf_counter()
            self._state = self.live.encode(self.src)
            self.model_s += time.perf_counter() - start
        return 0  # the state is the step index

    def step(self, prev_tokens, t: int):
        if self.live is not None:
            import torch

            start = time.perf_counter()
            self._state = self.live.step(torch.tensor([self.target_vocab.bos_id]), self._state).state
            self.model_s += time.perf_counter() - start
        return dataclasses.replace(self.tape[t], state=t + 1)

    def reorder(self, t: int, index):
        return t


def tapes_of(model, words) -> dict:
    """Each word's (source ids, the bare greedy loop's (logits, attention) per step)."""
    import torch

    from playground import DecodeConfig

    out = {}
    with torch.inference_mode():
        for word in words:
            src = torch.tensor([model.source_vocab.encode(model.source_vocab.tokenize(word))])
            state, prev, tape = model.encode(src), torch.tensor([model.target_vocab.bos_id]), []
            for _ in range(DecodeConfig().max_length):
                step = model.step(prev, state)
                state = step.state
                tape.append(dataclasses.replace(step, state=None))
                prev = step.logits.argmax(-1)
                if int(prev) == model.target_vocab.eos_id:
                    break
            out[word] = (src, tape)
    return out


def engine_alone(model, words, repeats: int, *, interleaved: bool) -> list[float]:
    """Seconds per word of decode() (greedy, full trace) on a Replay of each word's bare greedy steps, less
    the real model's time when ``interleaved``."""
    from playground import DecodeConfig, decode

    tapes = tapes_of(model, words)
    times = []
    for _ in range(repeats + 1):  # (the first pass warms up)
        times = []
        for word in words:
            src, tape = tapes[word]
            replay = Replay(model, tape, src=src, live=model if interleaved else None)
            start = time.perf_counter()
            decode(replay, word, DecodeConfig(strategy="greedy"))
            times.append(time.perf_counter() - start - replay.model_s)
    return times


def recording_greedy(model, src, max_length: int) -> list[int]:
    """The least a decode with the full trace can do: the bare greedy loop, keeping every step's logits and
    attention (references), then the recorder's own batched summary of them once (columns.summarise: the
    distributions, entropies, ranks; the attention as float32). No processing, nodes, hypotheses or checks."""
    import torch

    from playground.decoding.columns import finite, summarise
    from playground.decoding.recorder import TRACE_TOP_N

    vocab = model.target_vocab
    state, prev, out, kept = model.encode(src), torch.tensor([vocab.bos_id]), [], []
    for _ in range(max_length):
        step = model.step(prev, state)
        logits, state = step.logits, step.state
        prev = logits.argmax(-1)
        kept.append(dict(logits=logits, temperature_logits=logits, filtered_logits=logits, chosen=prev,
                         members=None, attention=step.attention))
        if int(prev) == vocab.eos_id:
            break
        out.append(int(prev))
    summarise(kept, TRACE_TOP_N)
    finite(torch.cat([k["attention"] for k in kept])).numpy()
    return out


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
    """Per strategy, seconds per word of each side (bare loop, decode(), and for greedy the recording loop),
    the sides alternating word by word; the bare loops' encode / step clocks; words whose outputs differ."""
    import torch

    from playground import DecodeConfig, decode

    configs = {"greedy": DecodeConfig(strategy="greedy"),
               "beam 5": DecodeConfig(strategy="beam", beam_width=WIDTH, num_return=1, length_penalty=ALPHA,
                                      length_penalty_formula="length")}
    bare = {"greedy": bare_greedy, "beam 5": bare_beam}
    sides = {"greedy": ("bare", "decode", "recording"), "beam 5": ("bare", "decode")}
    times = {name: {side: [] for side in sides[name]} for name in configs}
    clocks = {name: {"encode": [], "step": []} for name in configs}
    differ = dict.fromkeys(configs, 0)
    with torch.inference_mode():
        for r in range(repeats):
            for i, word in enumerate(words):
                src = torch.tensor([model.source_vocab.encode(model.source_vocab.tokenize(word))])
                for name, config in configs.items():
                    order = sides[name][(i + r) % len(sides[name]):] + sides[name][:(i + r) % len(sides[name])]
                    for side in order:
                        start = time.perf_counter()
                        if side == "bare":
                            tokens = bare[name](model, src, config.max_length, clocks[name])
                        elif side == "decode":
                            result = decode(model, word, config)
                        else:
                            recording_greedy(model, src, config.max_length)
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
    rows, ok = [], True
    for name, sides in times.items():
        bare, engine = sides["bare"], sides["decode"]
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
    print_floors(model, words, args.repeats, times["greedy"])
    modes = grad_modes(model, words, args.repeats)
    print(f"\nthe model's step in the bare greedy loop: {modes['no_grad']:.3f} ms under torch.no_grad, "
          f"{modes['inference_mode']:.3f} ms under torch.inference_mode (what decode() runs under): "
          f"{1 - modes['inference_mode'] / modes['no_grad']:.0%} less")
    print(f"target (greedy decode/bare <= {TARGET:g}x): {'holds' if ok else 'does NOT hold'}")
    return 0


def print_floors(model, words, repeats: int, greedy: dict) -> None:
    """Greedy, ms per word (p50): the bare loop, the recording loop, decode(), and the engine's own work on a
    replay of the model's outputs, alone and with the model running between its steps."""
    bare = percentile(greedy["bare"], 50)
    hot = percentile(engine_alone(model, words, repeats, interleaved=False), 50)
    between = percentile(engine_alone(model, words, repeats, interleaved=True), 50)
    rows = [["bare loop (argmax, nothing kept)", ms(bare), "1.00x"],
            ["recording loop: bare + every step's logits and attention kept, summarised once at the end",
             ms(percentile(greedy["recording"], 50)), f"{percentile(greedy['recording'], 50) / bare:.2f}x"],
            ["decode(), full trace", ms(percentile(greedy["decode"], 50)),
             f"{percentile(greedy['decode'], 50) / bare:.2f}x"],
            ["the engine alone: decode() on a replay of the model's outputs", f"{1000 * hot:.2f}",
             f"bare + it: {(bare + hot) / bare:.2f}x"],
            ["the same with the real model run between its steps (model time subtracted)", f"{1000 * between:.2f}",
             f"bare + it: {(bare + between) / bare:.2f}x"]]
    print("\nfloors (greedy): the recording loop is the least any decode with the full trace adds to the bare loop\n")
    print(table(["measure", "ms/word (p50)", "x bare loop"], rows))


if __name__ == "__main__":
    raise SystemExit(main())
