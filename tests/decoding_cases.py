"""Hand-computable scripted models and an exhaustive reference ranking, shared by the strategy tests."""

from __future__ import annotations

import itertools
import math

from playground.decoding.scripted import ScriptedModel

# Greedy / beam width 1 take "a" (0.6) and end with "ac" (0.6 * 0.34 = 0.204); the most probable output
# is "b" (0.4 * 0.9 = 0.36). Beam width 2 finds it.
BEAM_MISSES = ScriptedModel(target_symbols="abcd", table={
    "": {"a": 0.6, "b": 0.4},
    "a": {"c": 0.34, "d": 0.33, "</s>": 0.33},
    "ac": {"</s>": 1.0},
    "ad": {"</s>": 1.0},
    "b": {"</s>": 0.9, "c": 0.1},
})

# A short and a long candidate: "a" has p = 0.4 (log -0.916, L = 2 with </s>), "bc" has
# p = 0.35 * 0.9 * 0.9 = 0.2835 (log -1.261, L = 3). Raw log-prob prefers "a"; L^1 prefers "bc"
# (-0.458 vs -0.420); GNMT alpha=1 still prefers "a" (-0.785 vs -0.946), GNMT alpha=3 prefers "bc".
SHORT_OR_LONG = ScriptedModel(target_symbols="abc", table={
    "": {"a": 0.4, "b": 0.35, "</s>": 0.25},
    "a": {"</s>": 1.0},
    "b": {"c": 0.9, "</s>": 0.1},
    "bc": {"</s>": 0.9, "a": 0.1},
    "bca": {"</s>": 1.0},
})


# Two members of an ensemble that disagree on the first symbol: A prefers a (0.6), B b (0.8). Their mixture is
# a 0.4 / b 0.6 and their (renormalised) product a 0.380 / b 0.620: the ensemble says b, as B does.
MEMBER_A = ScriptedModel(target_symbols="ab", table={"": {"a": 0.6, "b": 0.4}, "a": {"</s>": 1.0}, "b": {"</s>": 1.0}})
MEMBER_B = ScriptedModel(target_symbols="ab", table={"": {"a": 0.2, "b": 0.8}, "a": {"</s>": 1.0}, "b": {"</s>": 1.0}})


def exhaustive(model: ScriptedModel, max_length: int) -> list[tuple[list[str], float]]:
    """Every output that ends with </s> within max_length tokens and has p > 0, with its exact log-prob,
    most probable first."""
    symbols = model.target_vocab.content_symbols
    out = []
    for length in range(max_length):  # content tokens; </s> makes it length + 1
        for seq in itertools.product(symbols, repeat=length):
            ids = model.target_vocab.encode(list(seq)) + [model.target_vocab.eos_id]
            probs = [float(model.probs(tuple(ids[:t]))[tok]) for t, tok in enumerate(ids)]
            if min(probs) > 0:
                out.append((list(seq), sum(math.log(p) for p in probs)))
    return sorted(out, key=lambda item: -item[1])


# branching (analysis/branch.py, the Explore service): greedy says "ac" (0.6 x 0.7 x 1); forcing "b" at step 2
# ends "ab" at once (</s> 1.0)
BRANCHING = ScriptedModel(target_symbols="abc", table={
    "": {"a": 0.6, "b": 0.3, "c": 0.1},
    "a": {"c": 0.7, "b": 0.2, "</s>": 0.1},
    "ac": {"</s>": 1.0},
    "b": {"b": 0.8, "</s>": 0.2},
    "bb": {"</s>": 1.0},
    "ab": {"</s>": 1.0},
})
