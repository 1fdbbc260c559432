"""Learn lessons on the shipped decoder-only model (models/decoder_only.py): where its layers look while it writes,
and how it differs from the encoder-decoder trained on the same words. With their predict-first questions.

Same contract as lesson_demos.py: ``(model, text) -> Demo``, deterministic; a lesson comparing two models takes the
second as ``partner`` (lesson_base.Lesson.partner). A decoder-only model reads the spelling with the same causal
self-attention it uses to look back at what it wrote (the prompt ``k n i g h t <s>``, then its outputs; Liu et al.
2018, Radford et al. 2019); an encoder-decoder reads it through cross-attention and its own outputs through a
separate self-attention (Vaswani et al. 2017).
"""

from __future__ import annotations

from types import MappingProxyType

import numpy as np

from playground.analysis.lesson_demos import Demo, Panel, Series, run, shown
from playground.analysis.question import Question, pick
from playground.analysis.whatif import references
from playground.decoding.api import score

SPLIT = (0.6, 0.7)  # layers split the work: one puts under 60 % of its attention on the spelling, one over 70 %
BEAM = 5  # the width both models decode with in the comparison (as the models' WER is reported)


def spelling_shares(model, text: str):
    """Greedy's output and, per decoder layer, the share of each output step's attention (mean of the heads) that
    falls on the spelling rather than on <s> and the outputs fed so far: (L, T)."""
    result = run(model, text)
    trace, h = result.trace, result.hypotheses[0]
    layers, _ = trace.attention_heads
    width = len(trace.source)
    shares = np.stack([trace.attention_path(h.node, layer)[:, :width].sum(1) for layer in range(layers)])
    return result, shares


def decoder_only_reads(model, text: str) -> Demo:
    """Where each layer of the decoder-only model looks while it writes: the spelling or what it already wrote."""
    if model.family != "decoder-only":
        return Demo(key="decoder_only_reads", holds=False, numbers={"layers": 0}, panels=(),
                    summary="This lesson needs the playground's decoder-only model (its prompt is the spelling).")
    result, shares = spelling_shares(model, text)
    h = result.hypotheses[0]
    mean = shares.mean(1)  # (L,)
    low, high = int(mean.argmin()), int(mean.argmax())
    written = [*h.tokens, *(["</s>"] if h.finished else [])]
    layers = tuple(f"layer {i + 1}" for i in range(len(mean)))
    panels = (Panel(title="Share of each layer's attention, mean over the output", categories=layers,
                    value_title="share of attention", category_title="decoder layer",
                    series=(Series(name="on the spelling", values=tuple(float(s) for s in mean)),
                            Series(name="on <s> and its own output", values=tuple(float(1 - s) for s in mean)))),
              Panel(title=f"On the spelling, step by step: layer {low + 1} against layer {high + 1}",
                    categories=tuple(f"{i + 1}·{s}" for i, s in enumerate(written)),
                    value_title="share on the spelling", category_title="output position·symbol",
                    series=tuple(Series(name=f"layer {i + 1}", values=tuple(float(s) for s in shares[i]))
                                 for i in (low, high))))
    holds = bool(mean[low] < SPLIT[0] and mean[high] > SPLIT[1])
    return Demo(key="decoder_only_reads", holds=holds, panels=panels,
                numbers={"layers": len(mean), "low_layer": low + 1, "low_share": float(mean[low]),
                         "high_layer": high + 1, "high_share": float(mean[high]),
                         "shares": tuple(round(float(s), 4) for s in mean)},
                summary=f"Writing {shown(model, h.tokens)!r}: layer {low + 1} puts {mean[low]:.0%} of its attention "
                        f"on the spelling (the rest on <s> and the phonemes it wrote), layer {high + 1} "
                        f"{mean[high]:.0%}; by layer: " + ", ".join(f"{s:.0%}" for s in mean) + ".")


def reads_question(demo: Demo, word: str) -> Question | None:
    n = demo.numbers
    if not n["layers"]:
        return None
    return pick(f"“{word}”: the decoder-only model reads the spelling and its own phonemes with one causal "
                f"self-attention. Which of its {n['layers']} layers puts the least of its attention on the spelling "
                "(the most on what it has already written)?",
                tuple(f"layer {i + 1}" for i in range(n["layers"])), n["low_layer"] - 1,
                f"Layer {n['low_layer']}: {n['low_share']:.0%} on the spelling, against {n['high_share']:.0%} for "
                f"layer {n['high_layer']}.")


def decoder_only_vs_encdec(model, text: str, partner=None) -> Demo:
    """The decoder-only model (``model``) and an encoder-decoder (``partner``) on one word, beam 5: their outputs
    against the dictionary, and each model's log-probability of both outputs (does each prefer its own?)."""
    if partner is None or model.family != "decoder-only" or partner.family in ("decoder-only", "hf-causal"):
        return Demo(key="decoder_only_vs_encdec", holds=False, numbers={"compared": False}, panels=(),
                    summary="This lesson compares a decoder-only model with an encoder-decoder of the same task.")
    names = ("encoder-decoder", "decoder-only")
    models = (partner, model)
    outs = [run(m, text, strategy="beam", beam_width=BEAM).hypotheses[0].tokens for m in models]
    refs = {tuple(r) for r in references(model, model.source_vocab.tokenize(text))}
    right = [tuple(o) in refs for o in outs]
    scored = np.array([[float(score(m, text, list(o)).log_prob) for o in outs] for m in models])
    mark = ["✓" if r else "✗" for r in right]
    panels = (Panel(title="log p of each output under each model (beam 5's best of each)",
                    categories=tuple(f"{n}'s {shown(model, o)} {k}" for n, o, k in zip(names, outs, mark, strict=True)),
                    value_title="log p(y|x) (nats)", category_title="output",
                    series=tuple(Series(name=f"{n} model", values=tuple(float(v) for v in scored[i]))
                                 for i, n in enumerate(names))),)
    own = bool(scored[0, 0] >= scored[0, 1] and scored[1, 1] >= scored[1, 0])
    holds = outs[0] != outs[1] and right[0] != right[1] and own
    return Demo(key="decoder_only_vs_encdec", holds=bool(holds), panels=panels,
                numbers={"compared": True, "encdec": " ".join(outs[0]), "deconly": " ".join(outs[1]),
                         "encdec_right": right[0], "deconly_right": right[1], "each_prefers_its_own": own,
                         "log_p": tuple(tuple(round(float(v), 4) for v in row) for row in scored)},
                summary=f"The encoder-decoder says {shown(model, outs[0])!r} {mark[0]}, the decoder-only model "
                        f"{shown(model, outs[1])!r} {mark[1]}. The encoder-decoder gives its own output log p "
                        f"{scored[0, 0]:.2f} and the other's {scored[0, 1]:.2f}; the decoder-only model "
                        f"{scored[1, 1]:.2f} and {scored[1, 0]:.2f}.")


def versus_question(demo: Demo, word: str) -> Question | None:
    n = demo.numbers
    if not n["compared"]:
        return None
    choices = ("both", "only the encoder-decoder", "only the decoder-only model", "neither")
    right = {(True, True): 0, (True, False): 1, (False, True): 2, (False, False): 3}[
        (n["encdec_right"], n["deconly_right"])]
    return pick(f"“{word}”: an encoder-decoder (cross-attention over the spelling) and a decoder-only model (the "
                "spelling as its prompt) were trained on the same dictionary words. With beam search (width 5), "
                "which one pronounces it as the dictionary does?", choices, right,
                f"The encoder-decoder says {n['encdec']}, the decoder-only model {n['deconly']}.")


DEMOS = MappingProxyType({"decoder_only_reads": decoder_only_reads, "decoder_only_vs_encdec": decoder_only_vs_encdec})
QUESTIONS = MappingProxyType({"decoder_only_reads": reads_question, "decoder_only_vs_encdec": versus_question})
PARTNERED = frozenset({"decoder_only_vs_encdec"})  # demonstrations that take a second model (``partner``)
