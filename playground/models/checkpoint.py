"""Self-describing checkpoints: a directory with config.json, model.safetensors and README.md.

config.json holds everything needed to rebuild the model (architecture, both vocabularies, the
task, the data split, metrics), so loading never runs code from the file: weights come from
safetensors only, with strict key and shape checks.
"""

from __future__ import annotations

import json
import reprlib
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


_BRIEF = reprlib.Repr()
_BRIEF.maxlevel, _BRIEF.maxstring, _BRIEF.maxother = 3, 60, 60
_BRIEF.maxtuple = _BRIEF.maxlist = _BRIEF.maxdict = _BRIEF.maxset = 6


def brief(value, limit: int = 80, *, quote: bool = True) -> str:
    """``repr(value)`` (or ``str`` with ``quote=False``) cut to about ``limit`` characters, for messages that echo
    what came from a file or a request: a name of 10,000 characters or a list nested 1,000 deep stays one line."""
    text = _BRIEF.repr(value) if quote else str(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


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
    except RecursionError:
        raise CheckpointError(f"{path}: not a valid checkpoint config (nested too deeply)") from None
    except (json.JSONDecodeError, UnicodeDecodeError, KeyError, TypeError) as e:
        raise CheckpointError(f"{path}: not a valid checkpoint config ({type(e).__name__}: "
                              f"{brief(str(e), 160, quote=False)})") from None
    return config


def load_local(directory, device: str | torch.device = "cpu"):
    """A playground checkpoint: the model its config.json describes, checked against the safetensors file's
    header (names, shapes, floating point) on the ``meta`` device before a byte of it is allocated, so a config
    that claims a huge model over a small file is refused without building it; then built and filled."""
    directory = Path(directory)
    if not directory.is_dir():
        raise CheckpointError(f"{directory}: no such checkpoint directory")
    config = read_config(directory)
    weights = directory / WEIGHTS_NAME
    with torch.device("meta"):
        skeleton = _build(config, directory)
    if not weights.is_file():
        raise CheckpointError(f"{weights}: missing")
    check_header(weights, skeleton)
    model = _build(config, directory)
    try:
        tensors = load_file(str(weights))
    except (SafetensorError, OSError, ValueError) as e:
        detail = brief(str(e), 160, quote=False)
        raise CheckpointError(f"{weights}: unreadable or corrupt safetensors file ({detail})") from None
    model.load_state_dict(tensors, strict=True)  # copies into the float32 parameters (float16 files cast up)
    model.config = config
    return model.to(device).eval()


MAX_COMPUTED_BYTES = 64 * 2**20  # tables a model computes instead of storing (positions): ours hold 128 KB


def _build(config: dict, directory: Path):
    try:
        return build_model(config)
    except RecursionError:
        raise CheckpointError(f"{directory / CONFIG_NAME}: invalid model description (nested too deeply)") from None
    except Exception as e:  # noqa: BLE001 - any description a model class cannot be built from is the file's fault
        raise CheckpointError(f"{directory / CONFIG_NAME}: invalid model description ({type(e).__name__}: "
                              f"{brief(str(e), 160, quote=False)})") from None


def safetensors_header(path: Path) -> dict[str, tuple[tuple[int, ...], str]]:
    """name -> (shape, dtype) of every tensor in a safetensors file, read from its header only (no tensor data);
    CheckpointError naming the file when it is not one."""
    from safetensors import safe_open

    try:
        with safe_open(str(path), framework="pt") as f:
            return {k: (tuple(f.get_slice(k).get_shape()), str(f.get_slice(k).get_dtype())) for k in f.keys()}
    except (SafetensorError, OSError, ValueError, RuntimeError) as e:
        raise CheckpointError(f"{path}: unreadable or corrupt safetensors file ({brief(str(e), 160, quote=False)})") \
            from None


FLOAT_DTYPES = frozenset({"F16", "BF16", "F32", "F64", "float16", "bfloat16", "float32", "float64"})


def check_header(weights: Path, skeleton) -> None:
    """The file holds exactly the skeleton's tensors (names and shapes), in floating point, and the skeleton computes
    no table larger than MAX_COMPUTED_BYTES; CheckpointError naming the file otherwise."""
    header = safetensors_header(weights)
    not_float = sorted(k for k, (_, dtype) in header.items() if dtype not in FLOAT_DTYPES)
    if not_float:
        raise CheckpointError(f"{weights}: tensors that are not floating point: {brief(not_float)}")
    expected = {k: tuple(v.shape) for k, v in skeleton.state_dict().items()}
    missing, unexpected = sorted(expected.keys() - header.keys()), sorted(header.keys() - expected.keys())
    if missing or unexpected:
        raise CheckpointError(f"{weights}: keys do not match {CONFIG_NAME}: missing {brief(missing, 300)}, "
                              f"unexpected {brief(unexpected, 300)}")
    bad = [k for k in expected if expected[k] != header[k][0]]
    if bad:
        shapes = ", ".join(f"{k} {header[k][0]} != {expected[k]}" for k in bad[:5])
        raise CheckpointError(f"{weights}: tensor shapes do not match {CONFIG_NAME}: {shapes}")
    stored = set(skeleton.state_dict())
    computed = sum(b.numel() * b.element_size() for n, b in skeleton.named_buffers() if n not in stored)
    if computed > MAX_COMPUTED_BYTES:
        raise CheckpointError(f"{weights.parent / CONFIG_NAME}: the model would compute {computed / 2**20:.0f} MB of "
                              f"tables beside its weights (at most {MAX_COMPUTED_BYTES // 2**20} MB)")
