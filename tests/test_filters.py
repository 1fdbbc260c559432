"""Filters: hand-computable cases (several are Hugging Face's own test cases), validation, and
hypothesis properties on random logits with ties, huge values (1e30) and -inf."""

import math

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from playground.decoding import filters as F

INF = float("inf")
HUGE = torch.tensor(1e30).item()  # 1e30 rounded to float32


def kept(logits: torch.Tensor) -> list:
    """Indices of kept (not -inf) tokens, per row."""
    return [torch.nonzero(row > -INF).flatten().tolist() for row in logits.reshape(-1, logits.shape[-1])]


def log_probs(rows) -> torch.Tensor:
    return torch.tensor(rows, dtype=torch.float32).log()


# ---------------------------------------------------------------------------------------------
# known examples


def test_top_p_known_example():
    # HF test_top_p_dist_warper: probs [0.3, 0.1, 0.1, 0.5] at p = 0.8 keep 0.5 + 0.3 = 0.8 exactly
    out = F.top_p(log_probs([[0.3, 0.1, 0.1, 0.5], [0.15, 0.3, 0.3, 0.25]]), 0.8)
    assert kept(out) == [[0, 3], [1, 2, 3]]
    assert torch.allclose(out[0, [0, 3]].exp(), torch.tensor([0.3, 0.5]))  # kept logits unchanged


def test_top_p_exact_boundary_as_on_paper():
    # float32 log-probs of [0.5, 0.45, 0.05] give a first cumulative mass of 0.49999999907: without
    # the 1e-6 tolerance, p = 0.5 would also keep 0.45
    assert kept(F.top_p(log_probs([[0.5, 0.45, 0.05]]), 0.5)) == [[0]]
    assert kept(F.top_p(log_probs([[0.25, 0.7, 0.05]]), 0.7)) == [[1]]
    assert kept(F.top_p(log_probs([[0.25, 0.7, 0.05]]), 0.7001)) == [[0, 1]]


def test_top_p_keeps_whole_tie_group_at_the_boundary():
    # cumulative 0.4, 0.7: {0.4, one 0.3} reaches 0.5; its tied twin is kept too (HF: sort order decides)
    assert kept(F.top_p(log_probs([[0.4, 0.3, 0.3]]), 0.5)) == [[0, 1, 2]]
    assert kept(F.top_p(log_probs([[0.3, 0.3, 0.4]]), 0.5)) == [[0, 1, 2]]
    assert kept(F.top_p(log_probs([[0.5, 0.2, 0.2, 0.1]]), 0.6)) == [[0, 1, 2]]


def test_top_p_tiny_p_keeps_argmax_and_its_ties():
    assert kept(F.top_p(log_probs([[0.1, 0.6, 0.3]]), 1e-9)) == [[1]]
    assert kept(F.top_p(torch.tensor([[2.0, 2.0, 1.0]]), 0.1)) == [[0, 1]]


def test_top_k_ties_follow_hf():
    # HF TopKLogitsWarper removes `scores < kth value`: every token tied with the k-th survives
    x = torch.tensor([[1.0, 2.0, 2.0, 0.0]])
    assert kept(F.top_k(x, 1)) == [[1, 2]]
    assert kept(F.top_k(x, 2)) == [[1, 2]]
    assert kept(F.top_k(x, 3)) == [[0, 1, 2]]
    assert kept(F.top_k(torch.tensor([[3.0, 1.0, 2.0, 0.5]]), 2)) == [[0, 2]]
    assert torch.equal(F.top_k(x, 4), x) and torch.equal(F.top_k(x, 100), x)  # k >= V keeps all


def test_min_p_known_example():
    # HF test_min_p_dist_warper, min_p = 0.05: threshold 0.05 * 0.9 = 0.045 keeps 0.047, drops 0.0274
    rows = [[0.9, 0.0274, 0.047, 0.0274], [0.15, 0.3, 0.3, 0.25], [0.97, 0.01, 0.01, 0.01]]
    assert kept(F.min_p(log_probs(rows), 0.05)) == [[0, 2], [0, 1, 2, 3], [0]]
    assert kept(F.min_p(log_probs([[0.3, 0.1, 0.3, 0.29]]), 1.0)) == [[0, 2]]  # p = 1: argmax ties only
    # exactly on the threshold 0.5 * 0.5 = 0.25 is kept (float32 puts it 2e-9 below; the tolerance absorbs it)
    assert kept(F.min_p(log_probs([[0.5, 0.25, 0.15, 0.1]]), 0.5)) == [[0, 1]]


def test_typical_known_example():
    # HF test_typical_dist_warper, mass 0.5. Row 2: H = 1.332 nats; |-log 0.2 - H| = 0.277 < |-log 0.4 - H|
    # = 0.416, so the three 0.2 tokens are the most typical and the argmax 0.4 is dropped.
    out = F.typical(log_probs([[0.97, 0.01, 0.01, 0.01], [0.4, 0.2, 0.2, 0.2]]), 0.5)
    assert kept(out) == [[0], [1, 2, 3]]
    # H([0.4, 0.3, 0.3]) = 1.089: the 0.3s (distance 0.115) come first, 0.3 + 0.3 >= 0.5
    assert kept(F.typical(log_probs([[0.4, 0.3, 0.3]]), 0.5)) == [[1, 2]]
    assert kept(F.typical(log_probs([[0.4, 0.3, 0.3]]), 0.7)) == [[0, 1, 2]]


def test_epsilon_known_example():
    # HF test_epsilon_dist_warper, epsilon = 0.1
    out = F.epsilon(log_probs([[0.87, 0.099, 0.001, 0.03], [0.4, 0.299, 0.101, 0.2]]), 0.1)
    assert kept(out) == [[0], [0, 1, 2, 3]]
    assert kept(F.epsilon(log_probs([[0.3, 0.4, 0.3]]), 0.99)) == [[1]]  # everything < eps: argmax stays


def test_temperature_divides_and_survives_overflow():
    x = torch.tensor([[1.0, 2.0, -INF]])
    assert torch.equal(F.temperature(x, 2.0), torch.tensor([[0.5, 1.0, -INF]]))
    # 1e38 / 0.1 overflows float32: the row is shifted by its max first, the argmax is kept
    out = F.temperature(torch.tensor([[1e38, -1e38], [1.0, 2.0]]), 0.1)
    assert torch.equal(out, torch.tensor([[0.0, -INF], [10.0, 20.0]]))


def test_temperature_zero_points_to_greedy():
    with pytest.raises(ValueError, match="greedy"):
        F.temperature(torch.zeros(1, 3), 0)


def test_repetition_penalty_signs():
    # HF: positive logits are divided by the penalty, negative ones multiplied; each id counts once
    x = torch.tensor([[2.0, -2.0, 0.5, 3.0, 0.0]])
    prev = torch.tensor([[0, 1, 1, 4]])
    assert torch.equal(F.repetition_penalty(x, prev, 2.0), torch.tensor([[1.0, -4.0, 0.5, 3.0, 0.0]]))
    assert torch.equal(F.repetition_penalty(x, prev, 0.5), torch.tensor([[4.0, -1.0, 0.5, 3.0, 0.0]]))
    # a penalty > 1 can flip the argmax away from a repeated token
    assert F.repetition_penalty(torch.tensor([[3.0, 2.0]]), torch.tensor([[0]]), 2.0).argmax() == 1


def test_repetition_penalty_stays_finite_and_keeps_minus_inf():
    x = torch.tensor([[-3e38, 3e38, -INF, 1.0]])
    out = F.repetition_penalty(x, torch.tensor([[0, 1, 2]]), 10.0)
    assert out[0, 0] == torch.finfo(torch.float32).min and out[0, 2] == -INF
    out = F.repetition_penalty(x, torch.tensor([[1]]), 0.01)
    assert out[0, 1] == torch.finfo(torch.float32).max


def test_no_repeat_ngram_known_example():
    # HF test_no_repeat_ngram_dist_processor
    x = torch.zeros(2, 5)
    prev = torch.tensor([[1, 1, 2, 1], [0, 1, 0, 1]])
    assert kept(F.no_repeat_ngram(x, prev, 2)) == [[0, 3, 4], [1, 2, 3, 4]]
    assert kept(F.no_repeat_ngram(x, prev, 3)) == [[0, 1, 2, 3, 4], [1, 2, 3, 4]]
    assert kept(F.no_repeat_ngram(x, prev, 1)) == [[0, 3, 4], [2, 3, 4]]  # n = 1: every seen token
    assert torch.equal(F.no_repeat_ngram(x, prev[:, :2], 3), x)  # history shorter than n: nothing banned


def test_no_repeat_ngram_never_bans_the_last_token():
    x = torch.tensor([[0.0, 2.0, 1.0, -INF]])
    out = F.no_repeat_ngram(x, torch.tensor([[0, 1, 2]]), 1)  # all finite tokens were seen
    assert kept(out) == [[1]] and out[0, 1] == 2.0


def test_no_repeat_ngram_leading_dims():
    x = torch.zeros(2, 3, 4)
    prev = torch.tensor([[0, 1, 0]]).expand(2, 3, 3)
    assert kept(F.no_repeat_ngram(x, prev, 2)) == [[0, 2, 3]] * 6  # last 0 was followed by 1


def test_all_minus_inf_but_one():
    x = torch.tensor([[-INF, 3.0, -INF, -INF], [-INF, -INF, -INF, -1e30]])
    prev = torch.tensor([[1, 1], [3, 3]])
    for out in (F.temperature(x, 0.5), F.top_k(x, 2), F.top_p(x, 0.3), F.min_p(x, 0.5), F.typical(x, 0.2),
                F.epsilon(x, 0.5), F.repetition_penalty(x, prev, 1.5), F.no_repeat_ngram(x, prev, 1)):
        assert kept(out) == [[1], [3]]
        assert not torch.isnan(torch.softmax(out, -1)).any()


def test_one_dimensional_input():
    x = torch.tensor([0.0, 1.0, 2.0])
    assert kept(F.top_k(x, 1)) == [[2]]
    assert kept(F.top_p(x, 0.5)) == [[2]]
    assert kept(F.repetition_penalty(x, torch.tensor([2]), 2.0)) == [[0, 1, 2]]


# ---------------------------------------------------------------------------------------------
# validation

BAD_ARGS = [
    (F.temperature, -1.0), (F.temperature, math.inf), (F.temperature, math.nan), (F.temperature, True),
    (F.top_k, -1), (F.top_k, 2.0), (F.top_k, True),
    (F.top_p, 0.0), (F.top_p, 1.5), (F.top_p, "0.5"),
    (F.min_p, -0.1), (F.min_p, 1.1),
    (F.typical, 0.0), (F.typical, 1.01),
    (F.epsilon, -0.1), (F.epsilon, 1.0),
]


@pytest.mark.parametrize(("fn", "arg"), BAD_ARGS)
def test_bad_argument_raises(fn, arg):
    with pytest.raises(ValueError, match=fn.__name__):
        fn(torch.zeros(1, 3), arg)


def test_bad_history_arguments_raise():
    x, prev = torch.zeros(1, 3), torch.tensor([[0, 1]])
    for bad in (0.0, -1.0, math.inf):
        with pytest.raises(ValueError, match="penalty"):
            F.repetition_penalty(x, prev, bad)
    with pytest.raises(ValueError, match="n must be an integer"):
        F.no_repeat_ngram(x, prev, -1)
    for bad_prev in (torch.tensor([[0.0, 1.0]]), torch.tensor([[0, 3]]), torch.tensor([0, 1]), [[0, 1]]):
        with pytest.raises(ValueError, match="prev_tokens"):
            F.repetition_penalty(x, bad_prev, 2.0)


@pytest.mark.parametrize("bad", [
    torch.tensor([[0.0, math.nan]]), torch.tensor([[0.0, INF]]), torch.tensor([[0.0, 1.0], [-INF, -INF]]),
    torch.tensor([[1, 2]]), torch.zeros(2, 0), torch.tensor(1.0),
])
def test_bad_logits_raise(bad):
    with pytest.raises(ValueError, match="logits"):
        F.top_k(bad, 1)


# ---------------------------------------------------------------------------------------------
# properties

VALUES = st.one_of(
    st.floats(-HUGE, HUGE, width=32),
    st.integers(-3, 3).map(float),  # frequent ties
    st.sampled_from([-INF, -INF, HUGE, -HUGE]),
)


@st.composite
def logits_st(draw, max_rows=3, max_vocab=8):
    rows, vocab = draw(st.integers(1, max_rows)), draw(st.integers(1, max_vocab))
    data = draw(st.lists(st.lists(VALUES, min_size=vocab, max_size=vocab), min_size=rows, max_size=rows))
    for row in data:  # every row needs one finite logit (all -inf rows are rejected by design)
        if all(v == -INF for v in row):
            row[draw(st.integers(0, vocab - 1))] = draw(st.floats(-HUGE, HUGE, width=32))
    return torch.tensor(data, dtype=torch.float32)


MASKING = {  # filter -> (strategy for its argument, disabled value, idempotent?)
    "top_k": (st.integers(0, 10), 0, True),
    "top_p": (st.floats(0.0, 1.0, exclude_min=True), 1.0, False),
    "min_p": (st.floats(0.0, 1.0), 0.0, True),
    "typical": (st.floats(0.0, 1.0, exclude_min=True), 1.0, False),
    "epsilon": (st.floats(0.0, 1.0, exclude_max=True), 0.0, True),
}


def assert_valid(x: torch.Tensor, out: torch.Tensor) -> None:
    assert out.shape == x.shape and out.dtype == x.dtype
    assert not torch.isnan(out).any() and not torch.isposinf(out).any()  # finite or -inf
    keep = out > -INF
    assert keep.any(-1).all()  # >= 1 kept per row
    assert not (keep & (x == -INF)).any()  # kept set is within the input's support
    sums = torch.softmax(out.double(), -1).sum(-1)
    assert torch.allclose(sums, torch.ones_like(sums))


@pytest.mark.parametrize("name", list(MASKING))
@settings(max_examples=25, deadline=None)
@given(x=logits_st(), data=st.data())
def test_masking_filter_properties(name, x, data):
    arg_st, disabled, idempotent = MASKING[name]
    arg = data.draw(arg_st)
    fn = getattr(F, name)
    before = x.clone()
    out = fn(x, arg)
    assert torch.equal(x, before)  # input not mutated
    assert_valid(x, out)
    keep = out > -INF
    assert torch.equal(out[keep], x[keep])  # survivors keep their logits
    if name != "typical":  # typical's guaranteed survivor is the most typical token instead
        assert (keep | (x < x.amax(-1, keepdim=True))).all()  # argmax and its ties always kept
    if idempotent:
        assert torch.equal(fn(out, arg), out)
    off = fn(x, disabled)
    assert torch.equal(off, x) and off is not x


@settings(max_examples=25, deadline=None)
@given(x=logits_st(), t=st.floats(1e-3, 100.0))
def test_temperature_properties(x, t):
    before = x.clone()
    out = F.temperature(x, t)
    assert torch.equal(x, before)
    assert_valid(x, out)
    top = out.argmax(-1, keepdim=True)
    assert torch.equal(x.gather(-1, top), x.amax(-1, keepdim=True))  # argmax preserved
    assert torch.equal(F.temperature(x, 1.0), x)


@settings(max_examples=25, deadline=None)
@given(x=logits_st(), data=st.data())
def test_history_processor_properties(x, data):
    rows, vocab = x.shape
    length = data.draw(st.integers(0, 6))
    row_st = st.lists(st.integers(0, vocab - 1), min_size=length, max_size=length)
    prev = torch.tensor(data.draw(st.lists(row_st, min_size=rows, max_size=rows)), dtype=torch.long)
    prev = prev.reshape(rows, length)
    penalty = data.draw(st.floats(0.01, 10.0))
    n = data.draw(st.integers(1, 4))
    before, prev_before = x.clone(), prev.clone()

    out = F.repetition_penalty(x, prev, penalty)
    assert_valid(x, out)
    assert torch.equal(out == -INF, x == -INF)  # removes nothing
    seen = torch.zeros_like(x, dtype=torch.bool).scatter(-1, prev, True)
    assert torch.equal(out[~seen], x[~seen])  # only repeated tokens change
    if penalty > 1:
        assert (out[seen] <= x[seen]).all()

    out = F.no_repeat_ngram(x, prev, n)
    assert_valid(x, out)
    keep = out > -INF
    assert torch.equal(out[keep], x[keep])
    assert torch.equal(x, before) and torch.equal(prev, prev_before)
    assert torch.equal(F.repetition_penalty(x, prev, 1.0), x)
    assert torch.equal(F.no_repeat_ngram(x, prev, 0), x)
