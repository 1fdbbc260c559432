"""The model picker's back end: shipped checkpoints loaded once, shared read-only by every session.

Models are the only module-level shared objects in the UI, and they are immutable after loading
(eval mode, no gradients), so concurrent sessions can decode with the same weights safely. Loading a
Hub repository is opt-in (PLAYGROUND_ALLOW_HUB=1) so a public Space cannot be made to download
arbitrary files; a Hub id may pin a revision as ``owner/name@commit``, and is only ever sent to the Hub
(loading.load_from_hub), never read as a local path.

A Hub model loads in a thread of its own (``HubLoad``): a request for it waits at most ``load_wait_s`` and
then says the model is still loading; nothing else waits for it (the shipped models and the Hub models already
loaded are answered without taking any lock a load holds). At most MAX_LOADING loads run at once.

What the store and the Explore service keep is bounded by bytes as well as by count (``Recent``'s ``max_bytes``,
weighed by ``trace_nbytes`` / ``state_nbytes``): the shared result and encoding caches, and each page's last
trace (PLAYGROUND_TRACES_MAX_BYTES, default 256 MB; service.py).
"""

from __future__ import annotations

import dataclasses
import logging
import os
import threading
import time
from collections import OrderedDict
from pathlib import Path
from types import MappingProxyType

import numpy as np

from playground.decoding import trace as traces
from playground.decoding.api import DecodeResult, decode, encode_source
from playground.decoding.budget import cut_by_budget, env_count
from playground.decoding.config import DecodeConfig
from playground.models.card import task_of
from playground.models.checkpoint import CONFIG_NAME, SHIPPED, CheckpointError, brief
from playground.models.hub import HUB_ID
from playground.models.loading import load_from_hub, load_model
from playground.models.vocab import InputError

log = logging.getLogger(__name__)
HUB_ENV = "PLAYGROUND_ALLOW_HUB"
MAX_HUB_MODELS = 2  # Hub models kept in memory at once (least recently used is dropped)
MAX_LOADING = 2  # Hub models loading at once (each in its own thread)
LOAD_WAIT_S = 20.0  # how long a request waits for its Hub model to load before it says "still loading"
ENCODINGS_KEPT, RESULTS_KEPT = 64, 32  # a few KB per encoding of ours (a Hub model's: up to tens of MB)
ENCODINGS_BYTES, RESULTS_BYTES = 64 * 2**20, 64 * 2**20  # ... and at most this many bytes of each
MAX_CACHED_NODES = 5000  # (a 1000-sample trace holds ~10,000 nodes, a few MB: decoded afresh each time)
TASK_NAMES = MappingProxyType({"g2p": "spelling → phonemes", "p2g": "phonemes → spelling",
                               "hf": "text → text (a Hugging Face encoder-decoder)"})
# what a trace's Python objects cost beside its arrays, measured with tracemalloc on the shipped models
NODE_BYTES, ID_BYTES, HYPOTHESIS_BYTES, STEP_BYTES = 420, 36, 400, 2000
ARRAY_NAMES = tuple(traces.STEP_ARRAYS)
# its JSON (trace.to_dict()): about 22 characters a float, measured on the shipped models' traces
JSON_PER_NUMBER, JSON_PER_NODE, JSON_PER_TOKEN = 22, 160, 12
MAX_RESPONSE_ENV, DEFAULT_MAX_RESPONSE = "PLAYGROUND_MAX_RESPONSE_BYTES", 16 * 2**20


def hub_allowed() -> bool:
    return os.environ.get(HUB_ENV, "") == "1"


def default_device() -> str:
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


def describe(name: str, model) -> str:
    """Picker label: the checkpoint's name ('G2P · bi-GRU + Bahdanau'), else 'dir · spelling → phonemes'."""
    return str(model.config.get("name") or f"{name} · {TASK_NAMES[task_of(model)]}")


def trace_nbytes(trace) -> int:
    """About the memory a trace holds: its numpy arrays exactly (each buffer once: a step's arrays are views of
    the recorder's buffers), and its nodes, hypotheses, steps and symbol list at their measured Python sizes
    (NODE_BYTES, ...)."""
    if trace is None:
        return 0
    buffers: dict[int, int] = {}
    for step in trace.steps:
        for name in ARRAY_NAMES:
            root = getattr(step, name)
            while isinstance(root.base, np.ndarray):
                root = root.base
            key = id(root if root.base is None else root.base)
            buffers[key] = max(buffers.get(key, 0), root.nbytes)
    arrays = sum(buffers.values())
    ids = sum(len(step.node_ids) + len(step.candidates) for step in trace.steps)
    outputs = sum(HYPOTHESIS_BYTES + ID_BYTES * len(h.token_ids) for h in trace.hypotheses)
    return (arrays + NODE_BYTES * len(trace.nodes) + ID_BYTES * ids + STEP_BYTES * len(trace.steps) + outputs
            + 8 * len(trace.target_symbols))


def trace_json_bytes(trace) -> int:
    """About the length of ``json.dumps(trace.to_dict())``, from its array sizes and counts, without building it."""
    numbers = sum(getattr(step, name).size for step in trace.steps for name in ARRAY_NAMES)
    tokens = sum(len(h.token_ids) for h in trace.hypotheses) + len(trace.target_symbols) + len(trace.source)
    return JSON_PER_NUMBER * numbers + JSON_PER_NODE * (len(trace.nodes) + len(trace.hypotheses)) + \
        JSON_PER_TOKEN * tokens


def max_response_bytes() -> int:
    """The largest answer /decode and the trace export send: PLAYGROUND_MAX_RESPONSE_BYTES, else 16 MiB."""
    return env_count(MAX_RESPONSE_ENV, DEFAULT_MAX_RESPONSE, "bytes")


def check_response(size: int, limit: int | None = None) -> None:
    """ValueError naming the bound when an answer of ``size`` bytes is over it."""
    limit = max_response_bytes() if limit is None else limit
    if size > limit:
        raise ValueError(f"the answer would be about {size / 1e6:.1f} MB of JSON, over the {limit / 1e6:.1f} MB limit "
                         f"({MAX_RESPONSE_ENV} sets it): ask for less (a smaller beam_width or num_samples, a shorter "
                         "max_length), or decode with record_trace off (the Python API, the CLI)")


def check_trace_estimate(trace, limit: int | None = None) -> None:
    """Refuse (check_response) an answer built from ``trace`` before it is built, when the trace's estimated JSON
    (trace_json_bytes) is over twice the bound: the estimate is rough, so the answer's exact size is checked after."""
    limit = max_response_bytes() if limit is None else limit
    estimate = trace_json_bytes(trace)
    if estimate > 2 * limit:
        check_response(estimate, limit)


def state_nbytes(value, seen: set | None = None, depth: int = 0) -> int:
    """The bytes of the tensors and arrays inside ``value`` (a model state: dataclasses, tuples, lists, dicts),
    each storage counted once."""
    seen = set() if seen is None else seen
    if depth > 8:
        return 0
    if hasattr(value, "untyped_storage"):
        storage = value.untyped_storage()
        key = (storage.data_ptr(), storage.nbytes())
        if key in seen:
            return 0
        seen.add(key)
        return storage.nbytes()
    if hasattr(value, "nbytes") and hasattr(value, "dtype"):
        return int(value.nbytes)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        value = [getattr(value, f.name) for f in dataclasses.fields(value)]
    elif isinstance(value, dict):
        value = list(value.values())
    if isinstance(value, (list, tuple)):
        return sum(state_nbytes(v, seen, depth + 1) for v in value)
    return 0


def result_nbytes(result) -> int:
    return trace_nbytes(getattr(result, "trace", None))


class Recent:
    """A thread-safe least-recently-used dict of at most ``size`` entries; with ``ttl_s``, an entry not used for
    that long is gone (``clock``: seconds, monotonic); with ``max_bytes``, the entries' weights (``weigh(value)``,
    taken when put) add up to at most that many bytes: the least recently used go first, and an entry heavier
    than the whole budget is not kept."""

    def __init__(self, size: int, *, ttl_s: float | None = None, max_bytes: int | None = None, weigh=None,
                 clock=time.monotonic):
        self.size, self.ttl_s, self.max_bytes, self._clock = size, ttl_s, max_bytes, clock
        self._weigh = weigh or (lambda value: 0)
        self._items: OrderedDict = OrderedDict()  # key -> (value, last use, bytes)
        self._bytes = 0
        self._lock = threading.Lock()

    @property
    def nbytes(self) -> int:
        """The weight of what is kept now."""
        return self._bytes

    def __len__(self) -> int:
        return len(self._items)

    def get(self, key):
        with self._lock:
            if key not in self._items:
                return None
            value, used, weight = self._items[key]
            if self.ttl_s is not None and self._clock() - used > self.ttl_s:
                self._drop(key)
                return None
            self._items[key] = (value, self._clock(), weight)
            self._items.move_to_end(key)
            return value

    def put(self, key, value) -> bool:
        """Keep ``value``; False when it alone weighs more than ``max_bytes`` (then it is not kept)."""
        weight = self._weigh(value) if self.max_bytes is not None else 0
        with self._lock:
            if key in self._items:
                self._drop(key)
            if self.max_bytes is not None and weight > self.max_bytes:
                return False
            now = self._clock()  # room first: what is kept never weighs more than max_bytes, even for a moment
            while self._items and (len(self._items) >= self.size or self._over(weight) or self._stale(now)):
                self._drop(next(iter(self._items)))
            self._items[key] = (value, now, weight)
            self._bytes += weight
            return True

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self._bytes = 0

    def _over(self, extra: int = 0) -> bool:
        return self.max_bytes is not None and self._bytes + extra > self.max_bytes

    def _stale(self, now: float) -> bool:  # the least recently used entry has expired
        _, used, _ = next(iter(self._items.values()))
        return self.ttl_s is not None and now - used > self.ttl_s

    def _drop(self, key) -> None:
        _, _, weight = self._items.pop(key)
        self._bytes -= weight


class HubLoad:
    """One Hub model loading in its own thread: ``wait(seconds)`` -> the model, or None while still loading;
    the load's CheckpointError is raised to everyone who waits for it."""

    def __init__(self, name: str, load):
        self.name, self.model, self.error = name, None, None
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._run, args=(load,), name=f"hub-load {name}", daemon=True)

    def _run(self, load) -> None:
        try:
            self.model = load()
        except CheckpointError as e:
            self.error = str(e)
        except Exception as e:  # noqa: BLE001 - the thread's failure must reach whoever waits for it
            log.exception("loading %s failed", self.name)
            self.error = f"{self.name}: loading failed ({type(e).__name__}); the server log has the details"
        finally:
            self.done.set()

    def wait(self, seconds: float):
        if not self.done.wait(seconds):
            return None
        if self.error is not None:
            raise CheckpointError(self.error)
        return self.model


class ModelStore:
    def __init__(self, models: dict, *, allow_hub: bool = False, device: str = "cpu", load_wait_s: float = LOAD_WAIT_S):
        if not models:
            raise CheckpointError("no model to serve")
        self.models = dict(models)  # name -> model, in picker order
        self.allow_hub, self.device, self.load_wait_s = allow_hub, device, load_wait_s
        self._hub: OrderedDict[str, object] = OrderedDict()  # Hub models loaded, least recently used first
        self._loading: dict[str, HubLoad] = {}  # Hub models loading now
        self._lock = threading.Lock()  # guards _hub and _loading only: never held while anything loads
        self._encodings = Recent(ENCODINGS_KEPT, max_bytes=ENCODINGS_BYTES, weigh=state_nbytes)
        self._results = Recent(RESULTS_KEPT, max_bytes=RESULTS_BYTES, weigh=result_nbytes)

    def decode(self, name: str, text: str, config: DecodeConfig) -> DecodeResult:
        """``decode`` with the model called ``name``, through two caches shared by every session: a slider
        move decodes the same input again, so its encoding (encoder outputs, attention keys) is reused;
        an identical request (a slider moved back, an example clicked again) reuses the whole result.
        Results are read-only traces; one cut by the time budget depends on the load, so it is not kept."""
        model = self.get(name)
        if not isinstance(text, str):
            raise InputError(f"input must be a string, got {type(text).__name__}")
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
        """Load every ``root/*/config.json`` checkpoint now, once (G2P first, then by name). A folder that does not
        load is skipped with a warning in the log naming it and why; CheckpointError when none loads."""
        device = device or default_device()
        dirs = sorted((p for p in Path(root).glob("*") if (p / CONFIG_NAME).is_file()),
                      key=lambda p: (not p.name.startswith("g2p"), p.name))
        if not dirs:
            raise CheckpointError(f"no model to serve: no checkpoint directory with {CONFIG_NAME} in {root}")
        loaded: dict = {}  # an ensemble and its members share one copy of each member
        models, skipped = {}, []
        for path in dirs:
            try:
                models[path.name] = load_model(path, device=device, loaded=loaded)
            except Exception as e:  # noqa: BLE001 - one broken folder must not keep the others from being served
                reason = str(e) if isinstance(e, CheckpointError) else f"{type(e).__name__}: {brief(str(e), 200)}"
                log.warning("skipping %s: %s", path, reason)
                skipped.append(f"{path}: {reason}")
        if not models:
            raise CheckpointError(f"no model to serve: no checkpoint in {root} loads ({'; '.join(skipped[:3])})")
        return cls(models, allow_hub=hub_allowed(), device=device)

    @property
    def default(self) -> str:
        return next(iter(self.models))

    def choices(self) -> list[tuple[str, str]]:
        return [(describe(name, m), name) for name, m in self.models.items()]

    def get(self, name: str):
        """The model called ``name``; a Hub id loads (once, in a thread of its own) only when Hub loading is allowed.
        Waits at most ``load_wait_s`` for a Hub model that is loading, then says so (CheckpointError)."""
        if isinstance(name, str) and name in self.models:  # (an API caller may send a list: unhashable)
            return self.models[name]
        if not isinstance(name, str) or not HUB_ID.match(name) or name.endswith(".git"):
            raise CheckpointError(f"unknown model {brief(name)}; choose one of {', '.join(self.models)}")
        if not self.allow_hub:
            raise CheckpointError(f"unknown model {brief(name)}: loading from the Hugging Face Hub is off "
                                  f"(set {HUB_ENV}=1 to allow it); choose one of {', '.join(self.models)}")
        with self._lock:
            if name in self._hub:
                self._hub.move_to_end(name)
                return self._hub[name]
            loading = self._loading.get(name)
            if loading is None:
                if len(self._loading) >= MAX_LOADING:
                    raise CheckpointError(f"{name}: {len(self._loading)} other Hugging Face models are loading; try "
                                          "again in a moment")
                loading = self._loading[name] = HubLoad(name, lambda: self._load(name))
                loading.thread.start()
        model = loading.wait(self.load_wait_s)
        if model is None:
            raise CheckpointError(f"{name} is still loading from the Hugging Face Hub; try again in a moment")
        return model

    def _load(self, name: str):
        """(In a HubLoad's thread) load ``name``, then keep it among the MAX_HUB_MODELS most recently used."""
        try:
            model = load_from_hub(name, device=self.device)
        except BaseException:
            with self._lock:
                self._loading.pop(name, None)
            raise
        with self._lock:  # (kept and no longer loading at once: no request sees neither and loads it again)
            self._hub[name] = model
            while len(self._hub) > MAX_HUB_MODELS:
                self._hub.popitem(last=False)
            self._loading.pop(name, None)
        return model
