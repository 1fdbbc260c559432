"""The Learn presets: every phenomenon really occurs with the shipped checkpoints, on a word outside the test
split; and the demonstrations compute what they claim on hand-computable scripted models."""

from __future__ import annotations

import dataclasses
import math

import pytest
from decoding_cases import BEAM_MISSES, SHORT_OR_LONG

from playground.analysis import lesson_demos, model_lessons
from playground.analysis.lesson_base import GROUP_KEYS
from playground.analysis.lessons import BY_KEY, LESSONS, MODELS, Lesson, demonstrate, grouped, main
from playground.models.checkpoint import SHIPPED
from playground.ui.common.controls import UiParams

PRESENT = {name for name in MODELS if (SHIPPED / name / "config.json").is_file()}
needs_checkpoints = pytest.mark.skipif(not {"g2p-bahdanau", "p2g-luong"} <= PRESENT,
                                       reason="the shipped RNN checkpoints are absent")


@pytest.fixture(scope="module")
def models():
    from playground import load_model

    loaded: dict = {}
    return {name: load_model(SHIPPED / name, loaded=loaded) for name in PRESENT}


def shipped_demo(models, key: str):
    if BY_KEY[key].model not in models:
        pytest.skip(f"the shipped {BY_KEY[key].model} checkpoint is absent")
    demo = demonstrate(BY_KEY[key], models[BY_KEY[key].model], models.get(BY_KEY[key].partner))
    assert demo.holds, demo.summary
    return demo.numbers


def test_there_are_eighteen_lessons_in_groups_each_with_text_formula_and_valid_explore_settings():
    assert len(LESSONS) == 18 and len(BY_KEY) == 18
    assert [lesson.group for lesson in LESSONS] == sorted((lesson.group for lesson in LESSONS),
                                                          key=GROUP_KEYS.index)  # listed group by group
    assert [group[0] for group, _ in grouped()] == list(GROUP_KEYS) and all(lessons for _, lessons in grouped())
    assert len({lesson.name for lesson in LESSONS}) == 18  # the buttons tell them apart
    for lesson in LESSONS:
        assert lesson.title not in lesson.name and lesson.blurb.count(". ") == 0, lesson.key  # one line
        assert 2 <= lesson.explanation.count(". ") + 1 <= 3, lesson.key  # two or three sentences
        assert lesson.formula and lesson.source
        params = dataclasses.replace(UiParams(), **lesson.settings)  # only fields the Explore tab has
        params.to_config()  # and values it accepts


def test_preset_words_are_not_test_words():
    from playground.training.data import default_test_words_path, load_test_words

    if not default_test_words_path().is_file():
        pytest.skip("the standard test word list is absent")
    test_words = set(load_test_words())
    assert not {lesson.word for lesson in LESSONS} & test_words


@needs_checkpoints
def test_temperature_zero_samples_are_all_the_greedy_output(models):
    n = shipped_demo(models, "temperature_zero")
    assert n["same_at_t0"] == 8 and n["same_at_t1"] < 8


@needs_checkpoints
def test_high_temperature_raises_entropy_and_variety(models):
    n = shipped_demo(models, "temperature_high")
    assert n["entropy_t2"] > n["entropy_t1"] and n["distinct_t2"] > n["distinct_t1"]


@needs_checkpoints
def test_top_p_keeps_one_symbol_where_confident_and_several_where_not(models):
    n = shipped_demo(models, "top_p_adaptive")
    assert n["kept_confident"] == 1 and n["kept_uncertain"] >= 3


@needs_checkpoints
def test_beam_search_finds_a_more_probable_output_than_greedy(models):
    n = shipped_demo(models, "beam_beats_greedy")
    assert n["beam"] > n["greedy"] + 1e-3


@needs_checkpoints
def test_the_length_penalty_picks_a_longer_winner(models):
    n = shipped_demo(models, "length_penalty")
    assert n["penalised_winner_len"] > n["raw_winner_len"]
    assert n["penalised_winner_log_prob"] < n["raw_winner_log_prob"]  # less probable, yet it wins


@needs_checkpoints
def test_exact_search_reveals_a_beam_search_error(models):
    n = shipped_demo(models, "exact_search_error")
    assert n["verdict"] == "search error" and n["mode"] > n["beam"]


@needs_checkpoints
def test_stochastic_beam_returns_k_distinct_samples_where_sampling_repeats(models):
    n = shipped_demo(models, "stochastic_beam")
    assert n["distinct_stochastic_beam"] == 5 and n["distinct_sampling"] < 5


@needs_checkpoints
def test_gumbel_max_and_multinomial_draw_the_same_distribution(models):
    n = shipped_demo(models, "gumbel_max")
    assert n["chi2"] < n["critical"]


def test_a_transformers_heads_look_at_different_letters(models):
    n = shipped_demo(models, "heads_differ")
    assert n["distinct_letters"] >= 3 and n["share_of_steps"] >= 0.5


def test_the_ensemble_is_right_where_a_member_alone_is_wrong(models):
    n = shipped_demo(models, "ensemble_fixes")
    assert n["ensemble_right"] and n["wrong_members"] >= 1


# --- hand-computable: scripted models -----------------------------------------------------------------
def test_beam_beats_greedy_on_a_scripted_model():
    demo = lesson_demos.beam_beats_greedy(BEAM_MISSES, "qqz")
    assert demo.holds
    assert demo.numbers["greedy"] == pytest.approx(math.log(0.6 * 0.34), abs=1e-5)
    assert demo.numbers["beam"] == pytest.approx(math.log(0.36), abs=1e-5)


def test_length_penalty_on_a_scripted_model():
    # "a": log 0.4 / 2^2 = -0.229; "bc": log 0.2835 / 3^2 = -0.140 (L counts </s>): alpha = 2 prefers "bc"
    demo = lesson_demos.length_penalty(SHORT_OR_LONG, "qqz", alpha=2.0)
    assert demo.holds and (demo.numbers["raw_winner_len"], demo.numbers["penalised_winner_len"]) == (1, 2)
    assert not lesson_demos.length_penalty(SHORT_OR_LONG, "qqz", alpha=0.0).holds  # no penalty, same winner


def test_exact_search_error_on_a_scripted_model():
    assert lesson_demos.exact_search_error(BEAM_MISSES, "qqz", beam_width=1).holds
    assert not lesson_demos.exact_search_error(BEAM_MISSES, "qqz", beam_width=2).holds  # width 2 finds "b"


def test_temperature_panel_goes_one_hot_at_zero():
    demo = lesson_demos.temperature_zero(BEAM_MISSES, "qqz")
    t1, t0 = demo.panels[0].series[0], demo.panels[0].series[-1]
    assert t1.name == "T = 1" and t0.name == "T = 0" and max(t0.values) == 1.0 and sum(t0.values) == 1.0
    assert demo.numbers["same_at_t0"] == 8


def test_gumbel_max_on_a_scripted_model_agrees_with_the_table():
    demo = lesson_demos.gumbel_max(BEAM_MISSES, "qqz", draws=400)
    assert demo.holds
    panel = demo.panels[0]
    model_p = {c.split(": ")[1]: v for c, v in zip(panel.categories, panel.series[2].values, strict=True)}
    assert model_p["b"] == pytest.approx(0.36, abs=1e-5) and model_p["ac"] == pytest.approx(0.204, abs=1e-5)
    multinomial = dict(zip(panel.categories, panel.series[0].values, strict=True))
    assert abs(multinomial[panel.categories[0]] - 0.36) < 0.1  # 400 draws: within 4 standard deviations


def test_ensemble_fixes_on_scripted_members():
    # member A says "a" (0.6), member B "b" (0.8); their mixture gives b 0.6 > a 0.4: right where A alone is wrong
    from decoding_cases import MEMBER_A, MEMBER_B

    from playground.models.ensemble import Ensemble, EnsembleConfig

    ensemble = Ensemble(EnsembleConfig(members=("A", "B"), combine="probs"), [MEMBER_A, MEMBER_B])
    demo = model_lessons.ensemble_fixes(ensemble, "q", refs=[("b",)])
    assert demo.holds and demo.numbers == {"members": 2, "wrong_members": 1, "ensemble_right": True}
    astray = demo.panels[1]  # step 1: each model's next symbol, the ensemble's most probable first
    assert astray.categories[:2] == ("b", "a")
    by_name = {s.name: s.values[:2] for s in astray.series}
    assert by_name["ensemble"] == pytest.approx((0.6, 0.4)) and by_name["A"] == pytest.approx((0.4, 0.6))
    assert not model_lessons.ensemble_fixes(ensemble, "q", refs=[("a",)]).holds  # the ensemble is wrong
    assert not model_lessons.ensemble_fixes(MEMBER_A, "q").holds  # not an ensemble


def test_heads_differ_reads_every_head_of_a_transformer_and_declines_an_rnn():
    from helpers import tiny_model, tiny_transformer

    demo = model_lessons.heads_differ(tiny_transformer(layers=2, heads=2), "cab")
    where, focus = demo.panels
    assert [s.name for s in where.series] == ["head 1", "head 2"] and len(where.categories) == 3
    assert all(sum(s.values) == pytest.approx(1.0, abs=1e-4) for s in where.series)  # attention rows
    assert 1 <= demo.numbers["distinct_letters"] <= 2 and 0 <= demo.numbers["share_of_steps"] <= 1
    assert min(focus.series[0].values) == pytest.approx(demo.numbers["entropy_min"])
    rnn = model_lessons.heads_differ(tiny_model(), "cab")
    assert not rnn.holds and rnn.numbers == {"heads": 1}


def test_lessons_refuse_unknown_models_and_keys():
    with pytest.raises(ValueError, match="model and partner must be among"):
        dataclasses.replace(LESSONS[0], model="g2p")
    with pytest.raises(ValueError, match="a partner model goes with a demonstration that compares two"):
        dataclasses.replace(LESSONS[0], partner="g2p-transformer")  # temperature_zero runs on one model
    with pytest.raises(ValueError, match="a partner model goes with"):
        dataclasses.replace(BY_KEY["decoder_only_vs_encdec"], partner="")
    with pytest.raises(ValueError, match="no demonstration"):
        Lesson(**{**dataclasses.asdict(LESSONS[0]), "key": "nope"})
    with pytest.raises(ValueError, match="group must be one of"):
        dataclasses.replace(LESSONS[0], group="misc")


@needs_checkpoints
def test_the_finder_prints_dev_words_where_a_phenomenon_holds(capsys):
    assert main(["--find", "beam_beats_greedy", "--split", "dev", "--limit", "1", "--max-len", "6"]) == 0
    word, text, numbers = capsys.readouterr().out.strip().split("\t")
    assert word == text and "beam=" in numbers


def test_a_prescreen_keeps_exactly_the_words_where_beam_beats_greedy():
    # the finder's batched shortcut must agree word for word with the demonstration it stands in for
    from helpers import tiny_model

    from playground.analysis.lesson_finder import PRESCREENS

    model = tiny_model(seed=3)
    words = ["cab", "tab", "bat", "stack", "abc", "cats", "a", "tacks"]
    passed = PRESCREENS["beam_beats_greedy"](model, words)
    lesson = dataclasses.replace(BY_KEY["beam_beats_greedy"], word="cab", text="cab")
    held = [demonstrate(dataclasses.replace(lesson, text=w), model).holds for w in words]
    assert passed == held and set(held) == {True, False}  # (seed 3: beam wins on half of these words)


# --- the lessons added with predict-first (issue 24) -----------------------------------------------------
@needs_checkpoints
def test_contrastive_search_leaves_the_favourite_for_a_symbol_less_like_the_context(models):
    n = shipped_demo(models, "contrastive_penalty")
    assert not n["same"] and n["gap"] > 0.01  # at the departure the objective prefers the taken one, clearly
    assert n["taken_p"] < n["favourite_p"] and n["taken_similarity"] < n["favourite_similarity"]


@needs_checkpoints
def test_a_wider_beam_finds_a_more_probable_output_that_is_wrong(models):
    n = shipped_demo(models, "beam_curse")
    assert n["beam"] > n["greedy"] and n["greedy_right"] is True and n["beam_right"] is False


@needs_checkpoints
def test_forcing_the_runner_up_leaves_the_rest_on_one_word_and_rewrites_it_on_another(models):
    assert shipped_demo(models, "branch_recovers")["edits"] == 1
    assert shipped_demo(models, "branch_derails")["edits"] >= 2


def test_the_logit_lens_settles_most_symbols_in_layer_1_and_a_hard_one_only_in_the_last(models):
    n = shipped_demo(models, "logit_lens_late")
    assert n["decided_at"] == n["layers"] == 3 and 2 * n["early"] >= n["symbols"]
    assert n["first_layer_favourite"] != n["symbol"]


def test_the_decoder_only_models_layers_divide_between_the_spelling_and_its_own_output(models):
    n = shipped_demo(models, "decoder_only_reads")
    assert n["low_share"] < 0.6 < 0.7 < n["high_share"] and n["low_layer"] != n["high_layer"]
    assert len(n["shares"]) == n["layers"] == 4


def test_the_decoder_only_model_and_the_encoder_decoder_disagree_each_sure_of_its_own(models):
    n = shipped_demo(models, "decoder_only_vs_encdec")
    assert n["encdec"] != n["deconly"] and n["encdec_right"] != n["deconly_right"]
    (own_a, other_a), (other_b, own_b) = n["log_p"]
    assert own_a > other_a and own_b > other_b


def test_attention_shares_of_a_tiny_decoder_only_model_add_up_per_step():
    import numpy as np
    from helpers import tiny_decoder_only, tiny_transformer

    from playground.analysis.decoder_only_lessons import decoder_only_reads, decoder_only_vs_encdec, spelling_shares

    model = tiny_decoder_only(layers=3)
    result, shares = spelling_shares(model, "cab")
    trace, node = result.trace, result.hypotheses[0].node
    assert shares.shape == (3, len(trace.path(node)) - 1)
    for layer in range(3):  # each row sums to one over spelling | <s> | outputs: the shares are parts of it
        rows = trace.attention_path(node, layer)
        assert np.allclose(rows.sum(1), 1.0, rtol=1e-4) and np.allclose(shares[layer], rows[:, :3].sum(1))
    demo = decoder_only_reads(model, "cab")
    assert demo.numbers["shares"] == pytest.approx(shares.mean(1), rel=1e-3)
    assert demo.numbers["low_share"] == pytest.approx(shares.mean(1).min(), rel=1e-3)
    assert not decoder_only_reads(tiny_transformer(), "cab").holds  # an encoder-decoder has no such split
    assert not decoder_only_vs_encdec(model, "cab").numbers["compared"]  # no partner: it says what it needs
    assert not decoder_only_vs_encdec(model, "cab", partner=tiny_decoder_only()).numbers["compared"]


def test_decided_at_is_the_first_layer_of_the_favourites_run_to_the_top():
    import numpy as np

    from playground.analysis.lens_lesson import decided_at

    assert [decided_at(np.array(r)) for r in ([1, 1, 1], [3, 1, 1], [1, 2, 1], [2, 5, 1])] == [1, 2, 3, 3]


def test_branching_on_scripted_models_recovers_or_derails_by_hand():
    from decoding_cases import BEAM_MISSES

    from playground.analysis import branch_lessons
    from playground.decoding.scripted import ScriptedModel

    # greedy says "ac"; the closest call is step 1 (b, 0.4; step 2's runner-up is d 0.33): forcing b ends at
    # "b" (</s> 0.9), two edits from "ac"
    derails = branch_lessons.branch_derails(BEAM_MISSES, "qqz")
    assert derails.holds and not branch_lessons.branch_recovers(BEAM_MISSES, "qqz").holds
    n = derails.numbers
    assert (n["step"], n["original"], n["forced"], n["edits"]) == (1, "a", "b", 2)
    assert (n["original_p"], n["forced_p"]) == pytest.approx((0.6, 0.4))
    assert n["branch_log_prob"] == pytest.approx(math.log(0.4 * 0.9), abs=1e-5)
    # both first symbols go on with c: forcing b gives "bc", one edit from "ac"
    same_rest = ScriptedModel(target_symbols="abc", table={"": {"a": 0.7, "b": 0.3}, "a": {"c": 1.0},
                                                           "b": {"c": 1.0}, "ac": {"</s>": 1.0},
                                                           "bc": {"</s>": 1.0}})
    recovers = branch_lessons.branch_recovers(same_rest, "qqz")
    assert recovers.holds and recovers.numbers["edits"] == 1 and recovers.numbers["forced"] == "b"
