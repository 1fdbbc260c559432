"""Learn demonstrations that need a particular kind of model: a Transformer's attention heads, an ensemble.

Same contract as lesson_demos.py: ``(model, text) -> Demo``, deterministic, with the numbers a test asserts on,
chart panels and ``holds``. Sources: multi-head attention, Vaswani et al. 2017 (section 3.2.2); ensembles,
Dietterich 2000, and for sequence-to-sequence models Sutskever et al. 2014 (an ensemble of five LSTMs).
"""

from __future__ import annotations

from types import MappingProxyType

import numpy as np

from playground.analysis.lesson_demos import TOP, Demo, Panel, Series, run, sequence_panel, shown
from playground.analysis.whatif import references

SPREAD = 0.5  # the share of steps at which a layer's heads must not all look at one letter
APART = 3  # ... and at the step shown, at least this many different letters (or one per head, with fewer heads)


def heads_differ(model, text: str) -> Demo:
    """In the decoder layer whose heads disagree most often, the step where most heads look at different letters:
    each head's attention over the input there, and how focused (entropy) each head is on average."""
    trace = run(model, text).trace
    layers, heads = trace.attention_heads
    if heads < 2:
        return Demo(key="heads_differ", holds=False, numbers={"heads": heads}, panels=(),
                    summary="This model has one attention per step: there are no heads to compare.")
    node = trace.hypotheses[0].node
    weights = np.stack([[trace.attention_path(node, layer, head) for head in range(heads)]
                        for layer in range(layers)])  # (L, H, T, S)
    peaks = weights.argmax(-1)  # (L, H, T) the most attended source position of each head at each step
    distinct = np.array([[len(set(peaks[lay, :, t])) for t in range(peaks.shape[2])] for lay in range(layers)])
    share = (distinct > 1).mean(1)  # (L,) steps where the heads do not all look at one letter
    layer = int(share.argmax())
    step = int(distinct[layer].argmax())
    entropy = -(weights[layer] * np.log(np.clip(weights[layer], 1e-12, None))).sum(-1).mean(-1)  # (H,) nats
    source = [f"{i + 1}·{s}" for i, s in enumerate(trace.source)]
    symbol = trace.target_symbols[trace.nodes[trace.path(node)[step + 1]].token]
    panels = (Panel(title=f"Layer {layer + 1}, step {step + 1} ({symbol}): where each head looks",
                    categories=tuple(source), value_title="attention weight",
                    category_title="input letter (position·letter)",
                    series=tuple(Series(name=f"head {h + 1}", values=tuple(float(w) for w in weights[layer, h, step]))
                                 for h in range(heads))),
              Panel(title=f"Layer {layer + 1}: how focused each head is (mean over the output)",
                    categories=tuple(f"head {h + 1}" for h in range(heads)), value_title="attention entropy (nats)",
                    category_title="head",
                    series=(Series(name="entropy", values=tuple(float(e) for e in entropy)),)))
    holds = bool(share[layer] >= SPREAD and distinct[layer, step] >= min(APART, heads))
    looked = ", ".join(f"head {h + 1}: {source[p]}" for h, p in enumerate(peaks[layer, :, step]))
    return Demo(key="heads_differ", holds=holds, panels=panels,
                numbers={"layer": layer + 1, "step": step + 1, "distinct_letters": int(distinct[layer, step]),
                         "share_of_steps": float(share[layer]), "entropy_min": float(entropy.min()),
                         "entropy_max": float(entropy.max())},
                summary=f"In layer {layer + 1} the {heads} heads look at different letters at "
                        f"{share[layer]:.0%} of the steps; at step {step + 1} ({symbol}) {looked}. Mean entropy per "
                        f"head {entropy.min():.2f} to {entropy.max():.2f} nats.")


def ensemble_fixes(model, text: str, refs=None) -> Demo:
    """An ensemble's greedy output is a dictionary answer although a member's alone is not: the outputs, and the
    members' and the ensemble's distributions at the first step where the wrong member goes astray.
    ``refs``: the right outputs (token tuples); by default the dictionary's."""
    if model.family != "ensemble":
        return Demo(key="ensemble_fixes", holds=False, numbers={"members": 0}, panels=(),
                    summary="This model is not an ensemble.")
    ensemble = run(model, text)
    refs = {tuple(r) for r in (references(model, ensemble.trace.source) if refs is None else refs)}
    alone = [run(member, text).hypotheses[0] for member in model.members]
    best = ensemble.hypotheses[0]
    wrong = [i for i, h in enumerate(alone) if tuple(h.tokens) not in refs]
    right = tuple(best.tokens) in refs

    def mark(tokens) -> str:
        return "✓" if tuple(tokens) in refs else "✗"

    def said(name, tokens) -> str:
        return f"{name} {shown(model, tokens)!r} {mark(tokens)}"

    names, hyps = [*model.member_names, "ensemble"], [*alone, best]
    rows = [(f"{name} {mark(h.tokens)}", h.tokens, h.log_prob) for name, h in zip(names, hyps, strict=True)]
    panels = [sequence_panel(model, "Greedy output of each model", rows,
                             "log p(y|x) under its own model")]
    if wrong:
        panels.append(_astray_panel(model, ensemble.trace, alone[wrong[0]].tokens, best.tokens))
    return Demo(key="ensemble_fixes", holds=right and bool(wrong), panels=tuple(panels),
                numbers={"members": len(alone), "wrong_members": len(wrong), "ensemble_right": right},
                summary="Alone: " + "; ".join(said(n, h.tokens) for n, h in zip(names[:-1], alone, strict=True))
                        + f". Together: {said('the ensemble', best.tokens)}.")


def _astray_panel(model, trace, wrong_tokens, tokens) -> Panel:
    """Every member's and the ensemble's next-symbol probabilities at the first step where ``wrong_tokens``
    leave the ensemble's ``tokens`` (read from the ensemble's recorded step: its members' log-probs)."""
    t = next((i for i, (a, b) in enumerate(zip(wrong_tokens, tokens, strict=False)) if a != b),
             min(len(tokens), len(wrong_tokens)))  # (one is a prefix of the other: it goes astray at its end)
    step = trace.steps[min(t, len(trace.steps) - 1)]
    p_ensemble = np.exp(step.log_probs[0].astype(np.float64))
    order = np.argsort(-p_ensemble, kind="stable")[:TOP]
    series = [Series(name=name, values=tuple(float(np.exp(step.member_log_probs[0, m, j])) for j in order))
              for m, name in enumerate(model.member_names)]
    series.append(Series(name="ensemble", values=tuple(float(p_ensemble[j]) for j in order)))
    return Panel(title=f"Step {t + 1}: each model's next symbol", categories=tuple(trace.target_symbols[j]
                                                                                  for j in order),
                 series=tuple(series), value_title="probability")


DEMOS = MappingProxyType({f.__name__: f for f in (heads_differ, ensemble_fixes)})
