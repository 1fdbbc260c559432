"""``load_model(path_or_repo_id)``: the one front door to every model the playground can decode with.

    checkpoints/g2p-bahdanau          a checkpoint directory: config.json + model.safetensors (checkpoint.py)
    checkpoints/g2p-ensemble          an ensemble: config.json naming member checkpoints beside it (ensemble.py)
    owner/name, owner/name@commit     a Hugging Face Hub repository holding a checkpoint (fetched: config.json,
                                      model.safetensors and README.md only; the commit pins what is loaded)

Nothing is ever unpickled and no code from a checkpoint runs: weights are safetensors, descriptions JSON.
"""

from __future__ import annotations

import os
from pathlib import Path

import torch

from playground.models.checkpoint import CARD_NAME, CONFIG_NAME, WEIGHTS_NAME, CheckpointError, load_local, read_config
from playground.models.ensemble import Ensemble, EnsembleConfig


def load_model(path_or_repo_id: str | os.PathLike, *, revision: str | None = None,
               device: str | torch.device = "cpu", loaded: dict | None = None):
    """Load a checkpoint or an ensemble from a local directory, or else a checkpoint from a Hugging Face Hub
    model repository. ``loaded`` (directory -> model) lets an ensemble share members already in memory."""
    path = Path(path_or_repo_id).expanduser()
    # a path that exists, looks like a path, or sits in an existing folder (checkpoints/typo) is local
    looks_local = str(path_or_repo_id).startswith((".", "/", "~")) or path.parent.is_dir() and path.parent != Path()
    if path.exists() or looks_local:
        return load_directory(path, device, loaded)
    return load_local(fetch_from_hub(str(path_or_repo_id), revision), device)


def load_directory(directory: Path, device, loaded: dict | None = None):
    """A checkpoint directory, or an ensemble directory (its config names ``model.family`` "ensemble"). A
    checkpoint already in ``loaded`` (resolved directory -> model) is not loaded again."""
    if not directory.is_dir():
        raise CheckpointError(f"{directory}: no such checkpoint directory")
    loaded = {} if loaded is None else loaded
    key = directory.resolve()
    if key not in loaded:
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


def fetch_from_hub(repo_id: str, revision: str | None) -> str:
    """The local snapshot of a Hub checkpoint (config.json, model.safetensors, README.md only)."""
    if repo_id.count("/") != 1:
        raise CheckpointError(f"{repo_id}: no such local directory, and not a Hub repository id (owner/name)")
    from huggingface_hub import snapshot_download
    from huggingface_hub.errors import HfHubHTTPError, LocalEntryNotFoundError

    try:
        return snapshot_download(repo_id, revision=revision, allow_patterns=[CONFIG_NAME, WEIGHTS_NAME, CARD_NAME])
    except (HfHubHTTPError, LocalEntryNotFoundError, OSError, ValueError) as e:
        raise CheckpointError(f"{repo_id}: could not fetch from the Hugging Face Hub ({type(e).__name__}: {e})") \
            from None
