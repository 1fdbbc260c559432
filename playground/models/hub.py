"""Fetching a model repository from the Hugging Face Hub, with the checks that come before any download.

    fetch_from_hub("owner/name", revision)  ->  the local snapshot directory

Before a byte is downloaded, the repository's file list (``HfApi.model_info(files_metadata=True)``, metadata
only) must show weights as a single model.safetensors (never a pickled .bin), no larger than
PLAYGROUND_HUB_MAX_BYTES (default 1.5 GB), and a repository that is not gated; the commit it names then pins
every file fetched, so config, weights and tokenizer come from one revision. Only the files a playground
checkpoint or a transformers encoder-decoder needs are fetched (config, weights, card, tokenizer files: never
code). Offline (HF_HUB_OFFLINE), nothing is listed or downloaded: the cached snapshot is used and its weights
file is measured instead. Every failure is a CheckpointError that says what went wrong.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from playground.models.checkpoint import CARD_NAME, CONFIG_NAME, WEIGHTS_NAME, CheckpointError
from playground.models.hf import TOKENIZER_FILES

MAX_BYTES_ENV = "PLAYGROUND_HUB_MAX_BYTES"
DEFAULT_MAX_BYTES = 1_500_000_000  # opus-mt is 300 MB, bart-base 560 MB, NLLB-600M 2.5 GB (set the cap for it)
FILES = (CONFIG_NAME, WEIGHTS_NAME, CARD_NAME, "generation_config.json", *TOKENIZER_FILES, "special_tokens_map.json",
         "added_tokens.json", "merges.txt", "target.spm", "target_vocab.json")


@dataclass(frozen=True, kw_only=True)
class Listing:
    """What the Hub says about a repository at a revision, before anything is downloaded."""

    sha: str | None  # the commit the revision resolves to
    gated: bool
    sizes: dict  # file name -> bytes


def max_bytes() -> int:
    """The weights size cap: PLAYGROUND_HUB_MAX_BYTES (a whole number of bytes), else 1.5 GB."""
    value = os.environ.get(MAX_BYTES_ENV, "").strip()
    if not value:
        return DEFAULT_MAX_BYTES
    if not value.isdigit():
        raise CheckpointError(f"{MAX_BYTES_ENV} must be a whole number of bytes, got {value!r}")
    return int(value)


def listing(repo_id: str, revision: str | None) -> Listing:
    """The repository's file list with sizes (metadata only); CheckpointError for every failure."""
    from huggingface_hub import HfApi
    from huggingface_hub.errors import HTTPError, RepositoryNotFoundError, RevisionNotFoundError

    try:
        info = HfApi().model_info(repo_id, revision=revision, files_metadata=True)
    except RevisionNotFoundError:
        raise CheckpointError(f"{repo_id}: no revision {revision!r} on the Hugging Face Hub") from None
    except RepositoryNotFoundError:
        raise CheckpointError(f"{repo_id}: no such model repository on the Hugging Face Hub (or it is private)") \
            from None
    except (HTTPError, OSError, ValueError) as e:
        raise CheckpointError(f"{repo_id}: could not reach the Hugging Face Hub ({type(e).__name__}: {e})") from None
    return Listing(sha=info.sha, gated=bool(info.gated),
                   sizes={s.rfilename: s.size or 0 for s in info.siblings or []})


def check_listing(repo_id: str, found: Listing) -> None:
    """Refuse, before downloading, a gated repository and one whose weights are not one small safetensors file."""
    if found.gated:
        raise CheckpointError(f"{repo_id}: the repository is gated (its licence must be accepted while logged in); "
                              "the playground loads public models only")
    if CONFIG_NAME not in found.sizes:
        raise CheckpointError(f"{repo_id}: no {CONFIG_NAME} in the repository: not a model the playground can load")
    if WEIGHTS_NAME not in found.sizes:
        pickles = sorted(n for n in found.sizes if n.endswith(".bin"))
        sharded = any(n.endswith(".safetensors") for n in found.sizes)
        why = (f"only {', '.join(pickles)} (pickles, which can run code: never loaded)" if pickles and not sharded
               else "sharded safetensors weights (only a single file is supported)" if sharded else "no weights")
        raise CheckpointError(f"{repo_id}: no {WEIGHTS_NAME}: {why}; the playground reads one safetensors file")
    check_size(repo_id, found.sizes[WEIGHTS_NAME])


def check_size(repo_id: str, size: int) -> None:
    cap = max_bytes()
    if size > cap:
        raise CheckpointError(f"{repo_id}: {WEIGHTS_NAME} is {size / 1e9:.2f} GB, over the {cap / 1e9:.2f} GB "
                              f"limit ({MAX_BYTES_ENV} sets it)")


def fetch_from_hub(repo_id: str, revision: str | None) -> str:
    """The local snapshot of a Hub repository (FILES only), after the checks above."""
    if repo_id.count("/") != 1:
        raise CheckpointError(f"{repo_id}: no such local directory, and not a Hub repository id (owner/name)")
    from huggingface_hub import constants, snapshot_download
    from huggingface_hub.errors import HTTPError, LocalEntryNotFoundError

    if not constants.HF_HUB_OFFLINE:
        found = listing(repo_id, revision)
        check_listing(repo_id, found)
        revision = found.sha or revision  # every file from the commit that was checked
    try:
        path = snapshot_download(repo_id, revision=revision, allow_patterns=list(FILES))
    except (HTTPError, LocalEntryNotFoundError, OSError, ValueError) as e:
        raise CheckpointError(f"{repo_id}: could not fetch from the Hugging Face Hub ({type(e).__name__}: {e})") \
            from None
    weights = Path(path) / WEIGHTS_NAME
    if weights.is_file():  # (offline, this is the first look at the size)
        check_size(repo_id, weights.stat().st_size)
    return path
