"""ModelStore.decode: an encoding per input and a result per identical request are kept and reused."""

import pytest
from helpers import tiny_model

from playground import DecodeConfig
from playground.models.vocab import InputError
from playground.ui.store import RESULTS_KEPT, ModelStore


class CountingModel:
    """A model that counts its encode calls."""

    def __init__(self, model):
        self.model, self.encodes = model, 0
        self.source_vocab, self.target_vocab, self.config = model.source_vocab, model.target_vocab, {}
        self.outputs = model.outputs

    def encode(self, src_ids):
        self.encodes += 1
        return self.model.encode(src_ids)

    def step(self, prev_tokens, state):
        return self.model.step(prev_tokens, state)

    def reorder(self, state, index):
        return self.model.reorder(state, index)


def store():
    model = CountingModel(tiny_model())
    return ModelStore({"tiny": model}), model


def test_one_encoding_per_input_and_one_result_per_identical_request():
    s, model = store()
    greedy, beam = DecodeConfig(strategy="greedy"), DecodeConfig(strategy="beam", beam_width=3)
    first = s.decode("tiny", "cab", greedy)
    assert s.decode("tiny", "cab", greedy) is first  # identical request: the same (read-only) result
    other = s.decode("tiny", "cab", beam)  # other settings, same input: decoded, not encoded again
    assert other is not first and model.encodes == 1
    s.decode("tiny", "bad", greedy)
    assert model.encodes == 2
    s.clear_cache()
    assert s.decode("tiny", "cab", greedy) is not first and model.encodes == 3


def test_cached_results_equal_fresh_ones():
    s, _ = store()
    config = DecodeConfig(strategy="beam", beam_width=4, num_return=2)
    cached = s.decode("tiny", "cab", DecodeConfig(strategy="greedy"))  # the encoding is now cached
    cached = s.decode("tiny", "cab", config)
    fresh = ModelStore({"tiny": tiny_model()}).decode("tiny", "cab", config)
    assert cached.trace == fresh.trace and cached.hypotheses == fresh.hypotheses


def test_bad_input_is_refused_every_time_and_never_kept():
    s, model = store()
    for _ in range(2):
        with pytest.raises(InputError):
            s.decode("tiny", "c4b", DecodeConfig())
    assert model.encodes == 0


def test_a_decode_cut_by_its_time_budget_is_not_kept():
    s, _ = store()
    config = DecodeConfig(strategy="exact", time_budget_s=1e-9, max_length=8)
    first = s.decode("tiny", "cab", config)
    assert first.trace.truncated
    assert s.decode("tiny", "cab", config) is not first


def test_at_most_results_kept():
    s, _ = store()
    lengths = range(1, RESULTS_KEPT + 2)
    results = [s.decode("tiny", "cab", DecodeConfig(strategy="greedy", max_length=n)) for n in lengths]
    assert s.decode("tiny", "cab", DecodeConfig(strategy="greedy", max_length=1)) is not results[0]  # dropped
    assert s.decode("tiny", "cab", DecodeConfig(strategy="greedy", max_length=RESULTS_KEPT + 1)) is results[-1]
