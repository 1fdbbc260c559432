"""Issue 21, the server against a slow Hub and heavy requests: a Hub endpoint that never answers (a local socket
that accepts and stays silent) blocks only requests for the model it is loading; stored traces keep to their byte
budget; a decode's rows x vocabulary keep to the memory budget (sampling chunks or refuses); /decode's answer
keeps to its size bound; a long Hugging Face input decodes in Explore; one limit on concurrent decodes; clear
messages. Models are built offline in the test; nothing is downloaded. No test measures time: a fake clock drives
the sampling budget, and a stalled request is shown to be still pending while the shipped model answers."""

from __future__ import annotations

import base64
import json
import logging
import shutil
import socket
import threading

import pytest
import torch
from helpers import HF_WORDS, HUB_COMMIT, hf_checkpoint, hf_tokenizer, tiny_model, tiny_store, tiny_transformer

from playground import DecodeConfig, decode, load_model
from playground.analysis import sampling
from playground.decoding.scripted import ScriptedModel
from playground.models import hub, loading
from playground.models.checkpoint import CheckpointError, save_checkpoint
from playground.models.vocab import InputError
from playground.ui.common.controls import UiParams
from playground.ui.explore.service import ExploreService
from playground.ui.store import HUB_ID, ModelStore, trace_nbytes


def payload(token="page-1", text="cab", model="tiny", **controls) -> dict:
    return {"token": token, "model": model, "text": text, **UiParams(**controls).controls(), "step": 1}


# --- defect 2: a stalled Hub ---------------------------------------------------------------------------------------
@pytest.fixture
def stalled_hub(monkeypatch, tmp_path):
    """HF_ENDPOINT at a local socket that accepts every connection and never answers; yields an Event set once a
    request has reached it."""
    import huggingface_hub.constants as constants

    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(64)
    reached, connections = threading.Event(), []

    def accept():
        while True:
            try:
                connection, _ = server.accept()
            except OSError:
                return
            connections.append(connection)
            reached.set()

    threading.Thread(target=accept, daemon=True).start()
    monkeypatch.setattr(constants, "ENDPOINT", f"http://127.0.0.1:{server.getsockname()[1]}")
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path / "hub-cache"))
    yield reached
    server.close()
    for connection in connections:
        connection.close()


def test_a_hub_that_never_answers_is_a_time_out_message(stalled_hub, monkeypatch):
    monkeypatch.setenv(hub.TIMEOUT_ENV, "1")
    with pytest.raises(CheckpointError, match=r"someone/model: the Hugging Face Hub did not answer within 1 s "
                                              r"\(PLAYGROUND_HUB_TIMEOUT_S sets it\)"):
        loading.load_from_hub("someone/model")
    assert stalled_hub.is_set()


def test_a_download_that_stalls_ends_at_the_fetch_deadline(stalled_hub, monkeypatch):
    """The file list answered (monkeypatched); the file download hangs. huggingface_hub alone retries a timed-out
    request for minutes (six tries of up to a minute each); the fetch ends at its deadline instead."""
    monkeypatch.setenv(hub.TIMEOUT_ENV, "1")
    monkeypatch.setenv(hub.FETCH_TIMEOUT_ENV, "3")
    monkeypatch.setattr(hub, "listing", lambda repo_id, revision: hub.Listing(
        sha=HUB_COMMIT, gated=False, sizes={"config.json": 10, "model.safetensors": 10, "tokenizer.json": 10}))
    with pytest.raises(CheckpointError, match=r"someone/model: fetching from the Hugging Face Hub did not finish "
                                              r"within 3 s \(PLAYGROUND_HUB_FETCH_TIMEOUT_S sets it"):
        loading.load_from_hub("someone/model")


def test_a_stalled_hub_load_blocks_only_the_requests_for_that_model(stalled_hub, monkeypatch):
    monkeypatch.setenv(hub.TIMEOUT_ENV, "60")
    monkeypatch.setenv(hub.FETCH_TIMEOUT_ENV, "5")
    store = ModelStore({"tiny": tiny_model()}, allow_hub=True, load_wait_s=0.01)
    with pytest.raises(CheckpointError, match="someone/stalled is still loading from the Hugging Face Hub"):
        store.get("someone/stalled")
    assert stalled_hub.wait(30)  # the Hub request is in flight, unanswered
    load = store._loading["someone/stalled"]
    assert store.decode("tiny", "cab", DecodeConfig(max_length=4)).hypotheses  # the shipped model answers ...
    answer = json.loads(ExploreService(store, concurrency=1).explore(payload()))
    assert "<b>cab</b>" in answer["summary"]  # ... and Explore, which said "busy" before
    assert not load.done.is_set()  # ... while the Hub request still hangs
    with pytest.raises(CheckpointError, match="still loading"):
        store.get("someone/stalled")
    assert store._loading["someone/stalled"] is load  # the same load: no second request to the Hub
    with pytest.raises(CheckpointError, match="the Hugging Face Hub did not"):
        load.wait(120)
    assert "someone/stalled" not in store._loading  # failed: the next request may try again


# --- defect 6: a Hub id is never a path ----------------------------------------------------------------------------
@pytest.mark.parametrize("name, ok", [
    ("Helsinki-NLP/opus-mt-en-de", True), ("facebook/nllb-200-distilled-600M", True), ("a/b@v1.0", True),
    ("a--b/c", False), ("a/b..c", False), ("a/b-", False), ("a/.b", False), ("x" * 97 + "/b", False),
    ("checkpoints/../x", False), ("a/b/c", False),
])
def test_hub_ids_follow_the_hubs_naming_rules(name, ok):
    assert bool(HUB_ID.match(name)) is ok


def test_a_hub_id_is_never_read_as_a_local_path_and_tells_nothing_about_local_folders(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    save_checkpoint(tiny_model(), tmp_path / "checkpoints" / "wide-bart", meta={"task": "g2p"})
    (tmp_path / "playground" / "models").mkdir(parents=True)
    (tmp_path / "tests").mkdir()
    asked = []

    def hub_only(repo_id, revision):
        asked.append(repo_id)
        raise CheckpointError(f"{repo_id}: no such model repository on the Hugging Face Hub (or it is private)")

    monkeypatch.setattr(loading, "fetch_from_hub", hub_only)
    store = ModelStore({"tiny": tiny_model()}, allow_hub=True, load_wait_s=30)
    messages = set()
    for name in ("checkpoints/wide-bart", "playground/models", "tests/nonexist"):
        with pytest.raises(CheckpointError) as e:
            store.get(name)
        messages.add(str(e.value).replace(name, "NAME"))
    assert asked == ["checkpoints/wide-bart", "playground/models", "tests/nonexist"]  # each went to the Hub only
    assert messages == {"NAME: no such model repository on the Hugging Face Hub (or it is private)"}


def test_sharded_hub_weights_under_the_cap_are_fetched_and_read(tmp_path, monkeypatch):
    import huggingface_hub
    import huggingface_hub.constants as constants

    single = load_model(hf_checkpoint(tmp_path / "one", "bart"))
    source = tmp_path / "repo"
    single.model.save_pretrained(source, max_shard_size="20KB")
    single.tokenizer.save_pretrained(source)
    (source / "pytorch_model.bin").write_bytes(b"never fetched")
    sizes = {p.name: p.stat().st_size for p in source.iterdir()}
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
    monkeypatch.setattr(hub, "listing", lambda repo_id, revision: hub.Listing(sha=HUB_COMMIT, gated=False,
                                                                              sizes=sizes))
    fetched = []

    def download(repo_id, name, *, revision, **kwargs):
        assert revision == HUB_COMMIT
        fetched.append(name)
        (tmp_path / "snapshot").mkdir(exist_ok=True)
        return shutil.copy(source / name, tmp_path / "snapshot" / name)

    monkeypatch.setattr(huggingface_hub, "hf_hub_download", download)
    model = load_model("someone/sharded")
    assert "pytorch_model.bin" not in fetched and sum(n.startswith("model-") for n in fetched) > 1
    config = DecodeConfig(strategy="beam", beam_width=3, max_length=5)
    assert [h.token_ids for h in decode(model, "the cat", config).hypotheses] == \
        [h.token_ids for h in decode(single, "the cat", config).hypotheses]
    shards = sum(size for name, size in sizes.items() if name.startswith("model-"))
    monkeypatch.setenv(hub.MAX_BYTES_ENV, str(shards - 1))
    fetched.clear()
    with pytest.raises(CheckpointError, match="safetensors shards are .* over the"):
        load_model("someone/sharded")
    assert fetched == []


# --- defect 3: stored traces have a byte budget; the Explore path trims freed memory -------------------------------
def test_stored_traces_stay_within_their_byte_budget_oldest_first(monkeypatch):
    store = ModelStore({"tf": tiny_transformer(layers=3, heads=2)})
    wide = dict(strategy="beam", beam_width=8, num_return=8, max_length=12)
    one = trace_nbytes(store.decode("tf", "abcdefgh", UiParams(**wide).to_config()[0]).trace)
    budget = 4 * one
    monkeypatch.setenv("PLAYGROUND_TRACES_MAX_BYTES", str(budget))
    service = ExploreService(store, concurrency=1)
    words = ["".join(w) for w in zip("abcdefghijklmnop", "qrstuvwxyzabcdef", "ghijklmnopqrstuv", strict=True)]
    for i, word in enumerate(words):
        assert "error" not in json.loads(service.explore(payload(f"page-{i}", word + "abcde", "tf", **wide)))
        assert service.sessions.nbytes <= budget
    assert 2 <= len(service.sessions) <= 6  # (16 pages of about one budget/4 each)
    assert "expired" in json.loads(service.pick({"token": "page-0"}))["error"]  # the oldest went first
    assert "error" not in json.loads(service.pick({"token": f"page-{len(words) - 1}"}))


def test_the_explore_path_hands_freed_memory_back(monkeypatch):
    import playground.ui.explore.service as service_module

    calls = []
    monkeypatch.setattr(service_module, "TRIM", lambda: calls.append(1))
    service = ExploreService(ModelStore({"tiny": tiny_model()}), concurrency=1)
    service.explore(payload())
    service.pick({"token": "page-1"})
    service.explore(payload(text="c4t"))  # (an error answer too)
    assert len(calls) == 3


# --- defect 4: memory per decode, and sampling's time budget ------------------------------------------------------
@pytest.fixture(scope="module")
def wide_vocab():
    """A scripted model over 256,000 target symbols (NLLB's and mBART-50's vocabularies are 250-256 k)."""
    symbols = [chr(0x10000 + i) for i in range(256_000)]
    return ScriptedModel(target_symbols=symbols, table={"": {symbols[0]: 0.5, symbols[1]: 0.3, symbols[2]: 0.2}},
                         hidden={symbols[0]: [1.0]})  # (not a 256k x 256k identity of one-hot vectors)


def test_a_1000_sample_decode_over_256k_tokens_is_refused_before_any_work(wide_vocab):
    wide_vocab.batch_sizes.clear()
    with pytest.raises(ValueError, match=r"sampling would hold 1,000 rows x 256,003 tokens = 256,003,000 logits a "
                                         r"step, over the memory budget of 8,388,608 \(about 369 MB; "
                                         r"PLAYGROUND_DECODE_MAX_LOGITS sets it\): use num_samples <= 32"):
        decode(wide_vocab, "ab", DecodeConfig(strategy="sample", num_samples=1000, num_return=1000))
    assert wide_vocab.batch_sizes == []
    with pytest.raises(ValueError, match="contrastive search would hold 256,003 rows"):
        decode(wide_vocab, "ab", DecodeConfig(strategy="contrastive", top_k=1_000_000))
    assert decode(wide_vocab, "ab", DecodeConfig(strategy="beam", beam_width=16)).hypotheses  # 4.1 M: fits


def test_sampling_a_256k_vocabulary_draws_and_scores_in_chunks_within_the_memory_budget(wide_vocab):
    wide_vocab.batch_sizes.clear()
    stats = sampling.sample_distribution(wide_vocab, "ab", DecodeConfig(seed=1), 200)
    assert max(wide_vocab.batch_sizes) * 256_003 <= 2**23  # never more rows x vocabulary than the budget
    assert stats.n == 200 or "ran out" in stats.message  # (the time budget may end the draw on a busy machine)
    assert sum(o.count for o in stats.outputs) + stats.unscored == stats.n


class FakeDeadline:
    """The sampling analysis' clock, driven by the model: one second per model step."""

    def __init__(self, seconds, model):
        self.seconds, self.model, self.start = float(seconds), model, len(model.batch_sizes)

    def elapsed(self) -> float:
        return float(len(self.model.batch_sizes) - self.start)

    def expired(self) -> bool:
        return self.elapsed() >= self.seconds


def test_the_draw_the_beam_reference_and_the_scoring_keep_to_the_time_budget(monkeypatch):
    """Ten equally likely outputs, two rows a batch (a memory budget of 2 x V), one second a model step, a budget
    of 10 s: the draw stops by 6 s (three batches of two), the reference runs, the scoring's first batch runs and
    the rest is left out, said in the message; the model is stepped about ten times, not 100 + 2 x 11."""
    symbols = "abcdefghij"
    model = ScriptedModel(target_symbols=symbols, table={"": {s: 0.1 for s in symbols}})
    monkeypatch.setenv("PLAYGROUND_DECODE_MAX_LOGITS", str(2 * len(model.target_vocab)))
    monkeypatch.setattr(sampling, "Deadline", lambda seconds: FakeDeadline(seconds, model))
    stats = sampling.sample_distribution(model, "ab", DecodeConfig(seed=0, time_budget_s=10), 100)
    assert stats.n == 6 and "ran out after 6 of 100 samples" in stats.message
    assert stats.unscored > 0 and "rarest distinct outputs" in stats.message
    assert sum(o.count for o in stats.outputs) + stats.unscored == 6
    assert len(model.batch_sizes) <= 12 and max(model.batch_sizes) <= 2


# --- defect 4: the response size bound ------------------------------------------------------------------------------
def test_decode_answers_over_the_size_bound_are_refused_naming_it(monkeypatch):
    from playground.ui.wiring import DECODE_DEFAULTS, bounded_decode

    monkeypatch.setenv("PLAYGROUND_MAX_RESPONSE_BYTES", "100000")
    defaults = {k: v for k, v in DECODE_DEFAULTS.items() if k != "model"}
    store = tiny_store()
    assert bounded_decode(store, "g2p-tiny", "cab", dict(defaults, strategy="greedy"))["source"] == ["c", "a", "b"]
    wide = dict(defaults, strategy="beam", beam_width=16, num_return=16, max_length=40)
    with pytest.raises(ValueError, match=r"the answer would be about [\d.]+ MB of JSON, over the 0\.1 MB limit "
                                         r"\(PLAYGROUND_MAX_RESPONSE_BYTES sets it\): ask for less \(a smaller "
                                         r"beam_width"):
        bounded_decode(store, "g2p-tiny", "abcdefghijkl", wide)
    service = ExploreService(store, concurrency=1)
    service.explore(payload(model="g2p-tiny", text="abcdefghijkl", strategy="beam", beam_width=16, max_length=40))
    assert "PLAYGROUND_MAX_RESPONSE_BYTES" in json.loads(service.export({"token": "page-1"}))["error"]


# --- defect 5: a long Hugging Face input decodes in Explore ---------------------------------------------------------
def test_a_230_character_hf_input_decodes_and_only_the_share_string_says_it_cannot_carry_it(tmp_path):
    bart = load_model(hf_checkpoint(tmp_path / "bart", "bart"))
    text = " ".join(HF_WORDS[i % 20] for i in range(60))[:236].rsplit(" ", 1)[0]
    assert len(text) >= 230
    service = ExploreService(ModelStore({"bart": bart}), concurrency=1)
    answer = json.loads(service.explore(payload(model="bart", text=text, max_length=4)))
    assert "error" not in answer and answer["steps"] >= 1
    assert answer["share"].startswith("(this view cannot be shared as a string: view text has")
    assert json.loads(service.export({"token": "page-1"}))["text"] == text


# --- defect 7: clear errors ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("text", [["cab"], {"t": 1}, 5])
def test_explore_text_that_is_not_a_string_is_named(text):
    answer = json.loads(ExploreService(ModelStore({"tiny": tiny_model()}), concurrency=1).explore(payload(text=text)))
    assert answer["error"].startswith("Cannot decode: the input must be text, got ")


def test_one_broken_folder_in_checkpoints_is_skipped_with_a_warning(tmp_path, caplog):
    save_checkpoint(tiny_model(), tmp_path / "g2p-good", meta={"task": "g2p"})
    broken = save_checkpoint(tiny_model(), tmp_path / "g2p-broken", meta={"task": "g2p"})
    (broken / "model.safetensors").write_bytes(b"\x00" * 12)
    (tmp_path / "p2g-garbage").mkdir()
    (tmp_path / "p2g-garbage" / "config.json").write_text("[" * 5000)
    with caplog.at_level(logging.WARNING, logger="playground.ui.store"):
        store = ModelStore.discover(tmp_path, device="cpu")
    assert list(store.models) == ["g2p-good"]
    warned = " ".join(r.getMessage() for r in caplog.records)
    assert f"skipping {broken}" in warned and str(tmp_path / "p2g-garbage") in warned
    (tmp_path / "g2p-good" / "config.json").write_text("{}")
    with pytest.raises(CheckpointError, match="no checkpoint in .* loads"):
        ModelStore.discover(tmp_path, device="cpu")


def test_a_share_string_nested_1400_deep_is_a_clear_error():
    from playground.ui.explore.share import parse_view

    deep = base64.urlsafe_b64encode(b"[" * 1400).decode().rstrip("=")
    with pytest.raises(ValueError, match="this is not a view string"):
        parse_view(deep)


def test_messages_that_echo_a_request_cut_it():
    store = ModelStore({"tiny": tiny_model()}, allow_hub=False)
    for name in ("x" * 100_000, ["y" * 100_000] * 1000, "owner/" + "n" * 90):
        with pytest.raises(CheckpointError) as e:
            store.get(name)
        assert len(str(e.value)) < 300


# --- defect 8: a tokenizer that panics, through the server --------------------------------------------------------
def test_a_tokenizer_panic_is_an_answer_from_explore_and_decode(tmp_path):
    from tokenizers import Regex, pre_tokenizers

    from playground.ui.wiring import DECODE_DEFAULTS, bounded_decode

    directory = hf_checkpoint(tmp_path / "bart", "bart")
    tokenizer = hf_tokenizer("bart")
    tokenizer.backend_tokenizer.pre_tokenizer = pre_tokenizers.Sequence(
        [pre_tokenizers.Whitespace(), pre_tokenizers.Split(Regex("(a|aa)+b"), behavior="isolated")])
    tokenizer.save_pretrained(directory)
    store = ModelStore({"bart": load_model(directory)})
    answer = json.loads(ExploreService(store, concurrency=1).explore(payload(model="bart", text="a" * 40)))
    assert answer["error"].startswith("Cannot decode: the model's tokenizer failed on this input (PanicException")
    with pytest.raises(InputError, match="tokenizer failed"):
        bounded_decode(store, "bart", "a" * 40, {k: v for k, v in DECODE_DEFAULTS.items() if k != "model"})


# --- defect 9: one limit on concurrent decodes ------------------------------------------------------------------------
def test_explore_and_the_gradio_events_share_one_set_of_decode_slots(monkeypatch):
    import gradio as gr

    from playground.ui import build_demo
    from playground.ui.common import runtime

    demo = build_demo(tiny_store())
    service = demo.explore_service
    assert service.slots is runtime.DECODE_SLOTS
    monkeypatch.setattr(runtime, "SLOT_WAIT_S", 0.01)
    service.wait_s = 0.01
    held = 0
    while runtime.DECODE_SLOTS.acquire(blocking=False):  # every slot taken by "other" decodes
        held += 1
    try:
        assert held == runtime.DECODE_CONCURRENCY
        assert "busy" in json.loads(service.explore(payload(model="g2p-tiny")))["error"]
        with pytest.raises(gr.Error, match="busy"):
            runtime.gpu(lambda: "decoded")()
    finally:
        for _ in range(held):
            runtime.DECODE_SLOTS.release()
    assert runtime.gpu(lambda: "decoded")() == "decoded"
    assert torch.get_num_threads() >= 1
