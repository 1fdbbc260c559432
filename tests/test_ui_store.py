"""The model picker's store: shipped checkpoints found and loaded once; the Hub only when allowed."""

from __future__ import annotations

import pytest
from helpers import tiny_model, tiny_p2g

from playground.models.card import task_of
from playground.models.checkpoint import CheckpointError, save_checkpoint
from playground.ui.store import HUB_ID, ModelStore, describe


def test_discover_loads_every_checkpoint_g2p_first(tmp_path):
    save_checkpoint(tiny_p2g(), tmp_path / "p2g-a", meta={"task": "p2g", "name": "P2G · tiny"})
    save_checkpoint(tiny_model(), tmp_path / "g2p-b", meta={"task": "g2p", "name": "G2P · tiny"})
    (tmp_path / "notes").mkdir()  # a directory without config.json is not a checkpoint
    store = ModelStore.discover(tmp_path, device="cpu")
    assert list(store.models) == ["g2p-b", "p2g-a"] and store.default == "g2p-b"
    assert store.choices() == [("G2P · tiny", "g2p-b"), ("P2G · tiny", "p2g-a")]
    assert store.get("p2g-a") is store.get("p2g-a")  # loaded once, shared


def test_no_checkpoint_is_a_clear_error(tmp_path):
    with pytest.raises(CheckpointError, match="no checkpoint directory"):
        ModelStore.discover(tmp_path, device="cpu")


def test_task_and_label_without_a_config():
    assert task_of(tiny_model()) == "g2p" and task_of(tiny_p2g()) == "p2g"
    assert describe("x", tiny_p2g()) == "x · phonemes → spelling"


@pytest.mark.parametrize("name, ok", [
    ("owner/model", True), ("owner/g2p.v2@0123abc", True), ("a/..", False), ("../etc", False),
    ("/abs/path", False), ("~user/x", False), ("a/b/c", False), ("a/.hidden", False), ("a/b@..", False),
])
def test_hub_ids_cannot_name_local_paths(name, ok):
    assert bool(HUB_ID.match(name)) is ok


def test_hub_loading_is_off_by_default_and_validated_when_on(monkeypatch):
    store = ModelStore({"tiny": tiny_model()})
    with pytest.raises(CheckpointError, match="Hub is off"):
        store.get("owner/model")
    calls = []
    monkeypatch.setattr("playground.ui.store.load_from_hub", lambda name, device: calls.append(
        tuple(name.partition("@")[::2])) or tiny_model())
    store = ModelStore({"tiny": tiny_model()}, allow_hub=True)
    with pytest.raises(CheckpointError, match="unknown model"):
        store.get("../../etc/passwd")
    model = store.get("owner/model@abc123")
    assert store.get("owner/model@abc123") is model and calls == [("owner/model", "abc123")]
    store.get("owner/other")
    store.get("owner/third")  # only MAX_HUB_MODELS stay in memory
    assert len(store._hub) == 2 and "owner/model@abc123" not in store._hub


def test_what_recent_keeps_never_weighs_more_than_its_budget_even_while_it_makes_room(monkeypatch):
    from playground.ui.store import Recent

    recent = Recent(10, max_bytes=10, weigh=len)
    seen = []
    drop = Recent._drop
    monkeypatch.setattr(Recent, "_drop", lambda self, key: (seen.append(self.nbytes), drop(self, key)))
    for key, value in (("a", "xxxx"), ("b", "xxxx"), ("c", "xxxxxx"), ("d", "xxxxxxxxxx")):
        assert recent.put(key, value)
        seen.append(recent.nbytes)
    assert max(seen) <= 10 and recent.nbytes == 10 and len(recent) == 1  # "d" alone fills it
    assert not recent.put("e", "x" * 11) and recent.get("e") is None  # over the budget alone: not kept
