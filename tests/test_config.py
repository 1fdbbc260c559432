"""DecodeConfig: defaults, every bound, messages that name the field, the value and what is allowed."""

import dataclasses
import json

import pytest

from playground.decoding.config import STRATEGIES, DecodeConfig


def test_defaults_are_valid_and_round_trip_through_json():
    config = DecodeConfig()
    assert config.strategy == "greedy" and config.temperature == 1.0
    assert config.filter_order[0] == "temperature"
    assert DecodeConfig.from_dict(json.loads(json.dumps(config.to_dict()))) == config


def test_lists_become_tuples_so_configs_stay_hashable():
    config = DecodeConfig(prefix=["a", "b"], filter_order=["top_k", "temperature", "top_p", "min_p",
                                                           "typical", "epsilon"])
    assert config.prefix == ("a", "b") and isinstance(config.filter_order, tuple)
    assert hash(config) == hash(DecodeConfig.from_dict(config.to_dict()))
    assert config.to_dict()["prefix"] == ["a", "b"]


def test_frozen_and_keyword_only():
    with pytest.raises(dataclasses.FrozenInstanceError):
        DecodeConfig().temperature = 2.0
    with pytest.raises(TypeError):
        DecodeConfig("beam")


@pytest.mark.parametrize("field, value, expected", [
    ("strategy", "nucleus", f"strategy must be one of {', '.join(map(repr, STRATEGIES))}; got 'nucleus'"),
    ("sampler", "inverse", "sampler must be one of 'multinomial', 'gumbel'; got 'inverse'"),
    ("length_penalty_formula", "wu",
     "length_penalty_formula must be one of 'none', 'length', 'gnmt'; got 'wu'"),
    ("temperature", -0.5, "temperature must be a number in [0, 100], got -0.5"),
    ("temperature", 101, "temperature must be a number in [0, 100], got 101"),
    ("temperature", float("nan"), "temperature must be a number in [0, 100], got nan"),
    ("top_p", 0, "top_p must be a number in (0, 1], got 0"),
    ("top_p", 1.5, "top_p must be a number in (0, 1], got 1.5"),
    ("min_p", 1.0, "min_p must be a number in [0, 1), got 1.0"),
    ("typical_mass", 0.0, "typical_mass must be a number in (0, 1], got 0.0"),
    ("epsilon", 1, "epsilon must be a number in [0, 1), got 1"),
    ("repetition_penalty", 0, "repetition_penalty must be a number in (0, 10], got 0"),
    ("top_k", -1, "top_k must be an integer in [0, 1000000], got -1"),
    ("top_k", 2.5, "top_k must be an integer in [0, 1000000], got 2.5"),
    ("top_k", True, "top_k must be an integer in [0, 1000000], got True"),
    ("beam_width", 0, "beam_width must be an integer in [1, 16], got 0"),
    ("beam_width", 17, "beam_width must be an integer in [1, 16], got 17"),
    ("max_length", 65, "max_length must be an integer in [1, 64], got 65"),
    ("max_length", 0, "max_length must be an integer in [1, 64], got 0"),
    ("num_samples", 1001, "num_samples must be an integer in [1, 1000], got 1001"),
    ("node_budget", 0, "node_budget must be an integer in [1, 100000], got 0"),
    ("seed", -1, "seed must be an integer in [0, 9223372036854775807], got -1"),
    ("early_stopping", 1, "early_stopping must be True or False, got 1"),
    ("prefix", "ab", "prefix must be a sequence of strings, got 'ab'"),
])
def test_bad_values_name_field_value_and_valid_range(field, value, expected):
    with pytest.raises(ValueError) as error:
        DecodeConfig(**{field: value})
    assert str(error.value) == expected


def test_boundary_values_are_accepted():
    DecodeConfig(temperature=0, top_p=1.0, min_p=0.0, epsilon=0.0, typical_mass=1.0, beam_width=16,
                 max_length=64, num_samples=1000, top_k=0)
    DecodeConfig(temperature=100, top_p=1e-9, min_p=0.999, beam_width=1, max_length=1)


def test_num_return_is_bounded_by_beam_width_or_num_samples():
    assert DecodeConfig(strategy="beam", beam_width=4, num_return=4).num_return == 4
    message = r"num_return must be an integer in \[1, 4\] \(at most beam_width\), got 5"
    with pytest.raises(ValueError, match=message):
        DecodeConfig(strategy="beam", beam_width=4, num_return=5)
    with pytest.raises(ValueError, match=r"\(at most num_samples\), got 3"):
        DecodeConfig(strategy="sample", num_samples=2, num_return=3)
    assert DecodeConfig(strategy="sample", num_samples=50, num_return=50, beam_width=1).num_return == 50


def test_groups_must_divide_the_beam():
    assert DecodeConfig(strategy="diverse_beam", beam_width=6, num_groups=3).num_groups == 3
    with pytest.raises(ValueError, match="num_groups must divide beam_width=6, got 4"):
        DecodeConfig(strategy="diverse_beam", beam_width=6, num_groups=4)
    with pytest.raises(ValueError, match=r"num_groups must be an integer in \[1, 2\]"):
        DecodeConfig(beam_width=2, num_groups=3)


def test_filter_order_must_name_known_filters_and_include_enabled_ones():
    with pytest.raises(ValueError, match="filter_order must list distinct filters from"):
        DecodeConfig(filter_order=("temperature", "top_q"))
    with pytest.raises(ValueError, match="filter_order must list distinct filters"):
        DecodeConfig(filter_order=("top_k", "top_k"))
    with pytest.raises(ValueError, match=r"omits enabled filter\(s\) \['top_k'\]"):
        DecodeConfig(top_k=3, filter_order=("temperature",))
    assert DecodeConfig(top_k=3, filter_order=("top_k",)).filter_order == ("top_k",)


def test_prefix_must_leave_room_to_decode():
    with pytest.raises(ValueError, match="prefix has 3 symbols; it must be shorter than max_length=3"):
        DecodeConfig(prefix=("a", "b", "c"), max_length=3)


def test_from_dict_rejects_unknown_fields():
    with pytest.raises(ValueError, match=r"unknown DecodeConfig field\(s\) \['beam_size'\]"):
        DecodeConfig.from_dict({"beam_size": 4})
