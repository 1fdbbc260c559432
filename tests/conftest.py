"""Shared fixtures: tiny models and checkpoints built in a few milliseconds, never downloaded."""

from __future__ import annotations

import pytest
import torch

from playground.checkpoint import save_checkpoint
from playground.model import ModelConfig, Seq2Seq
from playground.vocab import Vocab

# Every test works on tiny tensors: a thread pool costs more than it gives, and CI has 2 cores.
torch.set_num_threads(1)

CHARS = Vocab(symbols=("<pad>", "<s>", "</s>", "'", *"abcdefghijklmnopqrstuvwxyz"), kind="chars")
PHONES = Vocab(symbols=("<pad>", "<s>", "</s>", "AA", "AE", "AH", "B", "K", "T", "S"), kind="words",
               lowercase=False)


def tiny_model(attention: str = "bahdanau", rnn: str = "gru", layers: int = 1, seed: int = 0) -> Seq2Seq:
    torch.manual_seed(seed)
    config = ModelConfig(src_vocab_size=len(CHARS), tgt_vocab_size=len(PHONES), embed_dim=8, hidden_dim=12,
                         encoder_layers=layers, decoder_layers=layers, rnn=rnn, attention=attention, dropout=0.0)
    return Seq2Seq(config, CHARS, PHONES).eval()


@pytest.fixture
def model() -> Seq2Seq:
    return tiny_model()


HUB_COMMIT = "0123456789abcdef0123456789abcdef01234567"


@pytest.fixture
def hub_cache(tmp_path, monkeypatch):
    """An offline local Hugging Face Hub cache holding someone/tiny-g2p (tiny_model()) at HUB_COMMIT, which
    main points to: the real huggingface_hub code path, no network."""
    import shutil

    import huggingface_hub.constants as hub

    checkpoint = save_checkpoint(tiny_model(), tmp_path / "ckpt", meta={"task": "g2p", "name": "tiny"})
    repo = tmp_path / "hub" / "models--someone--tiny-g2p"
    shutil.copytree(checkpoint, repo / "snapshots" / HUB_COMMIT)
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text(HUB_COMMIT)
    monkeypatch.setattr(hub, "HF_HUB_CACHE", str(tmp_path / "hub"))
    monkeypatch.setattr(hub, "HF_HUB_OFFLINE", True)
