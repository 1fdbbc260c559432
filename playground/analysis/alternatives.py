"""A token's alternatives: at each output position of a hypothesis, the token taken, its probability at T = 1 and
after the filters, its rank, and the most probable tokens the model offered instead (what token-probability tools
show on hover: llama.cpp's UI, SillyTavern; the results view's token strip and Compare's columns here, and the
trace export).

    alternatives(trace, hypothesis)[t] == {"position": t + 1, "token": "ER", "p": 0.62, "p_filtered": 0.62,
                                          "rank": 0, "top": [{"token": "ER", "p": 0.62, "p_filtered": 0.62}, ...]}

Read from the trace alone: the row that produced each token (its parent's expansion). A large vocabulary's row
keeps its top columns (recorder.py): ranks are counted among them, which holds for every token a search took.
"""

from __future__ import annotations

import math

import numpy as np

from playground.decoding.trace import Hypothesis, Trace

TOP = 5  # alternatives per position


def alternatives(trace: Trace, hypothesis: Hypothesis, top: int = TOP) -> list[dict]:
    """One entry per output position of ``hypothesis`` (</s> included when it finished); a position whose row was
    not recorded (exact search's explored nodes, recording off) has its token's probability only."""
    out = []
    for t, node_id in enumerate(trace.path(hypothesis.node)[1:]):
        node = trace.nodes[node_id]
        entry = {"position": t + 1, "token": trace.target_symbols[node.token], "p": math.exp(node.log_prob)}
        where = trace.step_row(node.parent)
        if where is not None:
            entry.update(row_alternatives(trace, where, node.token, top))
        out.append(entry)
    return out


def row_alternatives(trace: Trace, where: tuple[int, int], token: int, top: int) -> dict:
    """The token's filtered probability and rank in the recorded row ``where`` (step index, row), and the row's
    ``top`` most probable tokens at T = 1."""
    step, row = trace.steps[where[0]], where[1]
    ids = step.columns[row] if step.cut else np.arange(step.log_probs.shape[1])
    p1, filtered = np.exp(step.log_probs[row].astype(np.float64)), step.probs_filtered[row].astype(np.float64)
    order = np.argsort(-p1, kind="stable")
    column = step.column(row, token)
    ranked = [{"token": trace.target_symbols[int(ids[c])], "p": float(p1[c]), "p_filtered": float(filtered[c])}
              for c in order[:top]]
    if column is None:
        return {"rank": None, "p_filtered": None, "top": ranked}
    return {"rank": int((p1 > p1[column]).sum()), "p_filtered": float(filtered[column]), "top": ranked}

