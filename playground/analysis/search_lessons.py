"""Learn lessons on search objectives: contrastive search's degeneration penalty, and a wider beam that finds a
more probable but wrong output. Each with its predict-first question (question.py).

Same contract as lesson_demos.py: ``(model, text) -> Demo``, deterministic, with the numbers a test asserts on,
chart panels and ``holds``. Sources: contrastive search, Su et al. 2022 (NeurIPS, eq. 5: (1 - α) p(v) - α max_j
cos(h_v, h_j)); more probable is not more correct, Koehn & Knowles 2017 (Six Challenges for NMT, beam size) and
Stahlberg & Byrne 2019 (search errors hiding model errors).
"""

from __future__ import annotations

from types import MappingProxyType

import numpy as np

from playground.analysis.lesson_demos import Demo, Panel, Series, run, sequence_panel, shown
from playground.analysis.question import Question, compare, pick
from playground.analysis.whatif import references
from playground.models.vocab import EOS

ALPHA, K = 0.6, 4  # contrastive search's penalty_alpha and top_k (Hugging Face's usual example values)
WIDE = 10  # the wide beam of beam_curse
MARGIN = 0.01  # the contrastive objective's gap between the two symbols at the departure, beyond rounding


def _mark(correct) -> str:
    return "" if correct is None else (" ✓" if correct else " ✗")


def _departure(a, b) -> int:
    """The first output position (0-based) where token lists ``a`` and ``b`` (</s> appended) differ; -1: equal."""
    a, b = [*a, EOS], [*b, EOS]
    return next((i for i, (x, y) in enumerate(zip(a, b, strict=False)) if x != y), -1)


def _candidates(trace, t: int, alpha: float) -> list[dict]:
    """Contrastive search's k candidates at output position ``t`` of its chain: symbol, p (T = 1), the degeneration
    penalty's max cosine similarity to the context (from the node's objective: ((1 - α) p - score) / α) and the
    objective itself; the one taken first."""
    step = trace.steps[t]
    out = []
    for node_id in step.candidates:
        node = trace.nodes[node_id]
        p = float(np.exp(node.log_prob))
        out.append({"symbol": trace.target_symbols[node.token], "p": p, "score": float(node.score),
                    "similarity": ((1 - alpha) * p - float(node.score)) / alpha, "taken": node.status != "pruned"})
    return sorted(out, key=lambda c: (not c["taken"], -c["p"]))


def contrastive_penalty(model, text: str, alpha: float = ALPHA, k: int = K) -> Demo:
    """Greedy against contrastive search; where they part, each candidate's p, similarity and objective."""
    greedy = run(model, text).hypotheses[0]
    result = run(model, text, strategy="contrastive", top_k=k, penalty_alpha=alpha)
    ours = result.hypotheses[0]
    refs = {tuple(r) for r in references(model, result.trace.source)}
    right = {name: (tuple(h.tokens) in refs) if refs else None for name, h in (("greedy", greedy),
                                                                               ("contrastive", ours))}
    t = _departure(greedy.tokens, ours.tokens)
    rows = [(f"greedy{_mark(right['greedy'])}", greedy.tokens, greedy.log_prob),
            (f"contrastive{_mark(right['contrastive'])}", ours.tokens, ours.log_prob)]
    panels = [sequence_panel(model, "The two outputs: log p(y|x)", rows)]
    numbers = {"same": t < 0, "greedy_log_prob": greedy.log_prob, "contrastive_log_prob": ours.log_prob,
               "greedy_right": right["greedy"], "contrastive_right": right["contrastive"], "alpha": alpha, "k": k}
    summary = (f"Greedy says {shown(model, greedy.tokens)!r}{_mark(right['greedy'])} (log p {greedy.log_prob:.3f}); "
               f"contrastive search (k = {k}, α = {alpha:g}) says {shown(model, ours.tokens)!r}"
               f"{_mark(right['contrastive'])} (log p {ours.log_prob:.3f}).")
    if t < 0:
        return Demo(key="contrastive_penalty", holds=False, numbers=numbers, panels=tuple(panels), summary=summary)
    cands = _candidates(result.trace, t, alpha)
    taken, favourite = cands[0], max(cands, key=lambda c: c["p"])
    numbers.update(step=t + 1, taken=taken["symbol"], favourite=favourite["symbol"], taken_p=taken["p"],
                   favourite_p=favourite["p"], taken_similarity=taken["similarity"],
                   favourite_similarity=favourite["similarity"], gap=taken["score"] - favourite["score"])
    panels.insert(0, Panel(title=f"Step {t + 1}: the {len(cands)} candidates (taken first)",
                           categories=tuple(c["symbol"] for c in cands), value_title="value",
                           category_title="candidate symbol",
                           series=(Series(name="p (model confidence)", values=tuple(c["p"] for c in cands)),
                                   Series(name="max cos similarity to the context",
                                          values=tuple(c["similarity"] for c in cands)),
                                   Series(name="objective (1-α)p - α·sim", values=tuple(c["score"] for c in cands)))))
    summary += (f" At step {t + 1} greedy's {favourite['symbol']} has p = {favourite['p']:.2f} but similarity "
                f"{favourite['similarity']:.2f} to the context; {taken['symbol']} has p = {taken['p']:.2f} and "
                f"similarity {taken['similarity']:.2f}, so it scores higher.")
    return Demo(key="contrastive_penalty", holds=taken["symbol"] != favourite["symbol"] and numbers["gap"] > MARGIN,
                numbers=numbers, panels=tuple(panels), summary=summary)


def contrastive_question(demo, word: str) -> Question | None:
    n = demo.numbers
    why = (f"Greedy's output has log p = {n['greedy_log_prob']:.3f}, contrastive search's "
           f"{n['contrastive_log_prob']:.3f}.")
    if not n["same"]:
        why += (f" At step {n['step']} {n['favourite']} (p = {n['favourite_p']:.2f}, similarity "
                f"{n['favourite_similarity']:.2f}) lost to {n['taken']} (p = {n['taken_p']:.2f}, similarity "
                f"{n['taken_similarity']:.2f}).")
    return pick(f"“{word}”: contrastive search takes, of the {n['k']} most probable symbols at each step, the one "
                f"with the best (1 − α)·p − α·(its similarity to what came before), α = {n['alpha']:g}. What does "
                "it output, compared with greedy decoding?",
                ("the same as greedy", "another output, more probable", "another output, less probable"),
                1 if n["same"] else (0 if n["contrastive_log_prob"] > n["greedy_log_prob"] else 2), why)


def beam_curse(model, text: str, width: int = WIDE) -> Demo:
    """Greedy's output is the dictionary's; a beam of ``width`` finds a more probable output that is not."""
    greedy = run(model, text)
    beam = run(model, text, strategy="beam", beam_width=width, num_return=3, length_penalty_formula="none")
    refs = {tuple(r) for r in references(model, greedy.trace.source)}
    g, b = greedy.hypotheses[0], beam.hypotheses[0]
    right = {"greedy": tuple(g.tokens) in refs if refs else None, "beam": tuple(b.tokens) in refs if refs else None}
    rows = [(f"greedy{_mark(right['greedy'])}", g.tokens, g.log_prob)]
    rows += [(f"beam #{i + 1}{_mark(tuple(h.tokens) in refs if refs else None)}", h.tokens, h.log_prob)
             for i, h in enumerate(beam.hypotheses)]
    holds = bool(right["greedy"]) and right["beam"] is False and b.log_prob > g.log_prob + 1e-3
    return Demo(key="beam_curse", holds=holds,
                numbers={"greedy": g.log_prob, "beam": b.log_prob, "greedy_right": right["greedy"],
                         "beam_right": right["beam"], "width": width},
                summary=f"Greedy says {shown(model, g.tokens)!r}{_mark(right['greedy'])} (log p {g.log_prob:.3f}); "
                        f"beam search with width {width} finds {shown(model, b.tokens)!r}{_mark(right['beam'])} "
                        f"(log p {b.log_prob:.3f}).",
                panels=(sequence_panel(model, f"Greedy vs beam search (width {width}): log p(y|x)", rows),))


def beam_curse_question(demo, word: str) -> Question | None:
    n = demo.numbers
    if n["greedy_right"] is None:  # no dictionary entry: right and wrong are unknown
        return None
    text = (f"“{word}”: greedy decoding, then beam search with width {n['width']} (it keeps the {n['width']} most "
            "probable prefixes at each step). Which of the two outputs is the dictionary's pronunciation?")
    right = {(True, True): 0, (True, False): 1, (False, True): 2, (False, False): 3}[n["greedy_right"],
                                                                                      n["beam_right"]]
    relation = ("more", "as", "less")[compare(n["beam"], n["greedy"])]
    return pick(text, ("both", "only greedy's", "only beam search's", "neither"), right,
                f"Greedy's output (log p {n['greedy']:.3f}) is {'right' if n['greedy_right'] else 'wrong'}; beam "
                f"search's ({n['beam']:.3f}, {relation} probable) is {'right' if n['beam_right'] else 'wrong'}.")


DEMOS = MappingProxyType({"contrastive_penalty": contrastive_penalty, "beam_curse": beam_curse})
QUESTIONS = MappingProxyType({"contrastive_penalty": contrastive_question, "beam_curse": beam_curse_question})
