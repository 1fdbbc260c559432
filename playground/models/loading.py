"""``load_model(path_or_repo_id)``: the one front door to every model the playground can decode with.

    checkpoints/g2p-bahdanau          a checkpoint directory: config.json + model.safetensors (checkpoint.py)
    checkpoints/g2p-ensemble          an ensemble: config.json naming member checkpoints beside it (ensemble.py)
    path/to/opus-mt-en-de             a transformers model (config.json whose model_type is in HF_FAMILIES,
                                      model.safetensors or shards, a tokenizer): BART, Marian, T5, ... (hf.py)
    owner/name, owner/name@commit     a Hugging Face Hub repository holding either kind (hub.py: checked before
                                      anything is downloaded; the commit pins what is loaded)

``load_from_hub(repo_id)`` is the Hub alone (what the app's model picker uses: a name there is never a path).

Nothing is ever unpickled and no code from a checkpoint runs: weights are safetensors, descriptions JSON. A
transformers model is checked before it is built (``check_hf``), whatever its family: the model its config
describes is built on the ``meta`` device (shapes only, no memory) by the family's Auto class; its size in
float32 must fit PLAYGROUND_HUB_MAX_BYTES, and every tensor it has must be in the safetensors files with that
shape (tied copies and the tables a family computes itself excepted), so a config cannot claim a model larger than
its weights and have the library fill the rest at random.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

import torch

from playground.models.checkpoint import (
    CONFIG_NAME,
    WEIGHTS_NAME,
    CheckpointError,
    brief,
    load_local,
    read_config,
    safetensors_header,
)
from playground.models.ensemble import Ensemble, EnsembleConfig
from playground.models.hf import SUPPORTED, TOKENIZER_FILES, HFSeq2Seq
from playground.models.hf_causal import SUPPORTED as CAUSAL_SUPPORTED
from playground.models.hf_causal import HFCausalLM
from playground.models.hub import MAX_BYTES_ENV, SHARD, WEIGHTS_INDEX, fetch_from_hub, max_bytes, parse_hub_id

INSTALL = "pip install -r requirements-hub.txt"
EXITS = (KeyboardInterrupt, SystemExit, GeneratorExit)  # the BaseExceptions never turned into a message


@dataclass(frozen=True)
class HFFamily:
    """How a transformers ``model_type`` is loaded: its name for people, the Auto class that builds it from its
    config (a name in ``transformers``), and the adapter that speaks the step protocol: adapter(model, tokenizer,
    name=...)."""

    label: str
    auto_class: str
    adapter: Callable


SEQ2SEQ, CAUSAL = "AutoModelForSeq2SeqLM", "AutoModelForCausalLM"
# config.json "model_type" -> HFFamily: the table every Hugging Face model is loaded through (one entry per family):
# the encoder-decoders (hf.py), then the decoder-only language models (hf_causal.py)
HF_FAMILIES = MappingProxyType({
    **{model_type: HFFamily(label, SEQ2SEQ, HFSeq2Seq) for model_type, label in SUPPORTED.items()},
    **{model_type: HFFamily(label, CAUSAL, HFCausalLM) for model_type, label in CAUSAL_SUPPORTED.items()},
})


def load_model(path_or_repo_id: str | os.PathLike, *, revision: str | None = None,
               device: str | torch.device = "cpu", loaded: dict | None = None):
    """Load a checkpoint, an ensemble or a transformers model from a local directory, or else a checkpoint or a
    transformers model from a Hugging Face Hub model repository. ``loaded`` (directory -> model) lets an ensemble
    share members already in memory."""
    path = Path(path_or_repo_id).expanduser()
    # a path that exists, looks like a path, or sits in an existing folder (checkpoints/typo) is local
    looks_local = str(path_or_repo_id).startswith((".", "/", "~")) or path.parent.is_dir() and path.parent != Path()
    if path.exists() or looks_local:
        return load_directory(path, device, loaded)
    return load_from_hub(str(path_or_repo_id), revision=revision, device=device)


def load_from_hub(repo_id: str, *, revision: str | None = None, device: str | torch.device = "cpu"):
    """A Hub repository (``owner/name`` or ``owner/name@revision``, never a local path), fetched and checked by
    hub.py, then loaded as either kind."""
    parse_hub_id(repo_id)  # (before anything: a name that is not a Hub id is never looked up anywhere)
    snapshot = Path(fetch_from_hub(repo_id, revision))
    config = read_config(snapshot, keys=())
    if is_hf_config(config):
        return load_hf(snapshot, config, device, name=repo_id.partition("@")[0])
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
        raise CheckpointError(f"{directory / CONFIG_NAME}: invalid ensemble ({brief(str(e), 160, quote=False)})") \
            from None
    members = []
    for name in arch.members:
        if not isinstance(name, str) or not name or Path(name).name != name or name in (".", ".."):
            raise CheckpointError(f"{directory / CONFIG_NAME}: a member must be a directory name beside the "
                                  f"ensemble, got {brief(name)}")
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


# --- transformers models (hf.py) -------------------------------------------------------------------------------
def is_hf_config(config) -> bool:
    """A transformers config.json (``model_type``), not a playground checkpoint's (``model``)."""
    return isinstance(config, dict) and "model_type" in config and "model" not in config


def check_supported(config: dict, where) -> HFFamily:
    """The config's family if its model_type is in HF_FAMILIES; else CheckpointError naming what is supported."""
    model_type, names = config.get("model_type"), ", ".join(f"{k} ({v.label})" for k, v in HF_FAMILIES.items())
    if not isinstance(model_type, str):
        raise CheckpointError(f"{where}: model_type must be a string naming the model's family, got "
                              f"{brief(model_type)}; supported: {names}")
    if model_type in HF_FAMILIES:
        return HF_FAMILIES[model_type]
    raise CheckpointError(f"{where}: model_type {brief(model_type)} is not a supported family; supported: {names}")


def weight_files(directory: Path) -> list[Path]:
    """The safetensors files a transformers directory's weights are in: model.safetensors, else the shards that
    model.safetensors.index.json names (plain file names as save_pretrained writes them, all present: an index
    cannot point outside the folder). Never a pickle: a .bin can run code when loaded."""
    if (directory / WEIGHTS_NAME).is_file():
        return [directory / WEIGHTS_NAME]
    index = directory / WEIGHTS_INDEX
    if not index.is_file():
        bins = sorted(p.name for p in directory.glob("*.bin"))
        why = f"it has only {', '.join(bins[:4])} (pickles, which can run code: never loaded)" if bins else "missing"
        raise CheckpointError(f"{directory / WEIGHTS_NAME}: {why}; the playground reads safetensors weights only")
    try:
        shards = json.loads(index.read_text())["weight_map"].values()
    except RecursionError:
        raise CheckpointError(f"{index}: not a valid index (nested too deeply)") from None
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as e:
        raise CheckpointError(f"{index}: not a valid index ({type(e).__name__}: {brief(str(e), 120, quote=False)})") \
            from None
    bad = sorted({brief(s) for s in shards if not isinstance(s, str) or not SHARD.match(s)})
    if bad or not shards:
        raise CheckpointError(f"{index}: shards must be files beside it named model-00001-of-00002.safetensors and "
                              f"so on, got {', '.join(bad[:3]) or 'none'}")
    files = [directory / s for s in sorted(set(shards))]
    absent = [f.name for f in files if not f.is_file()]
    if absent:
        raise CheckpointError(f"{index}: names {', '.join(absent[:3])}, which {'is' if len(absent) == 1 else 'are'} "
                              "not in the folder")
    return files


def check_files(directory: Path) -> list[Path]:
    """The weight files (``weight_files``), after checking that there is a tokenizer too."""
    files = weight_files(directory)
    if not any((directory / name).is_file() for name in TOKENIZER_FILES):
        raise CheckpointError(f"{directory}: no tokenizer (none of {', '.join(TOKENIZER_FILES)})")
    return files


def require_transformers():
    """The transformers module, imported only now: the playground runs without it (requirements-hub.txt)."""
    try:
        import transformers
    except ImportError:
        raise CheckpointError(f"Hugging Face models need the transformers library: {INSTALL}") from None
    return transformers


def hf_config(directory: Path):
    """config.json as the library reads it (its own checks of every field's type), CheckpointError otherwise."""
    transformers = require_transformers()
    where = directory / CONFIG_NAME
    try:
        return transformers.AutoConfig.from_pretrained(directory, local_files_only=True, trust_remote_code=False)
    except RecursionError:
        raise CheckpointError(f"{where}: not a valid config (nested too deeply)") from None
    except Exception as e:  # noqa: BLE001 - the library checks fields with many error types; all are the file's fault
        field = getattr(e, "field", None) or (re.findall(r"field '(\w+)'", str(e)) or [None])[0]
        detail = brief(str(e).splitlines()[-1].strip() if str(e).strip() else type(e).__name__, 200, quote=False)
        what = f"field {field!r} has the wrong type or value" if field else "not a valid config"
        raise CheckpointError(f"{where}: {what} ({type(e).__name__}: {detail})") from None


def skeleton(directory: Path, family: HFFamily, config):
    """The model ``config`` describes, built by the family's Auto class on the ``meta`` device: every tensor's
    shape, no memory, no weights (a config too large to build in memory costs nothing here)."""
    auto = getattr(require_transformers(), family.auto_class)
    try:
        with torch.device("meta"):
            return auto.from_config(config, attn_implementation="eager")
    except RecursionError:
        raise CheckpointError(f"{directory / CONFIG_NAME}: the model cannot be built (nested too deeply)") from None
    except Exception as e:  # noqa: BLE001 - an inconsistent config fails inside the model's own __init__
        raise CheckpointError(f"{directory / CONFIG_NAME}: the model it describes cannot be built ({type(e).__name__}: "
                              f"{brief(str(e), 200, quote=False)})") from None


def implied_bytes(model) -> tuple[int, int]:
    """(numbers, bytes in float32) of every parameter (tied ones once) and buffer of a (meta) model."""
    numbers = sum(p.numel() for p in model.parameters()) + sum(b.numel() for b in model.buffers())
    return numbers, 4 * numbers


def check_hf(directory: Path, family: HFFamily, config, files: list[Path]) -> None:
    """Refuse, before building anything, a model whose config implies more than the size cap, or whose weights do
    not hold every tensor it has with its shape (module docstring)."""
    header = {}
    for path in files:
        header.update(safetensors_header(path))
    model = skeleton(directory, family, config)
    numbers, need = implied_bytes(model)
    held = sum(path.stat().st_size for path in files)
    cap = max_bytes()
    if need > cap:
        raise CheckpointError(
            f"{directory / CONFIG_NAME}: describes a model of {numbers / 1e6:,.1f} M numbers, {need / 1e9:.2f} GB in "
            f"float32, over the {cap / 1e9:.2f} GB limit ({MAX_BYTES_ENV} sets it); its weights hold "
            f"{_size(held)} ({', '.join(p.name for p in files[:3])})")
    missing, mismatched, total = missing_tensors(model, header)
    weights = files[0] if len(files) == 1 else directory / WEIGHTS_INDEX
    if mismatched:
        shapes = ", ".join(f"{name} {got} != {want}" for name, got, want in mismatched[:4])
        raise CheckpointError(f"{weights}: tensor shapes do not match {CONFIG_NAME} (file != config): {shapes}")
    if missing:
        raise CheckpointError(
            f"{weights}: {len(missing)} of the model's {total} tensors are not in the weights "
            f"({brief(missing[:4], 200)}{', ...' if len(missing) > 4 else ''}): {CONFIG_NAME} describes another "
            f"or a larger model than its weights ({_size(held)}) hold, and nothing is filled in at random")


def missing_tensors(model, header: dict) -> tuple[list[str], list[tuple], int]:
    """(names not in ``header``, (name, file shape, model shape) that differ, tensors) of a model's state dict. A
    group of tied names (one tensor under several names: shared embeddings, an output layer tied to the input)
    needs one of them; a name the family recomputes itself (``_keys_to_ignore_on_load_missing``: sinusoidal
    positions, a zero bias) may be absent. A file may name a tensor without the base model's prefix."""
    state = model.state_dict(keep_vars=True)
    groups: dict[int, list[str]] = {}
    for name, tensor in state.items():
        groups.setdefault(id(tensor), []).append(name)
    optional = [re.compile(p) for p in (getattr(model, "_keys_to_ignore_on_load_missing", None) or ())]
    prefix = getattr(model, "base_model_prefix", "") or ""

    def stored(name: str):
        for key in (name, name.removeprefix(prefix + "."), f"{prefix}.{name}"):
            if key in header:
                return header[key][0]
        return None

    missing, mismatched = [], []
    for names in groups.values():
        found = [(name, stored(name)) for name in names if stored(name) is not None]
        if not found and not all(any(p.search(name) for p in optional) for name in names):
            missing.append(names[0])
        mismatched += [(name, shape, tuple(state[name].shape)) for name, shape in found
                       if shape != tuple(state[name].shape)]
    return missing, mismatched, len(groups)


def _size(n: int) -> str:
    return f"{n / 1e9:.2f} GB" if n >= 1e8 else f"{n / 1e6:.2f} MB" if n >= 1e5 else f"{n:,} bytes"


def load_hf(directory: Path, config: dict, device: str | torch.device = "cpu", *, name: str = ""):
    """A local transformers checkpoint directory as its family's step model on ``device``; CheckpointError
    otherwise (what is wrong, naming the file)."""
    directory = Path(directory)
    family = check_supported(config, directory / CONFIG_NAME)
    files = check_files(directory)
    transformers = require_transformers()
    described = hf_config(directory)
    check_hf(directory, family, described, files)
    tokenizer = load_tokenizer(transformers, directory)
    try:
        model, info = getattr(transformers, family.auto_class).from_pretrained(
            directory, local_files_only=True, trust_remote_code=False, use_safetensors=True,
            attn_implementation="eager", dtype=torch.float32, output_loading_info=True)
    except Exception as e:  # noqa: BLE001 - whatever the library raises on these files is the files' fault
        raise CheckpointError(f"{files[0]}: could not load the model ({type(e).__name__}: "
                              f"{brief(str(e), 200, quote=False)})") from None
    absent = sorted(info.get("missing_keys") or ()) + [str(k) for k in info.get("mismatched_keys") or ()]
    if absent:  # (check_hf found none: the library's own account must agree)
        raise CheckpointError(f"{files[0]}: the library found tensors missing or of another shape: {brief(absent)}")
    try:
        return family.adapter(model.to(device), tokenizer, name=name or directory.name)
    except CheckpointError:
        raise
    except EXITS:
        raise
    except BaseException as e:  # noqa: BLE001 - a tokenizer may panic (pyo3) while its pieces are listed
        raise CheckpointError(f"{directory}: the model or its tokenizer cannot be used ({type(e).__name__}: "
                              f"{brief(str(e), 200, quote=False)})") from None


def load_tokenizer(transformers, directory: Path):
    """The directory's tokenizer (never remote code); CheckpointError for anything that goes wrong, a tokenizer
    library's panic (a BaseException) included."""
    try:
        return transformers.AutoTokenizer.from_pretrained(directory, local_files_only=True, trust_remote_code=False)
    except ImportError as e:  # e.g. Marian's tokenizer needs sentencepiece
        raise CheckpointError(f"{directory}: the tokenizer needs a missing library ({e}); {INSTALL}") from None
    except EXITS:
        raise
    except BaseException as e:  # noqa: BLE001 - any failure here is the tokenizer files' (pyo3 panics included)
        raise CheckpointError(f"{directory}: no usable tokenizer ({type(e).__name__}: "
                              f"{brief(str(e), 200, quote=False)})") from None
