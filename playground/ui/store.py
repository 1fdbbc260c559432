"""The model picker's back end: shipped checkpoints loaded once, shared read-only by every session.

Models are the only module-level shared objects in the UI, and they are immutable after loading
(eval mode, no gradients), so concurrent sessions can decode with the same weights safely. Loading a
Hub repository is opt-in (PLAYGROUND_ALLOW_HUB=1) so a public Space cannot be made to download
arbitrary files; a Hub id may pin a revision as ``owner/name@commit``.
"""

from __future__ import annotations

import os
import re
import threading
import time
from collections import OrderedDict
from pathlib import Path
from types import MappingProxyType

from playground.decoding.api import DecodeResult, decode, encode_source
from playground.decoding.budget import cut_by_budget
from playground.decoding.config import DecodeConfig
from playground.models.card import task_of
from playground.models.checkpoint import CONFIG_NAME, SHIPPED, CheckpointError
from playground.models.loading import load_model

HUB_ENV = "PLAYGROUND_ALLOW_HUB"
# owner/name[@revision]; each part starts with a letter or digit, so "..", "/x" or "~" never reach the loader
HUB_ID = re.compile(r"^[A-Za-z0-9][\w-]*(\.[\w-]+)*/[A-Za-z0-9][\w-]*(\.[\w-]+)*(@[A-Za-z0-9][\w.-]{0,63})?$")
MAX_HUB_MODELS = 2  # Hub models kept in memory at once (least recently used is dropped)
ENCODINGS_KEPT, RESULTS_KEPT = 64, 32  # a few KB per encoding; results: traces of at most MAX_CACHED_NODES
MAX_CACHED_NODES = 5000  # (a 1000-sample trace holds ~10,000 nodes, a few MB: decoded afresh each time)
TASK_NAMES = MappingProxyType({"g2p": "spelling → phonemes", "p2g": "phonemes → spelling",
                               "hf": "text → text (a Hugging Face encoder-decoder)"})


def hub_allowed() -> bool:
    return os.environ.get(HUB_ENV, "") == "1"


def default_device() -> str:
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


def describe(name: str, model) -> str:
    """Picker label: the checkpoint's name ('G2P · bi-GRU + Bahdanau'), else 'dir · spelling → phonemes'."""
    return str(model.config.get("name") or f"{name} · {TASK_NAMES[task_of(model)]}")


class Recent:
    """A thread-safe least-recently-used dict of at most ``size`` entries; with ``ttl_s``, an entry not used for
    that long is gone (``clock``: seconds, monotonic)."""

    def __init__(self, size: int, *, ttl_s: float | None = None, clock=time.monotonic):
        self.size, self.ttl_s, self._clock = size, ttl_s, clock
        self._items: OrderedDict = OrderedDict()  # key -> (value, last use)
        self._lock = threading.Lock()

    def get(self, key):
        with self._lock:
            if key not in self._items:
                return None
            value, used = self._items[key]
            if self.ttl_s is not None and self._clock() - used > self.ttl_s:
                del self._items[key]
                return None
            self._items[key] = (value, self._clock())
            self._items.move_to_end(key)
            return value

    def put(self, key, value) -> None:
        with self._lock:
            self._items[key] = (value, self._clock())
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


class ModelStore:
    def __init__(self, models: dict, *, allow_hub: bool = False, device: str = "cpu"):
        if not models:
            raise CheckpointError("no model to serve")
        self.models = dict(models)  # name -> model, in picker order
        self.allow_hub, self.device = allow_hub, device
        self._hub: OrderedDict[str, object] = OrderedDict()
        self._lock = threading.Lock()
        self._encodings, self._results = Recent(ENCODINGS_KEPT), Recent(RESULTS_KEPT)

    def decode(self, name: str, text: str, config: DecodeConfig) -> DecodeResult:
        """``decode`` with the model called ``name``, through two caches shared by every session: a slider
        move decodes the same input again, so its encoding (encoder outputs, attention keys) is reused;
        an identical request (a slider moved back, an example clicked again) reuses the whole result.
        Results are read-only traces; one cut by the time budget depends on the load, so it is not kept."""
        model = self.get(name)
        result = self._results.get((name, text, config))
        if result is None:
            encoded = self._encodings.get((name, text))
            if encoded is None:
                encoded = encode_source(model, text)  # InputError for bad input, before anything is kept
                self._encodings.put((name, text), encoded)
            result = decode(model, text, config, encoded=encoded)
            if not cut_by_budget(result.trace) and len(result.trace.nodes) <= MAX_CACHED_NODES:
                self._results.put((name, text, config), result)
        return result

    def clear_cache(self) -> None:
        self._encodings.clear()
        self._results.clear()

    @classmethod
    def discover(cls, root: Path = SHIPPED, device: str | None = None) -> ModelStore:
        """Load every ``root/*/config.json`` checkpoint now, once (G2P first, then by name)."""
        device = device or default_device()
        dirs = sorted((p for p in Path(root).glob("*") if (p / CONFIG_NAME).is_file()),
                      key=lambda p: (not p.name.startswith("g2p"), p.name))
        if not dirs:
            raise CheckpointError(f"no model to serve: no checkpoint directory with {CONFIG_NAME} in {root}")
        loaded: dict = {}  # an ensemble and its members share one copy of each member
        models = {p.name: load_model(p, device=device, loaded=loaded) for p in dirs}
        return cls(models, allow_hub=hub_allowed(), device=device)

    @property
    def default(self) -> str:
        return next(iter(self.models))

    def choices(self) -> list[tuple[str, str]]:
        return [(describe(name, m), name) for name, m in self.models.items()]

    def get(self, name: str):
        """The model called ``name``; a Hub id loads (once) only when Hub loading is allowed."""
        if isinstance(name, str) and name in self.models:  # (an API caller may send a list: unhashable)
            return self.models[name]
        if not isinstance(name, str) or not HUB_ID.match(name):
            raise CheckpointError(f"unknown model {str(name)[:80]!r}; choose one of {', '.join(self.models)}")
        if not self.allow_hub:
            raise CheckpointError(f"unknown model {name!r}: loading from the Hugging Face Hub is off "
                                  f"(set {HUB_ENV}=1 to allow it); choose one of {', '.join(self.models)}")
        with self._lock:  # one download at a time; concurrent requests for the same id wait for it
            if name not in self._hub:
                repo_id, _, revision = name.partition("@")
                self._hub[name] = load_model(repo_id, revision=revision or None, device=self.device)
                while len(self._hub) > MAX_HUB_MODELS:
                    self._hub.popitem(last=False)
            self._hub.move_to_end(name)
            return self._hub[name]
