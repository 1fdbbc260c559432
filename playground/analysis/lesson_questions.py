"""The predict-first questions of the first eleven Learn lessons (question.py says what a question is).

Each function ``(demo, word) -> Question | None`` reads only ``demo.numbers``, what the lesson's demonstration
(lesson_demos.py, mbr_lesson.py, model_lessons.py) measured on the live model, and derives the right answer from
them; None when the demonstration could not measure it on this model (e.g. attention heads on an RNN). The
question's text names the setting, never the outcome. tests/test_lesson_questions.py recomputes every right
answer through the engine, independently of these functions.
"""

from __future__ import annotations

from types import MappingProxyType

from playground.analysis.question import Question, compare, pick


def temperature_zero(demo, word: str) -> Question | None:
    n = demo.numbers
    right = 0 if n["same_at_t0"] == 8 else (2 if n["same_at_t0"] == 0 else 1)
    return pick(f"We draw 8 samples for “{word}” at temperature T = 0. How many of them are the greedy output?",
                ("all 8", "some of them, not all", "none of them"), right,
                f"{n['same_at_t0']} of the 8 samples at T = 0 are the greedy output ({n['same_at_t1']} of 8 at T = 1).")


def temperature_high(demo, word: str) -> Question | None:
    n = demo.numbers
    return pick(f"We draw 16 samples for “{word}” at T = 1, then 16 at T = 2. Which temperature gives more "
                "different outputs?", ("T = 1", "both give as many", "T = 2"),
                compare(n["distinct_t1"], n["distinct_t2"], 0),
                f"16 samples give {n['distinct_t1']} distinct outputs at T = 1 and {n['distinct_t2']} at T = 2; the "
                f"mean entropy per step is {n['entropy_t1']:.2f} nats at T = 1 and {n['entropy_t2']:.2f} at T = 2.")


def top_p_adaptive(demo, word: str) -> Question | None:
    n = demo.numbers
    most = n["kept_uncertain"]
    return pick(f"We sample “{word}” with top-p = 0.9: at each step only the most probable symbols that add up to "
                "0.9 are kept. At most, how many symbols are kept at one step?",
                ("1 symbol", "2 symbols", "3 or more"), min(most, 3) - 1,
                f"The kept set has {n['kept_confident']} symbol(s) at the most confident step and {most} at the "
                "least confident one.")


def beam_beats_greedy(demo, word: str) -> Question | None:
    n = demo.numbers
    return pick(f"“{word}”: greedy decoding, then beam search with width 5 (no length penalty). How probable is "
                "beam search's best output, compared with greedy's?",
                ("more probable", "the same output", "less probable"), compare(n["beam"], n["greedy"]),
                f"Greedy's output has log p = {n['greedy']:.3f}, beam search's best {n['beam']:.3f}.")


def length_penalty(demo, word: str) -> Question | None:
    n = demo.numbers
    return pick(f"“{word}”: beam search with width 5, its outputs ranked first by log p, then by log p / |y|² "
                "(a length penalty with α = 2). Is the α = 2 winner shorter, as long or longer?",
                ("shorter", "as long", "longer"), compare(n["raw_winner_len"], n["penalised_winner_len"], 0),
                f"The log p winner has {n['raw_winner_len']} symbols (log p {n['raw_winner_log_prob']:.3f}); the "
                f"α = 2 winner {n['penalised_winner_len']} (log p {n['penalised_winner_log_prob']:.3f}).")


def exact_search_error(demo, word: str) -> Question | None:
    n = demo.numbers
    if n["verdict"] == "undetermined":  # exact search ran out of time: nobody knows the answer
        return None
    error = n["verdict"] == "search error"
    why = (f"Beam search's best has log p = {n['beam']:.3f}; the mode (exact search) {n['mode']:.3f}"
           + ("" if n["model_error"] is None else
              f", and the mode is {'not ' if n['model_error'] else ''}the dictionary's pronunciation") + ".")
    text = f"“{word}”: beam search with width 2, then exact search (the model's most probable output, the mode). "
    if n["model_error"] is None:
        return pick(text + "Did beam search find the mode?", ("yes", "no: a search error"), int(error), why)
    return pick(text + "What does exact search reveal?",
                ("beam found the mode, and it is right", "beam found the mode, but it is wrong",
                 "a search error, and the mode is right", "a search error, and the mode is wrong too"),
                2 * error + bool(n["model_error"]), why)


def mbr_consensus(demo, word: str) -> Question | None:
    n = demo.numbers
    same = n["mbr_is_beams_best"]
    why = (f"MBR's choice has expected utility {n['mbr_expected_utility']:.3f} and log p {n['mbr_log_prob']:.3f}; "
           f"beam's best {n['beam_expected_utility']:.3f} and {n['beam_log_prob']:.3f}.")
    text = (f"“{word}”: minimum Bayes risk picks, from beam search's 8 best outputs, the one that agrees most with "
            "the others (weighted by their probability). Which does it pick?")
    if n["mbr_correct"] is None:
        return pick(text, ("beam search's best", "another output"), int(not same), why)
    return pick(text, ("beam search's best", "another output, the dictionary's", "another output, also wrong"),
                0 if same else (1 if n["mbr_correct"] else 2), why)


def stochastic_beam(demo, word: str) -> Question | None:
    n = demo.numbers
    plain, sbs = n["distinct_sampling"] == 5, n["distinct_stochastic_beam"] == 5
    return pick(f"“{word}”: 5 plain samples, then stochastic beam search with k = 5. Which gives 5 different "
                "outputs?", ("both", "only stochastic beam search", "only plain sampling", "neither"),
                {(True, True): 0, (False, True): 1, (True, False): 2, (False, False): 3}[plain, sbs],
                f"Plain sampling gives {n['distinct_sampling']} distinct outputs, stochastic beam search "
                f"{n['distinct_stochastic_beam']}.")


def gumbel_max(demo, word: str) -> Question | None:
    n = demo.numbers
    return pick(f"“{word}”: 400 outputs drawn by multinomial sampling and 400 by the Gumbel-max trick (argmax of "
                "the logits plus Gumbel noise). Do their frequencies differ more than chance allows?",
                ("no: the same distribution", "yes: different distributions"), int(n["chi2"] >= n["critical"]),
                f"Chi-square of homogeneity {n['chi2']:.2f} against {n['critical']:.2f} at α = 0.001.")


def heads_differ(demo, word: str) -> Question | None:
    n = demo.numbers
    if "share_of_steps" not in n:  # one attention per step: no heads to ask about
        return None
    return pick(f"“{word}”: the Transformer attends to the letters with several heads per decoder layer. At most "
                "steps, do a layer's heads look at the same letter?",
                ("yes: the same letter", "no: different letters"), int(n["share_of_steps"] >= 0.5),
                f"In layer {n['layer']} the heads look at different letters at {n['share_of_steps']:.0%} of the "
                f"steps; at step {n['step']}, at {n['distinct_letters']} different letters.")


def ensemble_fixes(demo, word: str) -> Question | None:
    n = demo.numbers
    if not n["members"]:
        return None
    wrong = n["wrong_members"]
    alone = "all of them get it right" if not wrong else f"{wrong} of them get{'s' if wrong == 1 else ''} it wrong"
    return pick(f"“{word}”: each of the ensemble's {n['members']} members decodes it alone (greedy): {alone}. The "
                "ensemble averages their distributions at every step. Is its output right?",
                ("yes", "no"), int(not n["ensemble_right"]),
                f"{wrong} of {n['members']} members alone are wrong; the ensemble is "
                f"{'right' if n['ensemble_right'] else 'wrong'}.")


QUESTIONS = MappingProxyType({f.__name__: f for f in (
    temperature_zero, temperature_high, top_p_adaptive, beam_beats_greedy, length_penalty, exact_search_error,
    mbr_consensus, stochastic_beam, gumbel_max, heads_differ, ensemble_fixes)})
