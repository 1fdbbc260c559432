"""``load_model(path_or_repo_id)``: the one front door to every model the playground can decode with.

    checkpoints/g2p-bahdanau          a checkpoint directory: config.json + model.safetensors (checkpoint.py)
    checkpoints/g2p-ensemble          an ensemble: config.json naming member checkpoints beside it (ensemble.py)
    path/to/opus-mt-en-de             a transformers encoder-decoder (config.json with a supported model_type,
                                      model.safetensors, a tokenizer): BART, Marian, T5, ... (hf.py)
    owner/name, owner/name@commit     a Hugging Face Hub repository holding either kind (hub.py: checked before
                                      anything is downloaded; the commit pins what is loaded)

Nothing is ever unpickled and no code from a checkpoint runs: weights are safetensors, descriptions JSON.
"""

from __future__ import annotations

import os
from pathlib import Path

import torch

from playground.models.checkpoint import CONFIG_NAME, WEIGHTS_NAME, CheckpointError, load_local, read_config
from playground.models.ensemble import Ensemble, EnsembleConfig
from playground.models.hf import SUPPORTED, TOKENIZER_FILES, HFSeq2Seq
from playground.models.hub import fetch_from_hub

INSTALL = "pip install -r requirements-hub.txt"


def load_model(path_or_repo_id: str | os.PathLike, *, revision: str | None = None,
               device: str | torch.device = "cpu", loaded: dict | None = None):
    """Load a checkpoint, an ensemble or a transformers encoder-decoder from a local directory, or else a checkpoint
    or an encoder-decoder from a Hugging Face Hub model repository. ``loaded`` (directory -> model) lets an ensemble
    share members already in memory."""
    path = Path(path_or_repo_id).expanduser()
    # a path that exists, looks like a path, or sits in an existing folder (checkpoints/typo) is local
    looks_local = str(path_or_repo_id).startswith((".", "/", "~")) or path.parent.is_dir() and path.parent != Path()
    if path.exists() or looks_local:
        return load_directory(path, device, loaded)
    snapshot = Path(fetch_from_hub(str(path_or_repo_id), revision))
    config = read_config(snapshot, keys=())
    if is_hf_config(config):
        return load_hf(snapshot, config, device, name=str(path_or_repo_id))
    return load_local(snapshot, device)


def load_directory(directory: Path, device, loaded: dict | None = None):
    """A checkpoint directory, an ensemble directory (its config names ``model.family`` "ensemble") or a
    transformers checkpoint (hf.py). A model already in ``loaded`` (resolved directory -> model) is not loaded
    again."""
    if not directory.is_dir():
        raise CheckpointError(f"{directory}: no such checkpoint directory")
    loaded = {} if loaded is None else loaded
    key = directory.resolve()
    if key not in loaded:
        config = read_config(directory, keys=())
        if is_hf_config(config):
            loaded[key] = load_hf(directory, config, device)
            return loaded[key]
        config = read_config(directory, keys=("model",))
        if isinstance(config["model"], dict) and config["model"].get("family") == "ensemble":
            loaded[key] = load_ensemble(directory, config, device, loaded)
        else:
            loaded[key] = load_local(directory, device)
    return loaded[key]


def load_ensemble(directory: Path, config: dict, device, loaded: dict) -> Ensemble:
    """Members are checkpoint directories beside the ensemble's own, named by their directory name only (no
    path, so an ensemble cannot point outside its folder); each is loaded once (``loaded``)."""
    spec = {k: v for k, v in config["model"].items() if k != "family"}
    try:
        arch = EnsembleConfig(**spec)
    except (TypeError, ValueError) as e:
        raise CheckpointError(f"{directory / CONFIG_NAME}: invalid ensemble ({e})") from None
    members = []
    for name in arch.members:
        if not isinstance(name, str) or not name or Path(name).name != name or name in (".", ".."):
            raise CheckpointError(f"{directory / CONFIG_NAME}: a member must be a directory name beside the "
                                  f"ensemble, got {name!r}")
        member_dir = (directory.parent / name).resolve()
        if member_dir == directory.resolve():
            raise CheckpointError(f"{directory / CONFIG_NAME}: an ensemble cannot be its own member")
        if member_dir not in loaded:
            loaded[member_dir] = load_local(member_dir, device)  # (a member is a checkpoint, never an ensemble)
        members.append(loaded[member_dir])
    try:
        model = Ensemble(arch, members)
    except ValueError as e:
        raise CheckpointError(f"{directory / CONFIG_NAME}: {e}") from None
    model.config = config
    return model


# --- transformers encoder-decoders (hf.py) -------------------------------------------------------------------
def is_hf_config(config) -> bool:
    """A transformers config.json (``model_type``), not a playground checkpoint's (``model``)."""
    return isinstance(config, dict) and "model_type" in config and "model" not in config


def check_supported(config: dict, where) -> str:
    """The config's model_type if it is a supported encoder-decoder; else CheckpointError naming what is."""
    model_type, names = config.get("model_type"), ", ".join(f"{k} ({v})" for k, v in SUPPORTED.items())
    if config.get("is_encoder_decoder") is False:
        raise CheckpointError(f"{where}: model_type {model_type!r} is decoder-only, not an encoder-decoder (the "
                              f"playground shows cross-attention over a source); supported: {names}")
    if model_type not in SUPPORTED:
        raise CheckpointError(f"{where}: model_type {model_type!r} is not a supported encoder-decoder; "
                              f"supported: {names}")
    return model_type


def check_files(directory: Path) -> None:
    """Weights as model.safetensors (never a pickle: a .bin can run code when loaded) and a tokenizer."""
    if not (directory / WEIGHTS_NAME).is_file():
        bins = sorted(p.name for p in directory.glob("*.bin"))
        why = f"it has only {', '.join(bins)} (pickles, which can run code: never loaded)" if bins else "missing"
        raise CheckpointError(f"{directory / WEIGHTS_NAME}: {why}; the playground reads safetensors weights only")
    if not any((directory / name).is_file() for name in TOKENIZER_FILES):
        raise CheckpointError(f"{directory}: no tokenizer (none of {', '.join(TOKENIZER_FILES)})")


def require_transformers():
    """The transformers module, imported only now: the playground runs without it (requirements-hub.txt)."""
    try:
        import transformers
    except ImportError:
        raise CheckpointError(f"Hugging Face models need the transformers library: {INSTALL}") from None
    return transformers


def load_hf(directory: Path, config: dict, device: str | torch.device = "cpu", *, name: str = "") -> HFSeq2Seq:
    """A local transformers checkpoint directory as an HFSeq2Seq on ``device``; CheckpointError otherwise."""
    directory = Path(directory)
    check_supported(config, directory / CONFIG_NAME)
    check_files(directory)
    transformers = require_transformers()
    try:
        tokenizer = transformers.AutoTokenizer.from_pretrained(directory, local_files_only=True,
                                                               trust_remote_code=False)
    except ImportError as e:  # e.g. Marian's tokenizer needs sentencepiece
        raise CheckpointError(f"{directory}: the tokenizer needs a missing library ({e}); {INSTALL}") from None
    except (OSError, ValueError, TypeError, KeyError, AttributeError) as e:
        raise CheckpointError(f"{directory}: no usable tokenizer ({type(e).__name__}: {e})") from None
    try:
        model = transformers.AutoModelForSeq2SeqLM.from_pretrained(
            directory, local_files_only=True, trust_remote_code=False, use_safetensors=True,
            attn_implementation="eager", dtype=torch.float32)
    except (OSError, ValueError, TypeError, KeyError, RuntimeError) as e:
        raise CheckpointError(f"{directory / WEIGHTS_NAME}: could not load the model ({type(e).__name__}: {e})") \
            from None
    return HFSeq2Seq(model.to(device), tokenizer, name=name or directory.name)
