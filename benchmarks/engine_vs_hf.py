"""Benchmark 1: per-input decode latency of the engine (full traces) against Hugging Face ``generate()``.

    python benchmarks/engine_vs_hf.py                   # 30 words x 3 passes, 1 thread, then the HF rows
    python benchmarks/engine_vs_hf.py --repeats 1 --bart-layers 2
    python benchmarks/engine_vs_hf.py --only-hf --hf-inputs 10 --hf-steps 20
    python benchmarks/engine_vs_hf.py --only-hf --hf-models "BART 50k"   # only that row (issue 20, item 7)

Table 1, different models. Ours: ``decode(model, word, config)`` on the shipped G2P checkpoint, batch 1,
``record_trace=True`` (the whole Trace is built: every step's logits, filtered distributions, attention, every
node). Theirs: ``BartForConditionalGeneration.generate`` with ``output_scores``, ``output_logits``,
``output_attentions`` and ``return_dict_in_generate`` on a BART built from a config with random weights
(no download), sized at run time to the loaded model's parameter count (within 2%), fed a source of the
same length, made to generate exactly as many tokens as our decode took steps for that word
(``min_new_tokens = max_new_tokens``) with the same beam width. The two alternate word by word, in one
process, which one goes first alternating too. Needs ``pip install -r requirements-bench.txt``.

Table 2, one model driven two ways (playground/models/hf.py, hf_causal.py): the same transformers model, random
weights from a config, decoded by our engine through the adapter (full trace: every step's top columns, exact
statistics, the attention of every layer and head) and by its own ``generate()`` (scores, logits, attentions
returned), greedy and beam 5 (early stopping on both sides; what our engine never emits suppressed on theirs), batch
1, ``--hf-steps`` tokens at most, ``--hf-inputs`` inputs ``--repeats`` times (the drivers alternate which goes
first, input by input). Every output is checked to be the same token sequence (and for beams the same score). The
models (hf_models.py): the tests' tiny BART, an opus-mt-sized Marian, "BART 50k" and "GPT-2 50k" (decoder-only,
a 12-token prompt); the two 50k rows always write 24 tokens (checked) and their target (issue 20, item 7; issue
22, item 5) is ours >= 0.95x generate's speed, greedy and beam 5; the other rows keep the older 1.5x target.

What a profile shows (pyinstrument and timed loops, one thread). Both drivers spend most of each step in the same
library code, the decoder stack and the output projection, and the adapter calls exactly that code. Tiny BART:
the library's decoder call alone costs ~0.6 ms a step (a bare loop of decoder calls, no search: ~12 ms for 20
steps); ``generate`` adds ~0.3 ms a step of its own (logits processors, stopping criteria, output bookkeeping);
our engine adds ~0.4 ms (processing and the search ~0.25, the adapter's cache wrapping ~0.05, the trace ~0.1).
Opus-mt-sized Marian: a step is ~20 ms, half of it the output projection, which reads 512 x 58,101 float32
weights (119 MB) per step at memory speed, the same for both drivers; ``generate`` adds ~1 ms a step, and our
full trace ~1.5 ms per recorded row: every row's exact full-vocabulary statistics (softmaxes and entropies before
and after temperature, kept-set size, the top-50 selection and the mass outside it) are a dozen passes over
58,101 values, which ``generate`` does not compute (it returns raw scores). So with the library's own modules
doing the model's work, a driver can only save what ``generate`` spends around them, (decoder + generate's
overhead) / (decoder + ours) is at most ~1.3x even for a zero-cost engine on the tiny model and ~1.05x on the
realistic one: the 1.5x target does not hold, and the table says by how much (ours is a little slower, the
price of the trace).
"""

from __future__ import annotations

from common import WORDS, machine, ms, parser, percentile, setup, table, timed
from hf_models import CAUSAL_PROMPT, hf_models

STRATEGIES = {  # name -> (our DecodeConfig fields, their generate() fields)
    "greedy": (dict(strategy="greedy"), dict(do_sample=False, num_beams=1)),
    "sample top-k 10, top-p 0.9": (dict(strategy="sample", top_k=10, top_p=0.9),
                                   dict(do_sample=True, top_k=10, top_p=0.9, num_beams=1)),
    "beam 5": (dict(strategy="beam", beam_width=5), dict(do_sample=False, num_beams=5)),
    "beam 10": (dict(strategy="beam", beam_width=10), dict(do_sample=False, num_beams=10)),
}
TARGET = 5.0  # ours at least 5x faster
HF_TARGET = 1.5  # the same HF model: ours at least 1.5x faster than its own generate() (tiny BART, Marian)
LARGE_VOCAB_TARGET = 0.95  # "BART 50k": ours at least 0.95x generate()'s speed (issue 20, item 7)
HF_STRATEGIES = {  # name -> (our DecodeConfig fields, their generate() fields): the same search on both sides
    "greedy": (dict(strategy="greedy"), dict(num_beams=1)),
    "beam 5": (dict(strategy="beam", beam_width=5, early_stopping=True), dict(num_beams=5, early_stopping=True)),
}


def bart_config(d_model: int, layers: int, vocab_size: int):
    from transformers import BartConfig

    heads = 4 if d_model % 4 == 0 else 1
    return BartConfig(vocab_size=vocab_size, d_model=d_model, encoder_layers=layers, decoder_layers=layers,
                      encoder_attention_heads=heads, decoder_attention_heads=heads, encoder_ffn_dim=4 * d_model,
                      decoder_ffn_dim=4 * d_model, max_position_embeddings=128, pad_token_id=0, bos_token_id=1,
                      eos_token_id=2, decoder_start_token_id=1, forced_bos_token_id=None, forced_eos_token_id=None,
                      dropout=0.0, attention_dropout=0.0, activation_dropout=0.0, attn_implementation="eager")


def matched_bart(target_params: int, layers: int, vocab_size: int):
    """A BART with ``layers`` encoder and decoder layers and d_model (a multiple of 8) chosen so that its
    parameter count is closest to ``target_params``."""
    import torch
    from transformers import BartForConditionalGeneration

    def count(d):
        with torch.device("meta"):
            return sum(p.numel() for p in BartForConditionalGeneration(bart_config(d, layers, vocab_size)).parameters())

    d = min(range(16, 2049, 8), key=lambda d: abs(count(d) - target_params))
    torch.manual_seed(0)
    return BartForConditionalGeneration(bart_config(d, layers, vocab_size)).eval()


def main() -> int:
    p = parser(__doc__.split("\n")[0])
    p.add_argument("--bart-layers", type=int, default=1, help="encoder and decoder layers (ours: 1 and 1)")
    p.add_argument("--only-hf", action="store_true", help="only table 2 (one HF model, two drivers)")
    p.add_argument("--hf-inputs", type=int, default=10, help="table 2: inputs per model")
    p.add_argument("--hf-steps", type=int, default=20, help="table 2: output tokens at most (BART 50k: always 24)")
    p.add_argument("--hf-models", default="", help="table 2: only the models whose names contain this (e.g. 50k)")
    args = p.parse_args()
    model = setup(args)
    if not args.only_hf:
        g2p_table(args, model)
    hf_table(args)
    return 0


def g2p_table(args, model) -> None:
    """Table 1: the shipped G2P model (ours) against a BART of the same size (theirs)."""
    import torch

    from playground import DecodeConfig, decode

    vocab = max(len(model.source_vocab), len(model.target_vocab))
    bart = matched_bart(model.num_parameters(), args.bart_layers, vocab)
    ours_n, theirs_n = model.num_parameters(), sum(p.numel() for p in bart.parameters())

    def ours(word, knobs, seed):
        return decode(model, word, DecodeConfig(**knobs, seed=seed))

    @torch.no_grad()
    def theirs(src_len, steps, knobs):
        ids = torch.randint(3, vocab, (1, src_len))
        out = bart.generate(input_ids=ids, attention_mask=torch.ones_like(ids), max_new_tokens=steps,
                            min_new_tokens=steps, output_scores=True, output_logits=True, output_attentions=True,
                            return_dict_in_generate=True, **knobs)
        assert out.sequences.shape[1] == steps + 1 and len(out.scores) == steps  # + the start token
        return out

    times = {name: ([], []) for name in STRATEGIES}
    for knobs, hf in STRATEGIES.values():  # warm-up: first calls fill caches and allocator pools
        result = ours(WORDS[0], knobs, 0)
        theirs(len(result.trace.source), 1 + max(s.t for s in result.trace.steps), hf)
    for r in range(args.repeats):
        for i, word in enumerate(WORDS):
            for name, (knobs, hf) in STRATEGIES.items():
                mine = []
                run_ours = lambda: mine.append(timed(lambda: ours(word, knobs, i)))  # noqa: B023
                if (i + r) % 2:
                    run_ours()
                src_len = len(model.source_vocab.tokenize(word))
                # the number of steps our decode took is needed first: when HF goes first, decode once untimed
                steps_of = mine[0][1] if mine else ours(word, knobs, i)
                steps = 1 + max(s.t for s in steps_of.trace.steps)
                t_theirs, _ = timed(lambda: theirs(src_len, steps, hf))  # noqa: B023
                if not mine:
                    run_ours()
                times[name][0].append(mine[0][0])
                times[name][1].append(t_theirs)
    rows = []
    ok = True
    for name, (a, b) in times.items():
        ratio = percentile(b, 50) / percentile(a, 50)
        ok &= ratio >= TARGET
        rows.append([name, ms(percentile(a, 50)), ms(percentile(a, 95)), ms(percentile(b, 50)),
                     ms(percentile(b, 95)), f"{ratio:.1f}x", "yes" if ratio >= TARGET else "NO"])
    print(f"Engine vs Hugging Face generate(): {len(WORDS)} words x {args.repeats} passes, batch 1, full traces")
    print(f"ours: {ours_n:,} parameters; BART ({args.bart_layers}+{args.bart_layers} layers, "
          f"d_model {bart.config.d_model}): {theirs_n:,} parameters")
    print(f"machine: {machine(args.threads)}\n")
    print(table(["strategy", "ours p50 ms", "ours p95 ms", "HF p50 ms", "HF p95 ms", "speed-up (p50)",
                 f">= {TARGET:g}x"], rows))
    print(f"\ntarget (ours >= {TARGET:g}x faster for every strategy): {'holds' if ok else 'does NOT hold'}")



# --- table 2: one Hugging Face model, driven by our engine and by its own generate() ------------------------------
def hf_table(args) -> None:
    """Table 2: each model's inputs decoded by both drivers, alternating which goes first; outputs compared."""
    import random

    from playground.models.hf import HFSeq2Seq
    from playground.models.hf_causal import HFCausalLM

    rows, verdicts = [], {}
    for name, bench in hf_models(args.hf_models).items():
        model = (HFCausalLM if bench.causal else HFSeq2Seq)(bench.model, bench.tokenizer, name=name)
        words = model.source_vocab.content_symbols
        rng = random.Random(0)
        texts = [" ".join(rng.choice(words) for _ in range(bench.words or rng.randint(8, 16)))
                 for _ in range(args.hf_inputs)]
        steps = bench.steps or args.hf_steps
        target = HF_TARGET if bench.steps is None else LARGE_VOCAB_TARGET
        for strategy, (knobs, theirs) in HF_STRATEGIES.items():
            times, same = drive_both(model, texts, knobs, theirs, steps, repeats=args.repeats,
                                     exact=bench.steps is not None)
            ratio = percentile(times[1], 50) / percentile(times[0], 50)
            verdicts.setdefault(target, []).append(ratio >= target and same)
            bare = times[2] and percentile(times[2], 50)  # greedy: the adapter alone, no engine
            rows.append([name, strategy, str(steps), ms(percentile(times[0], 50)),
                         ms(percentile(times[0], 95)), ms(percentile(times[1], 50)), ms(percentile(times[1], 95)),
                         f"{ratio:.2f}x", ms(bare) if bare else "-",
                         f"{percentile(times[1], 50) / bare:.2f}x" if bare else "-", "yes" if same else "NO",
                         f">= {target:g}x: {'yes' if ratio >= target else 'NO'}"])
    print(f"\nOne Hugging Face model, two drivers: {args.hf_inputs} inputs of 8-16 words (GPT-2 50k: a "
          f"{CAUSAL_PROMPT}-token prompt) x {args.repeats} passes, batch 1; ours with the full trace, theirs with "
          "scores, logits and attentions returned")
    print(f"machine: {machine(args.threads)}\n")
    print(table(["model", "strategy", "tokens", "ours p50 ms", "ours p95 ms", "generate p50 ms", "generate p95 ms",
                 "speed-up (p50)", "bare loop p50 ms", "ceiling", "same outputs", "target"], rows))
    print("\ntokens: at most (the 50k rows: exactly, both drivers); bare loop: the adapter's encode and step with an "
          "argmax and nothing else (greedy); ceiling = generate / bare loop, the most any driver of this model could "
          "gain over generate()")
    for target, held in verdicts.items():
        which = ("the 50k rows (issue 20, item 7; issue 22, item 5)" if target == LARGE_VOCAB_TARGET
                 else "tiny BART, Marian")
        print(f"target ({which}: ours >= {target:g}x generate's speed, same outputs): "
              f"{'holds' if all(held) else 'does NOT hold'}")


def drive_both(model, texts: list[str], knobs: dict, theirs: dict, steps: int, *, repeats: int = 1,
               exact: bool = False) -> tuple[tuple[list, list], bool]:
    """Seconds per input for (ours, theirs, the bare adapter loop: greedy only), ``repeats`` passes over ``texts``
    after one warm-up each, and whether every output was the same (``exact``: and ``steps`` tokens long on both
    sides). Which driver goes first alternates input by input, and from one pass to the next."""
    import torch

    from playground import DecodeConfig, decode

    config = DecodeConfig(max_length=steps, **knobs)
    pad, eos = model.target_vocab.pad_id, model.target_vocab.eos_id
    causal = bool(model.config.get("decoder_only"))
    banned = sorted(model.target_vocab.never_generated) if causal else [pad]  # what our engine never writes

    def prompt(text):
        return torch.tensor([model.source_vocab.encode(model.source_vocab.tokenize(text))])

    @torch.no_grad()
    def generate(text):
        src = prompt(text)
        return model.model.generate(input_ids=src, attention_mask=torch.ones_like(src), max_new_tokens=steps,
                                    do_sample=False, suppress_tokens=banned or None, output_scores=True,
                                    output_logits=True, output_attentions=True, return_dict_in_generate=True,
                                    pad_token_id=pad, **theirs)

    @torch.inference_mode()
    def bare(text):  # the floor: the adapter alone, an argmax per step, nothing recorded
        state = model.encode(prompt(text))
        prev, out = torch.tensor([model.target_vocab.bos_id]), []
        for _ in range(steps):
            step = model.step(prev, state)
            logits, state = step.logits, step.state
            logits[:, banned] = float("-inf")
            prev = logits.argmax(-1)
            if int(prev) == eos:
                break
            out.append(int(prev))
        return out

    greedy = knobs.get("strategy") == "greedy"
    decode(model, texts[0], config), generate(texts[0]), greedy and bare(texts[0])
    times, same = ([], [], []), True
    for i, text in enumerate(texts * repeats):
        order = (0, 1, 2) if (i + i // len(texts)) % 2 else (2, 1, 0)
        runs = {0: lambda: decode(model, text, config), 1: lambda: generate(text),  # noqa: B023
                2: lambda: bare(text)}  # noqa: B023
        out = {}
        for side in (s for s in order if greedy or s != 2):
            seconds, out[side] = timed(runs[side])
            times[side].append(seconds)
        same &= not greedy or out[2] == out[0].hypotheses[0].token_ids
        start = len(prompt(text)[0]) if causal else 1  # theirs holds the prompt, or the decoder's start token
        ids = out[1].sequences[0, start:].tolist()
        ids = ids[: ids.index(eos)] if eos in ids else ids
        same &= out[0].hypotheses[0].token_ids == ids
        same &= not exact or len(ids) == steps == out[1].sequences.shape[1] - start
        if "sequences_scores" in out[1] and out[1].sequences_scores is not None:
            same &= abs(out[0].hypotheses[0].score - float(out[1].sequences_scores[0])) < 1e-4
    return times, same


if __name__ == "__main__":
    raise SystemExit(main())
