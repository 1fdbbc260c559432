"""Hugging Face decoder-only models load from a folder (issue 22, item 2) through the same table and checks as the
encoder-decoders (loading.HF_FAMILIES): a saved tiny GPT-2 and Llama decode as the adapter built in memory does,
sharded weights load, a config claiming more than its weights hold is refused; a prompt is kept as typed (its
newlines and trailing space), a chat model's prompt is one user turn through its template, with one <s>."""

from __future__ import annotations

import json

import pytest
from causal import CHAT_TEMPLATE as CHAT
from causal import causal_checkpoint as saved

from playground import DecodeConfig, decode, load_model
from playground.models.checkpoint import CheckpointError
from playground.models.hf_causal import HFCausalLM
from playground.models.hf_vocab import clean_text
from playground.models.loading import CAUSAL, HF_FAMILIES
from playground.models.vocab import InputError

pytest.importorskip("transformers")


def greedy(model, text="the cat sat"):
    return [h.tokens for h in decode(model, text, DecodeConfig(strategy="greedy", max_length=8)).hypotheses]


@pytest.mark.parametrize("family", ["gpt2", "llama"])
def test_a_saved_decoder_only_model_loads_and_decodes_as_in_memory(tmp_path, family):
    directory, in_memory = saved(tmp_path / family, family)
    loaded = load_model(directory)
    assert isinstance(loaded, HFCausalLM) and loaded.config["decoder_only"]
    assert loaded.config["name"].startswith(family)
    assert greedy(loaded) == greedy(in_memory)


def test_every_causal_family_is_in_the_loading_table():
    causal = {k for k, v in HF_FAMILIES.items() if v.auto_class == CAUSAL}
    assert {"gpt2", "gpt_neox", "llama", "mistral", "qwen2", "qwen3", "phi3"} <= causal
    assert all(HF_FAMILIES[k].adapter is HFCausalLM for k in causal)


def test_sharded_weights_of_a_decoder_only_model_load(tmp_path):
    directory, in_memory = saved(tmp_path / "sharded", "llama", max_shard_size="20KB")
    assert (directory / "model.safetensors.index.json").is_file() and not (directory / "model.safetensors").exists()
    assert greedy(load_model(directory)) == greedy(in_memory)


def test_a_gpt2_config_claiming_more_than_its_weights_hold_is_refused(tmp_path):
    directory, _ = saved(tmp_path / "claims", "gpt2")
    config = json.loads((directory / "config.json").read_text())
    (directory / "config.json").write_text(json.dumps({**config, "n_layer": 6}))  # 4 layers more than stored
    with pytest.raises(CheckpointError, match="not in the weights"):
        load_model(directory)


def test_a_prompt_keeps_its_newlines_tabs_and_trailing_space():
    assert clean_text("Q: cat?\r\n\tA: ", keep_whitespace=True) == "Q: cat?\n\tA: "
    assert clean_text("Q: cat?\r\n\tA: ") == "Q: cat? A:"  # an encoder-decoder's input is normalised
    with pytest.raises(InputError, match="empty"):
        clean_text(" \n\t ", keep_whitespace=True)
    with pytest.raises(InputError, match="control"):
        clean_text("a\x00b", keep_whitespace=True)


def test_a_chat_prompt_is_one_user_turn_through_the_template_with_one_start_token(tmp_path):
    directory, _ = saved(tmp_path / "chat", "llama", chat=CHAT)
    model = load_model(directory)
    assert model.config["chat"]
    prompt = model.chat_prompt("cat sat")
    assert prompt == "<s>cat sat the"
    assert model.source_vocab.tokenize(prompt) == ["<s>", "cat", "sat", "the"]  # not <s> <s>
    assert model.source_vocab.tokenize("cat sat") == ["<s>", "cat", "sat"]  # the tokenizer's own <s>


def test_without_a_chat_template_formatting_as_chat_says_so(tmp_path):
    directory, _ = saved(tmp_path / "plain", "gpt2")
    model = load_model(directory)
    assert not model.config["chat"]
    with pytest.raises(InputError, match="no chat template"):
        model.chat_prompt("cat sat")


def test_a_chat_prompt_refuses_what_a_prompt_box_refuses(tmp_path):
    model = load_model(saved(tmp_path / "chat", "llama", chat=CHAT)[0])
    with pytest.raises(InputError, match="empty"):
        model.chat_prompt("   ")
    with pytest.raises(InputError, match="characters"):
        model.chat_prompt("cat " * 2000)

