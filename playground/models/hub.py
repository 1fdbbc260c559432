"""Fetching a model repository from the Hugging Face Hub, with the checks that come before any download.

    parse_hub_id("owner/name@commit")       ->  ("owner/name", "commit"), or CheckpointError
    fetch_from_hub("owner/name", revision)  ->  the local snapshot directory

A Hub id is ``owner/name`` as the Hub spells repository names (letters, digits, ``-``, ``_``, ``.``; no ``--`` or
``..``; at most 96 characters each), never a path: it is only ever sent to the Hub. Before a byte is downloaded,
the repository's file list (``HfApi.model_info(files_metadata=True)``, metadata only) must show weights as
safetensors (one model.safetensors, or shards named by model.safetensors.index.json; never a pickled .bin) that
total at most PLAYGROUND_HUB_MAX_BYTES (default 1.5 GB), other files of at most MAX_OTHER_BYTES, and a repository
that is not gated; the commit it names then pins every file fetched, so config, weights and tokenizer come from
one revision. Only the files a playground checkpoint or a transformers model needs are fetched (config, weights,
card, tokenizer files: never code). Offline (HF_HUB_OFFLINE), nothing is listed or downloaded: the cached
snapshot is used and its weights are measured instead.

Time: every request to the Hub must answer within PLAYGROUND_HUB_TIMEOUT_S (default 10 s), and the whole fetch
(file list and every file) must end within PLAYGROUND_HUB_FETCH_TIMEOUT_S (default 300 s). huggingface_hub retries
a request that timed out (up to six times, a minute each), so both are enforced here: a request hook on the
library's HTTP client shortens each request's time-outs to what is left and refuses new requests past the end,
and a progress-bar class stops a download that trickles past it. Every failure is a CheckpointError that says
what went wrong.
"""

from __future__ import annotations

import fnmatch
import os
import re
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from playground.models.checkpoint import CARD_NAME, CONFIG_NAME, WEIGHTS_NAME, CheckpointError, brief
from playground.models.hf import TOKENIZER_FILES

MAX_BYTES_ENV = "PLAYGROUND_HUB_MAX_BYTES"
DEFAULT_MAX_BYTES = 1_500_000_000  # opus-mt is 300 MB, bart-base 560 MB, NLLB-600M 2.5 GB (set the cap for it)
TIMEOUT_ENV, DEFAULT_TIMEOUT_S = "PLAYGROUND_HUB_TIMEOUT_S", 10.0  # one request to the Hub
FETCH_TIMEOUT_ENV, DEFAULT_FETCH_TIMEOUT_S = "PLAYGROUND_HUB_FETCH_TIMEOUT_S", 300.0  # the file list and all files
MAX_OTHER_BYTES = 100_000_000  # any file beside the weights (NLLB's tokenizer.json, one of the largest, is 17 MB)
WEIGHTS_INDEX = "model.safetensors.index.json"
SHARD = re.compile(r"^model-\d{5}-of-\d{5}\.safetensors$")  # how save_pretrained names safetensors shards
FILES = (CONFIG_NAME, WEIGHTS_NAME, WEIGHTS_INDEX, "model-?????-of-?????.safetensors", CARD_NAME,
         "generation_config.json", *TOKENIZER_FILES, "special_tokens_map.json", "added_tokens.json", "merges.txt",
         "target.spm", "target_vocab.json")  # fnmatch patterns of what is fetched
_PART = r"(?!.*(?:--|\.\.))[A-Za-z0-9](?:[\w.-]{0,94}[A-Za-z0-9_])?"  # one side of owner/name, the Hub's rules
HUB_ID = re.compile(rf"^{_PART}/{_PART}(@[A-Za-z0-9][\w.-]{{0,63}})?$")


@dataclass(frozen=True, kw_only=True)
class Listing:
    """What the Hub says about a repository at a revision, before anything is downloaded."""

    sha: str | None  # the commit the revision resolves to
    gated: bool
    sizes: dict  # file name -> bytes


def parse_hub_id(name) -> tuple[str, str | None]:
    """``owner/name`` or ``owner/name@revision`` -> (repo id, revision or None); CheckpointError for anything
    else (a path, a third part, ``..``), with the name cut to a readable length."""
    if not isinstance(name, str) or not HUB_ID.match(name) or name.endswith(".git"):
        raise CheckpointError(f"{brief(name)}: no such local directory, and not a Hub repository id (owner/name or "
                              "owner/name@revision)")
    repo_id, _, revision = name.partition("@")
    return repo_id, revision or None


def _env_number(name: str, default: float, *, whole: bool = False) -> float:
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    try:
        number = int(value) if whole else float(value)
    except ValueError:
        number = -1
    if not number > 0 or number != number or number == float("inf"):
        kind = "a whole number of bytes" if whole else "a positive number of seconds"
        raise CheckpointError(f"{name} must be {kind}, got {brief(value)}")
    return number


def max_bytes() -> int:
    """The model size cap: PLAYGROUND_HUB_MAX_BYTES (a whole number of bytes), else 1.5 GB. It bounds the weights
    listed on the Hub and the float32 size a model's config implies (loading.py), for every Hugging Face model."""
    return int(_env_number(MAX_BYTES_ENV, DEFAULT_MAX_BYTES, whole=True))


def timeout_s() -> float:
    return _env_number(TIMEOUT_ENV, DEFAULT_TIMEOUT_S)


def fetch_timeout_s() -> float:
    return _env_number(FETCH_TIMEOUT_ENV, DEFAULT_FETCH_TIMEOUT_S)


# --- the time limits on huggingface_hub's requests -------------------------------------------------------------
_CLOCK = threading.local()  # .end: this thread's fetch deadline (time.monotonic), or absent
_HOOK_LOCK = threading.Lock()


class HubTimeout(Exception):
    """The fetch's time ran out (not retried by huggingface_hub, which retries its own time-out errors)."""


def _left() -> float | None:
    end = getattr(_CLOCK, "end", None)
    return None if end is None else end - time.monotonic()


def _on_request(request) -> None:
    """httpx request hook: within a fetch, no request starts past its end and none waits beyond it."""
    left = _left()
    if left is None:
        return
    if left <= 0:
        raise HubTimeout("the fetch ran out of time")
    limits = dict(request.extensions.get("timeout") or {})
    request.extensions["timeout"] = {k: left if limits.get(k) is None else min(limits[k], left)
                                     for k in ("connect", "read", "write", "pool")}


def _install_hook() -> None:
    """Add _on_request to the clients huggingface_hub makes (once per process; it does nothing outside a fetch)."""
    import huggingface_hub
    from huggingface_hub.utils import _http

    with _HOOK_LOCK:
        if getattr(_http, "_playground_hook", False):
            return

        def factory():
            client = _http.default_client_factory()
            client.event_hooks["request"].append(_on_request)
            return client

        huggingface_hub.set_client_factory(factory)
        _http._playground_hook = True


@contextmanager
def _deadline(seconds: float):
    _install_hook()
    _CLOCK.end = time.monotonic() + seconds
    try:
        yield
    finally:
        _CLOCK.end = None


def _progress_class(end: float):
    """A silent tqdm class for hf_hub_download whose update stops a download that goes on past ``end`` (a server
    that sends a byte now and then never trips a read time-out)."""
    from tqdm.auto import tqdm

    class Deadline(tqdm):
        def __init__(self, *args, **kwargs):
            kwargs["disable"] = True
            super().__init__(*args, **kwargs)

        def update(self, n=1):
            if time.monotonic() > end:
                raise HubTimeout("the download ran out of time")
            return super().update(n)

    return Deadline


# --- the checks -------------------------------------------------------------------------------------------
def listing(repo_id: str, revision: str | None) -> Listing:
    """The repository's file list with sizes (metadata only); CheckpointError for every failure."""
    from huggingface_hub import HfApi, constants
    from huggingface_hub.errors import HTTPError, RepositoryNotFoundError, RevisionNotFoundError

    left = _left()
    timeout = timeout_s() if left is None else max(min(timeout_s(), left), 0.001)
    try:
        info = HfApi(endpoint=constants.ENDPOINT).model_info(repo_id, revision=revision, files_metadata=True,
                                                             timeout=timeout)
    except RevisionNotFoundError:
        raise CheckpointError(f"{repo_id}: no revision {brief(revision)} on the Hugging Face Hub") from None
    except RepositoryNotFoundError:
        raise CheckpointError(f"{repo_id}: no such model repository on the Hugging Face Hub (or it is private)") \
            from None
    except HubTimeout:
        raise _late(repo_id) from None
    except (HTTPError, OSError, ValueError) as e:
        if "timeout" in type(e).__name__.lower() or "timed out" in str(e):
            raise CheckpointError(f"{repo_id}: the Hugging Face Hub did not answer within {timeout:g} s "
                                  f"({TIMEOUT_ENV} sets it); try again later") from None
        raise CheckpointError(f"{repo_id}: could not reach the Hugging Face Hub ({type(e).__name__}: "
                              f"{brief(str(e), 200, quote=False)})") from None
    return Listing(sha=info.sha, gated=bool(info.gated),
                   sizes={s.rfilename: s.size or 0 for s in info.siblings or []})


def wanted(names) -> list[str]:
    """The file names among ``names`` that are fetched (FILES); shards only where there is no single file."""
    names = [n for n in names if any(fnmatch.fnmatchcase(n, pattern) for pattern in FILES)]
    if WEIGHTS_NAME in names:
        names = [n for n in names if n != WEIGHTS_INDEX and not SHARD.match(n)]
    return names


def weight_files(names) -> list[str]:
    """The safetensors weight files among ``names``: model.safetensors, else the shards beside an index."""
    if WEIGHTS_NAME in names:
        return [WEIGHTS_NAME]
    return sorted(n for n in names if SHARD.match(n)) if WEIGHTS_INDEX in names else []


def check_listing(repo_id: str, found: Listing) -> None:
    """Refuse, before downloading, a gated repository and one whose weights are not small safetensors files."""
    if found.gated:
        raise CheckpointError(f"{repo_id}: the repository is gated (its licence must be accepted while logged in); "
                              "the playground loads public models only")
    if CONFIG_NAME not in found.sizes:
        raise CheckpointError(f"{repo_id}: no {CONFIG_NAME} in the repository: not a model the playground can load")
    weights = weight_files(found.sizes)
    if not weights:
        pickles = sorted(n for n in found.sizes if n.endswith(".bin"))
        other = sorted(n for n in found.sizes if n.endswith(".safetensors"))
        why = (f"only {', '.join(pickles[:4])} (pickles, which can run code: never loaded)" if pickles and not other
               else f"safetensors files not named as save_pretrained names them ({', '.join(other[:4])})" if other
               else "no weights")
        raise CheckpointError(f"{repo_id}: no {WEIGHTS_NAME} or {WEIGHTS_INDEX} with its shards: {why}; the "
                              "playground reads safetensors weights only")
    check_size(repo_id, sum(found.sizes[n] for n in weights), shards=len(weights))
    large = sorted(n for n in wanted(found.sizes) if n not in weights and found.sizes[n] > MAX_OTHER_BYTES)
    if large:
        raise CheckpointError(f"{repo_id}: {large[0]} is {found.sizes[large[0]] / 1e6:.0f} MB; files beside the "
                              f"weights may be at most {MAX_OTHER_BYTES / 1e6:.0f} MB")


def check_size(repo_id: str, size: int, shards: int = 1) -> None:
    cap = max_bytes()
    if size > cap:
        what = WEIGHTS_NAME if shards == 1 else f"the {shards} safetensors shards"
        raise CheckpointError(f"{repo_id}: {what} {'is' if shards == 1 else 'are'} {size / 1e9:.2f} GB, over the "
                              f"{cap / 1e9:.2f} GB limit ({MAX_BYTES_ENV} sets it)")


def _late(repo_id: str) -> CheckpointError:
    return CheckpointError(f"{repo_id}: fetching from the Hugging Face Hub did not finish within "
                           f"{fetch_timeout_s():g} s ({FETCH_TIMEOUT_ENV} sets it; each request may take "
                           f"{timeout_s():g} s, {TIMEOUT_ENV}); try again later")


def fetch_from_hub(repo_id: str, revision: str | None) -> str:
    """The local snapshot of a Hub repository (FILES only), after the checks above."""
    repo_id, pinned = parse_hub_id(repo_id)
    revision = revision or pinned
    from huggingface_hub import constants

    if constants.HF_HUB_OFFLINE:
        path = _cached(repo_id, revision)
    else:
        seconds = fetch_timeout_s()
        with _deadline(seconds):
            found = listing(repo_id, revision)
            check_listing(repo_id, found)
            path = _download(repo_id, found.sha or revision, wanted(found.sizes), time.monotonic() + seconds)
    weights = weight_files([p.name for p in Path(path).iterdir()])
    if weights:  # (offline, this is the first look at the size)
        check_size(repo_id, sum((Path(path) / n).stat().st_size for n in weights), shards=len(weights))
    return path


def _cached(repo_id: str, revision: str | None) -> str:
    from huggingface_hub import snapshot_download
    from huggingface_hub.errors import HTTPError, LocalEntryNotFoundError

    try:
        return snapshot_download(repo_id, revision=revision, allow_patterns=list(FILES))
    except (HTTPError, LocalEntryNotFoundError, OSError, ValueError) as e:
        raise CheckpointError(f"{repo_id}: could not fetch from the Hugging Face Hub ({type(e).__name__}: "
                              f"{brief(str(e), 200, quote=False)})") from None


def _download(repo_id: str, commit: str | None, names: list[str], end: float) -> str:
    """Each named file at ``commit``, one after another, within the fetch's time (``end``); the snapshot folder."""
    from huggingface_hub import constants, hf_hub_download
    from huggingface_hub.errors import HTTPError, LocalEntryNotFoundError

    progress, path = _progress_class(end), None
    for name in names:
        try:
            path = hf_hub_download(repo_id, name, revision=commit, etag_timeout=timeout_s(),
                                   endpoint=constants.ENDPOINT, tqdm_class=progress)
        except HubTimeout:
            raise _late(repo_id) from None
        except (HTTPError, LocalEntryNotFoundError, OSError, ValueError) as e:
            if time.monotonic() > end:
                raise _late(repo_id) from None
            raise CheckpointError(f"{repo_id}: could not fetch {name} from the Hugging Face Hub ({type(e).__name__}: "
                                  f"{brief(str(e), 200, quote=False)})") from None
    if path is None:
        raise CheckpointError(f"{repo_id}: nothing to fetch")
    return str(Path(path).parent)
