"""The logit lens (playground/analysis/logit_lens.py, models/lens.py): the last layer's row is the model's own step
distribution, for our Transformer and decoder-only model and tiny Hugging Face models of every family (built
offline from config classes, nothing downloaded); the other layers read what the library's decoder layers return
through the family's final norm; RNNs and ensembles have none and say why."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from helpers import hf_checkpoint, hf_tokenizer, m2m_checkpoint, tiny_decoder_only, tiny_model, tiny_transformer

from playground import DecodeConfig, decode, load_model
from playground.analysis.logit_lens import FEW, MAX_COLUMNS, Lens, LensSource, lens_of, step_lens, unavailable
from playground.decoding.api import encode_source
from playground.models.lens import LayerLens


def path_tokens(model, text: str, **config) -> tuple[list[str], list[int]]:
    """A decoded hypothesis of ``text``: the source symbols and its tokens (</s> included when it finished)."""
    result = decode(model, text, DecodeConfig(max_length=10, **config))
    h = result.hypotheses[0]
    return result.trace.source, h.token_ids + ([model.target_vocab.eos_id] if h.finished else [])


@torch.inference_mode()
def step_log_probs(model, text: str, tokens: list[int]) -> torch.Tensor:
    """(T, V) the model's own step distributions along ``tokens``, through the step protocol as the engine feeds it."""
    _, state = encode_source(model, text)
    prev, out = torch.tensor([model.target_vocab.bos_id]), []
    for token in tokens:
        step = model.step(prev, state)
        out.append(torch.log_softmax(step.logits[0].float(), -1))
        state, prev = step.state, torch.tensor([token])
    return torch.stack(out)


def forced(model, target: str) -> list[int]:
    """``target``'s tokens and </s>: a hypothesis to read (teacher forcing takes any)."""
    vocab = model.target_vocab
    return vocab.encode(vocab.tokenize(target)) + [vocab.eos_id]


def check_last_layer(model, text: str, target: str = "") -> Lens:
    """The lens's last layer equals the model's step distribution at every step, in full and as kept, along
    ``target`` (default: the greedy output)."""
    source, tokens = path_tokens(model, text)
    tokens = forced(model, target) if target else tokens
    assert len(tokens) >= 2
    own = step_log_probs(model, text, tokens)  # (T, V)
    src = torch.tensor([model.source_vocab.encode(source)])
    with torch.inference_mode():
        states = model.lens_states(src, torch.tensor([tokens]))  # (L, 1, T, d)
        last = torch.log_softmax(model.lens_head(states[-1, 0]).float(), -1)
    torch.testing.assert_close(last.exp(), own.exp(), atol=2e-5, rtol=1e-4)
    lens = lens_of(model, source, tokens)
    assert lens.layers == states.shape[0] >= 1 and len(lens.steps) == len(tokens) and not lens.reason
    for t, step in enumerate(lens.steps):
        top = own[t].topk(step.top_ids.shape[1])
        assert step.top_ids[-1].tolist() == top.indices.tolist()
        np.testing.assert_allclose(step.top_probs[-1], top.values.exp().numpy(), atol=2e-5)
        np.testing.assert_allclose(step.chosen_prob[-1], own[t, tokens[t]].exp().item(), atol=2e-5)
        assert step.chosen_rank[-1] == 1 + int((own[t] > own[t, tokens[t]]).sum())
    return lens


def test_our_transformer():
    lens = check_last_layer(tiny_transformer(layers=3), "cab", "K AE B")
    assert lens.layers == 3 and "LayerNorm" in lens.reads


def test_our_decoder_only_model():
    assert check_last_layer(tiny_decoder_only(layers=3), "cabbage").layers == 3


def test_every_layer_is_its_residual_stream_through_the_final_norm():
    # layer i's row: the stream after block i, read through the same final LayerNorm and output layer
    model = tiny_transformer(layers=3)
    src = torch.tensor([model.source_vocab.encode(list("cab"))])
    tokens = torch.tensor([[4, 5, 2]])
    streams, _ = model.decoder_stack(src, torch.tensor([[1, 4, 5]]))
    with torch.inference_mode():
        torch.testing.assert_close(model.lens_states(src, tokens), model.decoder_norm(torch.stack(streams)))


@pytest.mark.parametrize("family", ["bart", "marian", "t5"])
def test_hugging_face_encoder_decoders(tmp_path, family):
    pytest.importorskip("transformers")
    seed, bias = (2, 6.0) if family == "t5" else (0, 2.0)
    model = load_model(hf_checkpoint(tmp_path / family, family, seed=seed, eos_bias=bias, layers=3))
    check_last_layer(model, "the cat sat on the mat", "a big red dog")
    check_layers_read_through_the_final_norm(model, model.model.get_decoder(), "the cat sat")


@pytest.mark.parametrize("family", ["mbart", "pegasus"])
def test_hugging_face_pre_norm_encoder_decoders(family):
    """mBART and Pegasus (pre-LN, a final decoder LayerNorm), built from their config classes."""
    transformers = pytest.importorskip("transformers")
    from playground.models.hf import HFSeq2Seq

    tokenizer = hf_tokenizer("bart")
    config_class = transformers.MBartConfig if family == "mbart" else transformers.PegasusConfig
    config = config_class(vocab_size=len(tokenizer), d_model=16, encoder_layers=2, decoder_layers=2,
                          encoder_attention_heads=2, decoder_attention_heads=2, encoder_ffn_dim=32,
                          decoder_ffn_dim=32, max_position_embeddings=80, dropout=0.0, init_std=0.3, bos_token_id=0,
                          pad_token_id=1, eos_token_id=2, decoder_start_token_id=2, forced_bos_token_id=None,
                          forced_eos_token_id=None)
    torch.manual_seed(0)
    model = HFSeq2Seq(transformers.AutoModelForSeq2SeqLM.from_config(config).eval(), tokenizer, name=family)
    check_last_layer(model, "the cat sat on the mat", "a big red dog")
    check_layers_read_through_the_final_norm(model, model.model.get_decoder(), "the cat sat")


def test_a_multilingual_model_forced_to_a_language(tmp_path):
    pytest.importorskip("transformers")
    model = load_model(m2m_checkpoint(tmp_path / "m2m"))
    check_last_layer(model, "the cat sat", "__de__ die katze")
    check_layers_read_through_the_final_norm(model, model.model.get_decoder(), "the cat sat", "__de__ die katze")


@pytest.mark.parametrize("family", ["gpt2", "gpt_neox", "llama", "qwen2", "phi3", "gemma2", "gemma3_text"])
def test_hugging_face_decoder_only_models(family):
    pytest.importorskip("transformers")
    from causal import causal_model

    model = causal_model(family)
    check_last_layer(model, "the cat sat on the mat", "the big red dog ran")
    check_layers_read_through_the_final_norm(model, model.model.base_model, "the cat sat")


def check_layers_read_through_the_final_norm(model, decoder, text: str, target: str = "a big red dog") -> None:
    """Every row is what the library's decoder layer i returns (caught by a hook here), through ``lens_norm``."""
    layers = decoder.block if hasattr(decoder, "block") else decoder.h if hasattr(decoder, "h") else decoder.layers
    source, tokens = path_tokens(model, text)[0], forced(model, target)
    src = torch.tensor([model.source_vocab.encode(source)])
    caught = []
    hooks = [layer.register_forward_hook(lambda m, a, out: caught.append(out[0] if isinstance(out, tuple) else out))
             for layer in layers]
    try:
        with torch.inference_mode():
            states = model.lens_states(src, torch.tensor([tokens]))
    finally:
        for hook in hooks:
            hook.remove()
    assert len(caught) == len(layers) == states.shape[0]
    with torch.inference_mode():
        expected = torch.stack([model.lens_norm()(h)[:, -len(tokens):] for h in caught])
    torch.testing.assert_close(states, expected, atol=1e-5, rtol=1e-4)


def test_a_batch_of_hypotheses_reads_as_each_alone():
    model = tiny_transformer(layers=2)
    src = torch.tensor([model.source_vocab.encode(list("cab"))])
    rows = torch.tensor([[4, 5, 6, 2], [7, 2, 0, 0]])  # the second row is padded after its </s>
    with torch.inference_mode():
        both = model.lens_states(src, rows)
        alone = model.lens_states(src, rows[1:, :2])
    torch.testing.assert_close(both[:, 1:, :2], alone, atol=1e-5, rtol=1e-4)


def test_what_is_kept_is_bounded_and_ordered():
    model = tiny_transformer(layers=3)
    source, tokens = path_tokens(model, "quick")
    lens = lens_of(model, source, tokens, k=4)
    for t, step in enumerate(lens.steps):
        assert step.token == tokens[t] and step.token in step.columns.tolist()
        assert len(set(step.columns.tolist())) == len(step.columns) <= MAX_COLUMNS
        assert step.probs.shape == (3, len(step.columns)) and step.top_ids.shape == (3, 4)
        assert (np.diff(step.probs[-1]) <= 1e-7).all()  # the last layer's most probable first
        for layer in range(3):  # every layer's few best tokens are columns, with their probabilities
            few = step.top_ids[layer, :FEW].tolist()
            assert set(few) <= set(step.columns.tolist())
            where = [step.columns.tolist().index(i) for i in few]
            np.testing.assert_allclose(step.probs[layer, where], step.top_probs[layer, :FEW], atol=1e-6)
            assert step.chosen_rank[layer] >= 1 and 0 <= step.chosen_prob[layer] <= 1
        assert (step.entropy >= 0).all()
    short, at = step_lens(model, source, tokens, 1)
    assert at == 1 and len(short.steps) == 2
    np.testing.assert_allclose(short.steps[1].probs, lens.steps[1].probs, rtol=1e-4, atol=1e-5)  # (other shapes)


def test_rnns_and_ensembles_have_no_lens_and_say_why():
    from playground.models.ensemble import Ensemble, EnsembleConfig

    rnn = tiny_model()
    assert not isinstance(rnn, LayerLens) and "RNN" in unavailable(rnn)
    assert lens_of(rnn, list("cab"), [4, 2]).reason == unavailable(rnn)
    ensemble = Ensemble(EnsembleConfig(members=("rnn", "tf")), [tiny_model(), tiny_transformer()])
    assert "ensemble" in unavailable(ensemble)
    assert unavailable(tiny_transformer()) == "" and unavailable(tiny_decoder_only()) == ""


def test_a_sessions_source_computes_each_hypothesis_once_and_lets_the_model_go():
    model = tiny_transformer()
    source, tokens = path_tokens(model, "cab")
    lenses = LensSource(model, source)
    first = lenses(tokens)
    assert lenses(tokens) is first and len(first.steps) == len(tokens)
    assert LensSource(model, source) == lenses != LensSource(model, list("cat"))
    assert LensSource(tiny_model(), source)(tokens).reason.startswith("An RNN")
    del model
    import gc

    gc.collect()
    assert "unloaded" in lenses([4, 2]).reason and lenses(tokens) is first  # what was computed stays
