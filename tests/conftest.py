"""Shared fixtures (helpers live in tests/helpers.py and tests/browser.py): tiny models and checkpoints built
in a few milliseconds, never downloaded; the served app and one browser page for the browser tests."""

from __future__ import annotations

import pytest
import torch
from helpers import HUB_COMMIT, tiny_model, tiny_store

from playground.models.checkpoint import save_checkpoint

# Every test works on tiny tensors: a thread pool costs more than it gives, and CI has 2 cores.
torch.set_num_threads(1)


@pytest.fixture
def model():
    return tiny_model()


@pytest.fixture
def hub_cache(tmp_path, monkeypatch):
    """An offline local Hugging Face Hub cache holding someone/tiny-g2p (tiny_model()) at HUB_COMMIT, which
    main points to: the real huggingface_hub code path, no network."""
    import shutil

    import huggingface_hub.constants as hub

    checkpoint = save_checkpoint(tiny_model(), tmp_path / "ckpt", meta={"task": "g2p", "name": "tiny"})
    repo = tmp_path / "hub" / "models--someone--tiny-g2p"
    shutil.copytree(checkpoint, repo / "snapshots" / HUB_COMMIT)
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text(HUB_COMMIT)
    monkeypatch.setattr(hub, "HF_HUB_CACHE", str(tmp_path / "hub"))
    monkeypatch.setattr(hub, "HF_HUB_OFFLINE", True)


# --- the real page in headless Chromium (tests/browser.py has the helpers) ------------------------------
@pytest.fixture(scope="session")
def app_url():
    """(url, shipped): the app served in-process, on the shipped checkpoints when they exist."""
    from browser import ROOT, require_chromium

    from playground.ui import ModelStore, build_demo
    from playground.ui.server import serve

    require_chromium()
    shipped = any((ROOT / "checkpoints").glob("*/config.json"))
    store = ModelStore.discover() if shipped else tiny_store()
    url, demo = serve(build_demo(store), ports=range(7890, 7900))
    yield url, shipped
    demo.close()


@pytest.fixture(scope="session")
def browser(app_url):
    from playwright.sync_api import sync_playwright

    from playground.ui.page import launch

    with sync_playwright() as p:
        browser = launch(p)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, app_url):
    """A fresh page for every browser test (its own Gradio session), so no test depends on another's state."""
    from browser import watched_page

    yield from watched_page(browser, app_url[0])
