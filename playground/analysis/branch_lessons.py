"""Learn lessons on branching (analysis/branch.py): force the model's runner-up at its closest call and let greedy
decoding go on. Sometimes only that symbol changes, the rest follows as before (the model recovers); sometimes the
rest changes too (the forced symbol sends it down another reading of the word). One procedure, two words, one
predict-first question (question.py) whose answer differs.

Same contract as lesson_demos.py: ``(model, text) -> Demo``, deterministic. Sources: a decoder trained with teacher
forcing never sees its own mistakes, so one wrong symbol can compound ("exposure bias": Bengio et al. 2015,
Scheduled Sampling, NeurIPS; Ranzato et al. 2016, Sequence Level Training with RNNs, ICLR).
"""

from __future__ import annotations

from types import MappingProxyType

from rapidfuzz.distance import Levenshtein

from playground.analysis.alternatives import alternatives
from playground.analysis.branch import branch_prefix, run_branch
from playground.analysis.lesson_demos import TOP, Demo, Panel, Series, run, sequence_panel, shown
from playground.analysis.question import Question, pick
from playground.analysis.whatif import references
from playground.decoding.config import DecodeConfig
from playground.models.vocab import EOS


def closest_call(trace, hypothesis) -> tuple[int, dict] | None:
    """(output position t, 1-based; its alternatives entry) where the runner-up symbol (not </s>) is the most
    probable along ``hypothesis``; None when no position has a runner-up."""
    best = None
    for entry in alternatives(trace, hypothesis)[:len(hypothesis.tokens)]:
        others = [a for a in entry.get("top", []) if a["token"] not in (entry["token"], EOS)]
        if others and (best is None or others[0]["p"] > best[1]["runner_up"]["p"]):
            best = (entry["position"], {**entry, "runner_up": others[0]})
    return best


def forced_branch(model, text: str) -> dict | None:
    """Greedy, then the branch that forces the runner-up at the closest call: the numbers and both outputs."""
    greedy = run(model, text)
    h = greedy.hypotheses[0]
    found = closest_call(greedy.trace, h)
    if found is None:
        return None
    t, entry = found
    prefix = branch_prefix(greedy.trace, h, t, entry["runner_up"]["token"])
    merged = run_branch(model, text, DecodeConfig(), greedy.trace, prefix)
    b = merged.hypotheses[merged.branch.first]
    refs = {tuple(r) for r in references(model, greedy.trace.source)}
    return {"greedy": h, "branch": b, "entry": entry, "numbers": {
        "step": t, "original": entry["token"], "original_p": entry["p"], "forced": entry["runner_up"]["token"],
        "forced_p": entry["runner_up"]["p"], "edits": Levenshtein.distance(list(h.tokens), list(b.tokens)),
        "greedy_log_prob": h.log_prob, "branch_log_prob": b.log_prob,
        "greedy_right": tuple(h.tokens) in refs if refs else None,
        "branch_right": tuple(b.tokens) in refs if refs else None}}


def _demo(key: str, model, text: str, holds) -> Demo:
    found = forced_branch(model, text)
    if found is None:
        return Demo(key=key, holds=False, numbers={"step": 0}, panels=(), summary="The output has no runner-up "
                    "symbol to force.")
    n, entry = found["numbers"], found["entry"]
    top = entry["top"][:TOP]
    fork = Panel(title=f"Step {n['step']}: the model's choice (it took {n['original']}, we force {n['forced']})",
                 categories=tuple(a["token"] for a in top), value_title="probability",
                 series=(Series(name="p at T = 1", values=tuple(float(a["p"]) for a in top)),))
    mark = {True: " ✓", False: " ✗", None: ""}
    rows = [(f"greedy{mark[n['greedy_right']]}", found["greedy"].tokens, n["greedy_log_prob"]),
            (f"forcing {n['forced']} at {n['step']}{mark[n['branch_right']]}", found["branch"].tokens,
             n["branch_log_prob"])]
    return Demo(key=key, holds=holds(n["edits"]), numbers=n,
                panels=(fork, sequence_panel(model, "Before and after forcing: log p(y|x)", rows)),
                summary=f"At step {n['step']} greedy took {n['original']} (p = {n['original_p']:.2f}) over "
                        f"{n['forced']} (p = {n['forced_p']:.2f}). Forcing {n['forced']}: "
                        f"{shown(model, found['greedy'].tokens)!r} becomes {shown(model, found['branch'].tokens)!r}, "
                        f"{n['edits']} edit{'s' if n['edits'] != 1 else ''} apart.")


def branch_recovers(model, text: str) -> Demo:
    """Holds when the branch differs from the original output by the forced symbol only (one edit)."""
    return _demo("branch_recovers", model, text, lambda edits: edits == 1)


def branch_derails(model, text: str) -> Demo:
    """Holds when the rest of the output changes too (two edits or more)."""
    return _demo("branch_derails", model, text, lambda edits: edits >= 2)


def branch_question(demo, word: str) -> Question | None:
    n = demo.numbers
    if not n["step"]:
        return None
    return pick(f"“{word}”: at step {n['step']} the model hesitated between {n['original']} "
                f"(p = {n['original_p']:.2f}) and {n['forced']} (p = {n['forced_p']:.2f}) and took {n['original']}. "
                f"We force {n['forced']} there and let greedy decoding go on. What happens to the rest of the output?",
                ("it follows as before: only the forced symbol differs", "it changes too"),
                int(n["edits"] >= 2),
                f"The output with {n['forced']} forced is {n['edits']} edit{'s' if n['edits'] != 1 else ''} away "
                f"from the original (log p {n['branch_log_prob']:.3f} against {n['greedy_log_prob']:.3f}).")


DEMOS = MappingProxyType({"branch_recovers": branch_recovers, "branch_derails": branch_derails})
QUESTIONS = MappingProxyType({"branch_recovers": branch_question, "branch_derails": branch_question})
