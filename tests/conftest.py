"""Shared fixtures: tiny models and checkpoints built in a few milliseconds, never downloaded."""

from __future__ import annotations

import pytest
import torch

from playground.models.checkpoint import save_checkpoint
from playground.models.rnn import ModelConfig, Seq2Seq
from playground.models.vocab import Vocab

# Every test works on tiny tensors: a thread pool costs more than it gives, and CI has 2 cores.
torch.set_num_threads(1)

CHARS = Vocab(symbols=("<pad>", "<s>", "</s>", "'", *"abcdefghijklmnopqrstuvwxyz"), kind="chars")
PHONES = Vocab(symbols=("<pad>", "<s>", "</s>", "AA", "AE", "AH", "B", "K", "T", "S"), kind="words",
               lowercase=False)


def tiny_model(attention: str = "bahdanau", rnn: str = "gru", layers: int = 1, seed: int = 0) -> Seq2Seq:
    torch.manual_seed(seed)
    config = ModelConfig(src_vocab_size=len(CHARS), tgt_vocab_size=len(PHONES), embed_dim=8, hidden_dim=12,
                         encoder_layers=layers, decoder_layers=layers, rnn=rnn, attention=attention, dropout=0.0)
    return Seq2Seq(config, CHARS, PHONES).eval()


@pytest.fixture
def model() -> Seq2Seq:
    return tiny_model()


HUB_COMMIT = "0123456789abcdef0123456789abcdef01234567"


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
    from test_app_client import tiny_store

    from playground.ui import ModelStore, build_demo
    from playground.ui.server import serve

    require_chromium()
    shipped = any((ROOT / "checkpoints").glob("*/config.json"))
    store = ModelStore.discover() if shipped else tiny_store()
    url, demo = serve(build_demo(store), ports=range(7890, 7900))
    yield url, shipped
    demo.close()


@pytest.fixture(scope="session")
def page(app_url):
    """One browser page for every browser test; each test module first clicks the tab it is about."""
    from browser import ARGS, CHROMIUM
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(app_url[0])
        page.wait_for_selector("#plot-tree .main-svg", timeout=60_000)
        yield page
        assert not errors, f"JavaScript errors on the page: {errors}"
        browser.close()
