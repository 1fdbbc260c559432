"""Shared test helpers (fixtures live in conftest.py): tiny models and stores built in milliseconds, a
hand-written G2P-like scripted model, traces of every strategy, and the trace invariants every strategy keeps.
Nothing here downloads anything or writes into the repository."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from playground.decoding.api import decode
from playground.decoding.config import DecodeConfig
from playground.decoding.scripted import ScriptedModel
from playground.decoding.trace import STATUSES, Trace
from playground.models.rnn import ModelConfig, Seq2Seq
from playground.models.vocab import Vocab

CHARS = Vocab(symbols=("<pad>", "<s>", "</s>", "'", *"abcdefghijklmnopqrstuvwxyz"), kind="chars")
PHONES = Vocab(symbols=("<pad>", "<s>", "</s>", "AA", "AE", "AH", "B", "K", "T", "S"), kind="words",
               lowercase=False)
HUB_COMMIT = "0123456789abcdef0123456789abcdef01234567"


def tiny_model(attention: str = "bahdanau", rnn: str = "gru", layers: int = 1, seed: int = 0) -> Seq2Seq:
    """An untrained G2P RNN over CHARS -> PHONES (a few thousand weights)."""
    torch.manual_seed(seed)
    config = ModelConfig(src_vocab_size=len(CHARS), tgt_vocab_size=len(PHONES), embed_dim=8, hidden_dim=12,
                         encoder_layers=layers, decoder_layers=layers, rnn=rnn, attention=attention, dropout=0.0)
    return Seq2Seq(config, CHARS, PHONES).eval()


def tiny_transformer(seed: int = 0, layers: int = 2, heads: int = 2):
    """An untrained G2P Transformer over CHARS -> PHONES (d_model 8)."""
    from playground.models.transformer import Transformer, TransformerConfig

    torch.manual_seed(seed)
    config = TransformerConfig(src_vocab_size=len(CHARS), tgt_vocab_size=len(PHONES), d_model=8, heads=heads,
                               encoder_layers=layers, decoder_layers=layers, ffn_dim=16, dropout=0.0)
    return Transformer(config, CHARS, PHONES).eval()


def tiny_decoder_only(seed: int = 0, layers: int = 2, heads: int = 2):
    """An untrained decoder-only G2P Transformer over CHARS -> PHONES (d_model 8)."""
    from playground.models.decoder_only import DecoderOnly, DecoderOnlyConfig

    torch.manual_seed(seed)
    config = DecoderOnlyConfig(src_vocab_size=len(CHARS), tgt_vocab_size=len(PHONES), d_model=8, heads=heads,
                               layers=layers, ffn_dim=16, dropout=0.0)
    return DecoderOnly(config, CHARS, PHONES).eval()


def tiny_p2g(seed: int = 0) -> Seq2Seq:
    """An untrained P2G RNN over PHONES -> CHARS, Luong "general" attention."""
    torch.manual_seed(seed)
    config = ModelConfig(src_vocab_size=len(PHONES), tgt_vocab_size=len(CHARS), embed_dim=8, hidden_dim=12,
                         encoder_layers=1, decoder_layers=1, rnn="gru", attention="general", dropout=0.0)
    return Seq2Seq(config, PHONES, CHARS).eval()


def tiny_store():
    """Two untrained models (milliseconds to build): the app's behaviour, not the models', is under test."""
    from playground.ui import ModelStore

    return ModelStore({"g2p-tiny": tiny_model(), "p2g-tiny": tiny_p2g()})


def served_client(ports: range):
    """A gradio_client Client on the app over tiny_store(), served on a free port in ``ports`` (a generator:
    ``yield from`` it in a module fixture; the server closes when the fixture ends)."""
    from gradio_client import Client

    from playground.ui import build_demo
    from playground.ui.server import serve

    url, demo = serve(build_demo(tiny_store()), ports=ports)
    try:
        yield Client(url, verbose=False)
    finally:
        demo.close()


COLONEL_PHONES = ("K", "ER", "N", "AH", "L", "OW")


def colonel_model() -> ScriptedModel:
    """A hand-written G2P-like table: greedy reads 'colonel' as K ER N AH L (p = .9 .6 .8 .7 .9 1)."""
    return ScriptedModel(target_symbols=COLONEL_PHONES, attention="monotonic", table={
        (): {"K": 0.9, "N": 0.1},
        ("K",): {"ER": 0.6, "OW": 0.4},
        ("K", "ER"): {"N": 0.8, "L": 0.2},
        ("K", "ER", "N"): {"AH": 0.7, "</s>": 0.3},
        ("K", "ER", "N", "AH"): {"L": 0.9, "</s>": 0.1},
        ("K", "OW"): {"L": 1.0},
        ("K", "OW", "L"): {"AH": 0.5, "</s>": 0.5},
    })


def trace_of(model=None, text="colonel", **config) -> Trace:
    return decode(model or colonel_model(), text, DecodeConfig(**config)).trace


def all_figures(trace: Trace, hyp: int = 0, t: int = 0) -> list:
    """The five Explore views of hypothesis ``hyp`` at step ``t``."""
    from playground.ui.explore.attention import attention_figure
    from playground.ui.explore.distribution import distribution_figure
    from playground.ui.explore.results import results_figure
    from playground.ui.explore.selection import Selection
    from playground.ui.explore.tree import tree_figure
    from playground.ui.explore.uncertainty import uncertainty_figure

    sel = Selection.of(trace, hyp)
    return [results_figure(sel), distribution_figure(sel, t), attention_figure(sel, t), tree_figure(sel, t),
            uncertainty_figure(sel, t)]


TRACES = {  # every strategy, the filters, lengths penalties, hypotheses cut at the maximum length
    "greedy": dict(strategy="greedy"),
    "sample with filters": dict(strategy="sample", num_samples=6, num_return=3, temperature=1.5, top_k=5,
                                top_p=0.9, min_p=0.01, seed=3),
    "beam": dict(strategy="beam", beam_width=4, num_return=3, length_penalty=1.0),
    "beam gnmt, cut": dict(strategy="beam", beam_width=3, num_return=3, length_penalty_formula="gnmt",
                           max_length=3),
    "diverse beam": dict(strategy="diverse_beam", beam_width=6, num_groups=3, diversity_penalty=0.5,
                         num_return=3),
    "stochastic beam": dict(strategy="stochastic_beam", beam_width=4, num_return=3, temperature=1.2, top_k=8,
                            seed=2),
    "exact": dict(strategy="exact"),
}


def check_invariants(trace: Trace, config: DecodeConfig) -> None:
    for step in trace.steps:
        h = len(step.node_ids)
        for probs in (step.probs_temperature, step.probs_filtered):
            assert probs.shape[0] == h and np.isfinite(probs).all() and (probs >= 0).all()
            assert np.allclose(probs.sum(1), 1.0, atol=1e-5)
        assert (step.kept >= 1).all() and (step.kept == (step.probs_filtered > 0).sum(1)).all()
        assert step.attention.ndim == 4 and np.allclose(step.attention.sum(-1), 1.0, atol=1e-5)  # (H, L, K, S)
        for name in ("logits", "log_probs", "entropy", "entropy_temperature", "entropy_filtered",
                     "chosen_prob"):
            assert np.isfinite(getattr(step, name)).all(), name
        assert (step.entropy >= 0).all() and (step.entropy_filtered >= 0).all()
        if (step.chosen >= 0).any():  # chain steps: every row made a choice the filters allowed (contrastive
            # search may take a top-k candidate whose probability underflows float32: its penalty decides)
            assert (step.chosen >= 0).all() and (step.chosen_rank >= 0).all()
            assert (step.chosen_prob > 0).all() or trace.strategy == "contrastive"
        assert all(0 <= c < len(trace.nodes) for c in step.candidates)
    for node in trace.nodes:
        assert node.status in STATUSES and node.parent < node.id
        assert np.isfinite([node.log_prob, node.cum_log_prob, node.score]).all()
        if node.id:
            assert node.step == trace.nodes[node.parent].step + 1 and node.token not in (0, 1)
    assert trace.hypotheses, "every strategy returns at least one hypothesis"
    for hyp in trace.hypotheses:
        assert trace.nodes[hyp.node].token == (2 if hyp.finished else hyp.token_ids[-1])
        assert len(hyp.token_ids) + hyp.finished <= config.max_length
        assert hyp.token_ids[: len(config.prefix)] == [3] * len(config.prefix)  # "a" is id 3
        assert np.isfinite([hyp.log_prob, hyp.score]).all()
        assert hyp.log_prob == pytest.approx(trace.nodes[hyp.node].cum_log_prob, rel=1e-6, abs=1e-4)
    assert Trace.from_dict(json.loads(json.dumps(trace.to_dict(), allow_nan=False))) == trace


# --- tiny Hugging Face encoder-decoders (tests/test_models_hf*.py): built offline from config classes ----------
HF_WORDS = tuple("the a cat dog sat on mat big small red blue ran to house tree bird sang song sun moon".split()) + \
    tuple(f"w{i}" for i in range(60))  # > 50 symbols in all: traces cut their rows (recorder.TRACE_TOP_N)
# family -> (its special tokens in id order, what the tokenizer wraps a source in, the config's special ids)
HF_FAMILIES = {
    "bart": ({"bos": "<s>", "pad": "<pad>", "eos": "</s>", "unk": "<unk>"}, "<s> $A </s>",
             dict(bos_token_id=0, pad_token_id=1, eos_token_id=2, decoder_start_token_id=2)),
    "marian": ({"eos": "</s>", "unk": "<unk>", "pad": "<pad>"}, "$A </s>",
               dict(eos_token_id=0, pad_token_id=2, decoder_start_token_id=2)),
    "t5": ({"pad": "<pad>", "eos": "</s>", "unk": "<unk>"}, "$A </s>",
           dict(pad_token_id=0, eos_token_id=1, decoder_start_token_id=0)),
}


def hf_tokenizer(family: str):
    """A word-level tokenizer over HF_WORDS (tokenizers' WordLevel model, whitespace pre-tokenizer) with the
    family's special tokens, wrapped as a transformers PreTrainedTokenizerFast."""
    from tokenizers import Tokenizer, models, pre_tokenizers, processors
    from transformers import PreTrainedTokenizerFast

    specials, template, _ = HF_FAMILIES[family]
    vocab = {token: i for i, token in enumerate([*specials.values(), *HF_WORDS])}
    tokenizer = Tokenizer(models.WordLevel(vocab, unk_token="<unk>"))
    tokenizer.pre_tokenizer = pre_tokenizers.Whitespace()
    tokenizer.post_processor = processors.TemplateProcessing(
        single=template, special_tokens=[(t, vocab[t]) for t in specials.values() if t in template])
    return PreTrainedTokenizerFast(tokenizer_object=tokenizer, **{f"{k}_token": v for k, v in specials.items()})


def hf_config(family: str, vocab_size: int, *, layers: int = 2, d_model: int = 16, heads: int = 2):
    """A tiny config of ``family`` (random weights at a large scale, so that distributions are peaked and
    ties do not happen), with no forced tokens."""
    from transformers import BartConfig, MarianConfig, T5Config

    ids = HF_FAMILIES[family][2]
    if family == "t5":
        return T5Config(vocab_size=vocab_size, d_model=d_model, d_kv=d_model // heads, d_ff=2 * d_model,
                        num_layers=layers, num_decoder_layers=layers, num_heads=heads, dropout_rate=0.0,
                        initializer_factor=2.0, **ids)
    config_cls = BartConfig if family == "bart" else MarianConfig
    return config_cls(vocab_size=vocab_size, d_model=d_model, encoder_layers=layers, decoder_layers=layers,
                      encoder_attention_heads=heads, decoder_attention_heads=heads, encoder_ffn_dim=2 * d_model,
                      decoder_ffn_dim=2 * d_model, max_position_embeddings=80, dropout=0.0, attention_dropout=0.0,
                      activation_dropout=0.0, init_std=0.3, forced_bos_token_id=None, forced_eos_token_id=None,
                      **ids)


def hf_checkpoint(directory, family: str = "bart", *, seed: int = 0, eos_bias: float = 2.0, **sizes):
    """A tiny random ``family`` model and its tokenizer saved in ``directory`` (model.safetensors, config.json,
    tokenizer files), as a Hub repository holds them. ``eos_bias`` raises </s>'s logit (BART and Marian's
    final_logits_bias) so that hypotheses end at different lengths; T5 has no such bias."""
    import transformers

    tokenizer = hf_tokenizer(family)
    config = hf_config(family, len(tokenizer), **sizes)
    torch.manual_seed(seed)
    model = transformers.AutoModelForSeq2SeqLM.from_config(config).eval()
    if hasattr(model, "final_logits_bias"):
        model.final_logits_bias[0, config.eos_token_id] = eos_bias
    else:
        raise_t5_eos(model, config.eos_token_id, eos_bias)
    model.save_pretrained(directory)
    tokenizer.save_pretrained(directory)
    return directory


M2M_WORDS = ("<s>", "<pad>", "</s>", "<unk>", "__de__", "__fr__", "the", "cat", "sat", "chat", "katze", "le", "die")


def m2m_checkpoint(directory, *, seed: int = 0):
    """A tiny random M2M-100 (a multilingual model: its target languages __de__ and __fr__ are special tokens
    forced first) over a word-level tokenizer of M2M_WORDS, saved in ``directory``."""
    import transformers
    from tokenizers import Tokenizer, models, pre_tokenizers

    backend = Tokenizer(models.WordLevel({w: i for i, w in enumerate(M2M_WORDS)}, unk_token="<unk>"))
    backend.pre_tokenizer = pre_tokenizers.Whitespace()
    tokenizer = transformers.PreTrainedTokenizerFast(tokenizer_object=backend, bos_token="<s>", pad_token="<pad>",
                                                     eos_token="</s>", unk_token="<unk>",
                                                     additional_special_tokens=["__de__", "__fr__"])
    config = transformers.M2M100Config(vocab_size=len(M2M_WORDS), d_model=16, encoder_layers=1, decoder_layers=1,
                                       encoder_attention_heads=2, decoder_attention_heads=2, encoder_ffn_dim=32,
                                       decoder_ffn_dim=32, max_position_embeddings=40, pad_token_id=1, bos_token_id=0,
                                       eos_token_id=2, decoder_start_token_id=2, dropout=0.0, init_std=0.3)
    torch.manual_seed(seed)
    transformers.M2M100ForConditionalGeneration(config).save_pretrained(directory)
    tokenizer.save_pretrained(directory)
    return directory


@torch.no_grad()
def raise_t5_eos(model, eos: int, bias: float) -> None:
    """T5 has no output bias: move </s>'s (tied) output row along the decoder's mean output on random text, so
    that its logit there rises by about ``bias`` (logits = d^-1/2 h . E[v], the T5 paper's tied head)."""
    ids = torch.randint(3, model.config.vocab_size, (4, 6))
    hidden = model(input_ids=ids, decoder_input_ids=ids, output_hidden_states=True).decoder_hidden_states[-1]
    mean = hidden.mean((0, 1))  # (d,)
    model.shared.weight[eos] += bias * model.config.d_model ** 0.5 * mean / mean.square().sum()


def check_trace_columns(trace: Trace) -> None:
    """What every step keeps whatever the vocabulary (recorder.py): each distribution's kept entries plus the mass
    left outside them sum to 1, columns are distinct token ids, and every node's token sits in the columns of the
    row that expanded its parent (so every path can be shown step by step)."""
    vocab = len(trace.target_symbols)
    for step in trace.steps:
        for k, probs in enumerate((np.exp(step.log_probs), step.probs_temperature, step.probs_filtered)):
            assert np.allclose(probs.sum(1) + step.outside[:, k], 1.0, atol=1e-5)
        assert (step.kept >= 1).all() and (step.outside >= 0).all()
        if step.cut:
            assert all(len(set(row)) == len(row) for row in step.columns.tolist())
            assert (0 <= step.columns).all() and (step.columns < vocab).all() and step.logits.shape[1] < vocab
    for node in trace.nodes[1:]:
        where = trace.step_row(node.parent)
        if where is not None:
            assert trace.steps[where[0]].column(where[1], node.token) is not None, node
