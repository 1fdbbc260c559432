"""The Learn lesson on the logit lens (analysis/logit_lens.py): most output symbols are already the favourite after
the first decoder layer; a hard one only at the last. With its predict-first question (question.py).

Same contract as lesson_demos.py: ``(model, text) -> Demo``, deterministic. Source: nostalgebraist 2020,
"interpreting GPT: the logit lens" (each layer's residual stream through the final norm and the output layer).
"""

from __future__ import annotations

from types import MappingProxyType

import numpy as np

from playground.analysis.lesson_demos import Demo, Panel, Series, run, shown
from playground.analysis.logit_lens import lens_of, unavailable
from playground.analysis.question import Question, pick

SHOWN = 5  # symbols in the hard step's panel


def decided_at(chosen_rank: np.ndarray) -> int:
    """The first layer (1-based) from which the token taken is the favourite (rank 1) at every layer above:
    (L,) ranks -> 1..L (the last layer's favourite is what greedy takes, so at most L)."""
    first = len(chosen_rank)
    while first > 0 and chosen_rank[first - 1] == 1:
        first -= 1
    return first + 1


def logit_lens_late(model, text: str) -> Demo:
    """The lens along greedy's output: from which layer each symbol is the favourite, and at the step decided
    latest, each layer's distribution over its most probable symbols."""
    reason = unavailable(model)
    if reason:
        return Demo(key="logit_lens_late", holds=False, numbers={"layers": 0}, panels=(), summary=reason)
    greedy = run(model, text)
    h = greedy.hypotheses[0]
    ids = [*h.token_ids, model.target_vocab.eos_id] if h.finished else list(h.token_ids)
    lens = lens_of(model, greedy.trace.source, ids)
    symbols = greedy.trace.target_symbols
    decided = [decided_at(s.chosen_rank) for s in lens.steps]
    t = int(np.argmax(decided))  # the step decided latest (the first of them)
    step, layers = lens.steps[t], lens.layers
    low = int(step.top_ids[0, 0])  # the first layer's favourite there
    cols = step.columns[:SHOWN]
    panels = (Panel(title=f"Step {t + 1} ({symbols[step.token]}): p read from each layer",
                    categories=tuple(symbols[int(c)] for c in cols), value_title="probability",
                    series=tuple(Series(name=f"layer {i + 1}", values=tuple(float(p) for p in step.probs[i, :SHOWN]))
                                 for i in range(layers))),
              Panel(title="Each output symbol: the layer from which it is the favourite",
                    categories=tuple(f"{i + 1}·{symbols[s.token]}" for i, s in enumerate(lens.steps)),
                    series=(Series(name="layer", values=tuple(float(d) for d in decided)),), value_title="layer",
                    category_title="output position·symbol", counts=True))
    early = sum(d == 1 for d in decided)
    holds = layers >= 2 and decided[t] == layers and early * 2 >= len(decided)
    return Demo(key="logit_lens_late", holds=holds, panels=panels,
                numbers={"layers": layers, "step": t + 1, "symbol": symbols[step.token], "decided_at": decided[t],
                         "early": early, "symbols": len(decided), "first_layer_favourite": symbols[low],
                         "first_layer_p": float(step.top_probs[0, 0])},
                summary=f"Along {shown(model, h.tokens)!r}, {early} of {len(decided)} symbols (</s> included) are "
                        f"the favourite from layer 1 on; {symbols[step.token]} at step {t + 1} only from layer "
                        f"{decided[t]} of {layers} (layer 1 favoured {symbols[low]}, p = {step.top_probs[0, 0]:.2f}).")


def lens_question(demo, word: str) -> Question | None:
    n = demo.numbers
    if not n["layers"]:
        return None
    layers = n["layers"]
    if layers <= 4:
        choices = tuple(f"from layer {i}" for i in range(1, layers)) + (f"only at the last layer ({layers})",)
        right = n["decided_at"] - 1
    else:  # a deep model: thirds
        choices = ("in the lower layers", "in the middle layers", "only in the top layers")
        right = min(2, 3 * (n["decided_at"] - 1) // layers)
    return pick(f"“{word}”: the logit lens reads the Transformer after each of its {layers} decoder layers through "
                f"the output layer. At step {n['step']} the model writes {n['symbol']}. From which layer on is "
                f"{n['symbol']} already the favourite?", choices, right,
                f"{n['symbol']} is the favourite from layer {n['decided_at']} on (layer 1 favoured "
                f"{n['first_layer_favourite']}, p = {n['first_layer_p']:.2f}); {n['early']} of the {n['symbols']} "
                "output symbols are the favourite from layer 1 on.")


DEMOS = MappingProxyType({"logit_lens_late": logit_lens_late})
QUESTIONS = MappingProxyType({"logit_lens_late": lens_question})
