"""Issue 7, safe loading from the page: the Hub is off unless PLAYGROUND_ALLOW_HUB=1, and a model picked as
``owner/name@revision`` loads exactly that revision, through the real huggingface_hub code path served from
a local cache (no network). (Safetensors-only loading, strict checks and the no-pickle grep are in
tests/test_checkpoint.py; the store's id validation in tests/test_ui_models.py.)"""

from __future__ import annotations

import shutil

import pytest
import torch
from conftest import tiny_model

from playground.checkpoint import CheckpointError, save_checkpoint
from playground.ui.models import HUB_ENV, ModelStore, hub_allowed

COMMIT = "0123456789abcdef0123456789abcdef01234567"


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


@pytest.fixture
def hub_cache(tmp_path, monkeypatch):
    """A local Hub cache holding someone/tiny-g2p at COMMIT (main points there), offline."""
    import huggingface_hub.constants as hub

    checkpoint = save_checkpoint(tiny_model(), tmp_path / "ckpt", meta={"task": "g2p", "name": "tiny"})
    repo = tmp_path / "hub" / "models--someone--tiny-g2p"
    shutil.copytree(checkpoint, repo / "snapshots" / COMMIT)
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text(COMMIT)
    monkeypatch.setattr(hub, "HF_HUB_CACHE", str(tmp_path / "hub"))
    monkeypatch.setattr(hub, "HF_HUB_OFFLINE", True)


def test_a_pinned_revision_loads_exactly_that_revision(hub_cache):
    store = ModelStore({"local": tiny_model()}, allow_hub=True)
    pinned = store.get(f"someone/tiny-g2p@{COMMIT}")
    src = torch.tensor([[5, 6, 7]])
    with torch.no_grad():
        assert torch.equal(pinned(src, torch.tensor([[1, 4]]))[0], tiny_model()(src, torch.tensor([[1, 4]]))[0])
    assert store.get(f"someone/tiny-g2p@{COMMIT}") is pinned  # loaded once
    with pytest.raises(CheckpointError, match="someone/tiny-g2p: could not fetch"):
        store.get("someone/tiny-g2p@" + "f" * 40)  # a revision the cache (and so the Hub) does not have
