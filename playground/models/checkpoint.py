"""Self-describing checkpoints: a directory with config.json, model.safetensors and README.md.

config.json holds everything needed to rebuild the model (architecture, both vocabularies, the
task, the data split, metrics), so loading never runs code from the file: weights come from
safetensors only, with strict key and shape checks.
"""

from __future__ import annotations

import json
from pathlib import Path

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file

from playground.models.decoder_only import DecoderOnly, DecoderOnlyConfig
from playground.models.rnn import ModelConfig, Seq2Seq
from playground.models.transformer import Transformer, TransformerConfig
from playground.models.vocab import Vocab

CONFIG_NAME, WEIGHTS_NAME, CARD_NAME = "config.json", "model.safetensors", "README.md"
FORMAT_VERSION = 1
SHIPPED = Path(__file__).resolve().parents[2] / "checkpoints"  # the repository's bundled checkpoints
# how weights may be stored: float16 halves the file (for a model that would not fit 15 MB in float32);
# the model always runs in float32, loading casts back
WEIGHTS_DTYPES = {"float32": torch.float32, "float16": torch.float16}


# config.json "model.family" -> (its config dataclass, its module); checkpoints without a family are RNNs
FAMILIES = {"rnn": (ModelConfig, Seq2Seq), "transformer": (TransformerConfig, Transformer),
            "decoder-only": (DecoderOnlyConfig, DecoderOnly)}


class CheckpointError(RuntimeError):
    """A checkpoint that is missing, corrupt or does not match its config; the message names the file."""


def build_model(config: dict, *, with_vocabs: bool = True):
    """An untrained model as config.json describes it (architecture, and both vocabularies unless
    ``with_vocabs`` is False). Raises TypeError / ValueError / KeyError for a description that does not fit."""
    arch = dict(config["model"])
    family = arch.pop("family", "rnn")
    if family not in FAMILIES:
        raise ValueError(f"unknown model family {family!r}; known: {', '.join(FAMILIES)}")
    config_cls, model_cls = FAMILIES[family]
    vocabs = (Vocab.from_dict(config["source_vocab"]), Vocab.from_dict(config["target_vocab"])) if with_vocabs \
        else (None, None)
    return model_cls(config_cls(**arch), *vocabs)


def save_checkpoint(model, directory, *, meta: dict, card: str | None = None) -> Path:
    """Write config.json (architecture + vocabularies + ``meta``), model.safetensors and a model card."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    config = {
        "format_version": FORMAT_VERSION,
        **meta,
        "model": {"family": model.family, **model.arch.to_dict()},
        "source_vocab": model.source_vocab.to_dict(),
        "target_vocab": model.target_vocab.to_dict(),
    }
    tensors = {k: v.detach().to("cpu", torch.float32).contiguous() for k, v in model.state_dict().items()}
    save_file(tensors, str(directory / WEIGHTS_NAME))
    (directory / CONFIG_NAME).write_text(json.dumps(config, indent=2) + "\n")
    if card is not None:
        (directory / CARD_NAME).write_text(card)
    return directory


def read_config(directory, keys: tuple[str, ...] = ("model", "source_vocab", "target_vocab")) -> dict:
    """config.json of ``directory``, which must hold ``keys``; CheckpointError naming the file otherwise."""
    path = Path(directory) / CONFIG_NAME
    if not path.is_file():
        raise CheckpointError(f"{path}: missing (a checkpoint directory holds {CONFIG_NAME} and {WEIGHTS_NAME})")
    try:
        config = json.loads(path.read_text())
        for key in keys:
            config[key]
    except (json.JSONDecodeError, UnicodeDecodeError, KeyError, TypeError) as e:
        raise CheckpointError(f"{path}: not a valid checkpoint config ({type(e).__name__}: {e})") from None
    return config


def load_local(directory, device: str | torch.device = "cpu"):
    directory = Path(directory)
    if not directory.is_dir():
        raise CheckpointError(f"{directory}: no such checkpoint directory")
    config = read_config(directory)
    try:
        model = build_model(config)
    except (TypeError, ValueError, KeyError) as e:
        raise CheckpointError(f"{directory / CONFIG_NAME}: invalid model description ({e})") from None
    weights = directory / WEIGHTS_NAME
    if not weights.is_file():
        raise CheckpointError(f"{weights}: missing")
    try:
        tensors = load_file(str(weights))
    except (SafetensorError, OSError, ValueError) as e:
        raise CheckpointError(f"{weights}: unreadable or corrupt safetensors file ({e})") from None
    not_float = sorted(k for k, v in tensors.items() if not v.is_floating_point())
    if not_float:
        raise CheckpointError(f"{weights}: tensors that are not floating point: {not_float[:5]}")
    expected = model.state_dict()
    missing, unexpected = sorted(expected.keys() - tensors.keys()), sorted(tensors.keys() - expected.keys())
    if missing or unexpected:
        raise CheckpointError(f"{weights}: keys do not match {CONFIG_NAME}: missing {missing}, unexpected {unexpected}")
    bad = [k for k in expected if tuple(expected[k].shape) != tuple(tensors[k].shape)]
    if bad:
        shapes = ", ".join(f"{k} {tuple(tensors[k].shape)} != {tuple(expected[k].shape)}" for k in bad)
        raise CheckpointError(f"{weights}: tensor shapes do not match {CONFIG_NAME}: {shapes}")
    model.load_state_dict(tensors, strict=True)  # copies into the float32 parameters (float16 files cast up)
    model.config = config
    return model.to(device).eval()
