"""Issue 7, safe loading from the page: the Hub is off unless PLAYGROUND_ALLOW_HUB=1, and a model picked as
``owner/name@revision`` loads exactly that revision, through the real huggingface_hub code path served from
a local cache (no network). (Safetensors-only loading, strict checks and the no-pickle grep are in
tests/test_checkpoint.py; the store's id validation in tests/test_ui_models.py.)"""

from __future__ import annotations

import pytest
import torch
from helpers import HUB_COMMIT as COMMIT
from helpers import tiny_model

from playground.models.checkpoint import CheckpointError, save_checkpoint
from playground.ui.store import HUB_ENV, ModelStore, hub_allowed


@pytest.mark.parametrize("value, allowed", [(None, False), ("", False), ("0", False), ("true", False),
                                            ("yes", False), ("1", True)])
def test_hub_loading_is_opt_in(value, allowed, monkeypatch, tmp_path):
    if value is None:
        monkeypatch.delenv(HUB_ENV, raising=False)
    else:
        monkeypatch.setenv(HUB_ENV, value)
    save_checkpoint(tiny_model(), tmp_path / "g2p-tiny", meta={"task": "g2p"})
    store = ModelStore.discover(tmp_path, device="cpu")
    assert hub_allowed() is allowed and store.allow_hub is allowed
    if not allowed:
        with pytest.raises(CheckpointError, match=f"Hub is off \\(set {HUB_ENV}=1"):
            store.get("someone/tiny-g2p")


def test_a_pinned_revision_loads_exactly_that_revision(hub_cache):
    store = ModelStore({"local": tiny_model()}, allow_hub=True)
    pinned = store.get(f"someone/tiny-g2p@{COMMIT}")
    src = torch.tensor([[5, 6, 7]])
    with torch.no_grad():
        assert torch.equal(pinned(src, torch.tensor([[1, 4]]))[0], tiny_model()(src, torch.tensor([[1, 4]]))[0])
    assert store.get(f"someone/tiny-g2p@{COMMIT}") is pinned  # loaded once
    with pytest.raises(CheckpointError, match="someone/tiny-g2p: could not fetch"):
        store.get("someone/tiny-g2p@" + "f" * 40)  # a revision the cache (and so the Hub) does not have
