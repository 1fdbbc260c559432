"""Reading a Trace along one hypothesis: which step row produced which token, and how to label it.

Every view follows the *selected* hypothesis (the best one unless the user picks another), so that
under beam search the step distribution, attention and uncertainty all describe the same output.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from playground.models.vocab import SPECIALS
from playground.ui.common.ipa import ARPABET_TO_IPA, to_ipa


@dataclass(frozen=True)
class PathStep:
    t: int  # output position (0-based): the slider value
    node: int  # the node holding the token produced at t
    token: int  # target-vocab id of that token
    step: int | None  # index into trace.steps of the expansion that produced it (None: not recorded)
    row: int  # row of that step's (H, V) arrays


def shown_hypotheses(trace) -> list:
    """The hypotheses the user asked for: the best ``num_return`` of the trace's pool (a beam keeps more)."""
    n = int(trace.config.get("num_return", len(trace.hypotheses)) or 1)
    return trace.hypotheses[:n]


def hypothesis_path(trace, hyp_index: int) -> list[PathStep]:
    """The tokens of hypothesis ``hyp_index`` (</s> included when finished), one PathStep each."""
    if not trace.hypotheses:
        return []
    hyp = trace.hypotheses[min(max(hyp_index, 0), len(trace.hypotheses) - 1)]
    path = trace.path(hyp.node)  # root .. last node
    out = []
    for t, (parent, node) in enumerate(zip(path[:-1], path[1:], strict=True)):
        where = trace.step_row(parent)
        out.append(PathStep(t=t, node=node, token=trace.nodes[node].token,
                            step=None if where is None else where[0], row=0 if where is None else where[1]))
    return out


def is_arpabet(symbols) -> bool:
    """True if the content symbols look like ARPAbet phonemes (then outputs get an IPA rendering)."""
    content = [s for s in symbols if s not in SPECIALS]
    return bool(content) and all(s.rstrip("012") in ARPABET_TO_IPA for s in content)


def readable(tokens, arpabet: bool, max_chars: int = 48) -> str:
    """'K ER N AH L  /kɚnəl/' for phonemes, 'colonel' for spellings; long outputs are cut with '…'."""
    if not tokens:
        return "(empty)"
    if not arpabet:
        text = "".join(tokens)
    elif is_arpabet(tokens) and not any(t in SPECIALS for t in tokens):
        text = f"{' '.join(tokens)}  /{to_ipa(tokens)}/"
    else:  # an untrained model can emit <s> or <pad> mid-sequence: no IPA for that
        text = " ".join(tokens)
    return text if len(text) <= max_chars else text[: max_chars - 1] + "…"


def row_probs(trace, ps: PathStep) -> dict[str, np.ndarray] | None:
    """The (V,) distributions of the row that produced ``ps.token``, or None if it was not recorded."""
    if ps.step is None or not trace.steps:
        return None
    s = trace.steps[ps.step]
    return {
        "p1": np.exp(s.log_probs[ps.row]).astype(np.float32),  # model at T=1
        "temperature": s.probs_temperature[ps.row],
        "filtered": s.probs_filtered[ps.row],
        "entropy": float(s.entropy[ps.row]),
        "entropy_temperature": float(s.entropy_temperature[ps.row]),
        "entropy_filtered": float(s.entropy_filtered[ps.row]),
        "kept": int(s.kept[ps.row]),
    }
