"""Training on a tiny slice of CMUdict: a few hundred words, a few epochs, seconds on one core."""

import json

import pytest

from playground import load_model
from playground.training import train

TINY = ["--limit-words", "300", "--limit-dev", "40", "--embed-dim", "16", "--hidden-dim", "24",
        "--batch-size", "32", "--lr", "0.005", "--dropout", "0.0", "--threads", "1", "--quiet"]


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    out = tmp_path_factory.mktemp("run") / "g2p"
    state = train.main(["--task", "g2p", "--out", str(out), "--epochs", "3", "--patience", "9", *TINY])
    return out, state


def test_loss_decreases_and_a_checkpoint_is_written(run):
    out, state = run
    losses = [h["train_loss"] for h in state["history"]]
    assert len(losses) == 3 and losses[-1] < losses[0] * 0.9
    model = load_model(out)
    assert model.config["task"] == "g2p" and model.config["training"]["best_epoch"] == state["best_epoch"]
    assert (out / "README.md").read_text().startswith("---\nlicense:")


def test_resume_continues_from_the_saved_epoch(run, tmp_path):
    out, state = run
    again = train.main(["--task", "g2p", "--out", str(out), "--epochs", "4", "--patience", "9", "--resume", *TINY])
    assert [h["epoch"] for h in again["history"]] == [1, 2, 3, 4]
    assert again["history"][:3] == state["history"]
    saved = json.loads((out / "train_state" / "state.json").read_text())
    assert saved["epoch"] == 4


def test_keep_epochs_saves_each_epoch_weights_for_averaging(tmp_path):
    from safetensors.torch import load_file

    out = tmp_path / "kept"
    train.main(["--task", "g2p", "--out", str(out), "--epochs", "2", "--patience", "9", "--keep-epochs", *TINY])
    first, last = (load_file(out / "train_state" / f"epoch-{e}.safetensors") for e in (1, 2))
    assert first.keys() == last.keys() == load_file(out / "train_state" / "model.safetensors").keys()
    assert any(not (first[k] == last[k]).all() for k in first)  # two different states, not one copied twice


def test_p2g_vocabularies_are_swapped(tmp_path):
    train.main(["--task", "p2g", "--out", str(tmp_path / "p2g"), "--epochs", "1", *TINY])
    model = load_model(tmp_path / "p2g")
    assert model.source_vocab.kind == "words" and model.target_vocab.kind == "chars"
    assert "AE" in model.source_vocab.symbols and "q" in model.target_vocab.symbols


def test_warm_start_continues_from_the_checkpoint_without_train_state(run, tmp_path):
    import shutil

    out, _ = run
    copy = tmp_path / "clone"
    shutil.copytree(out, copy, ignore=shutil.ignore_patterns("train_state"))  # what a fresh clone holds
    training = load_model(copy).config["training"]
    best = training["best_epoch"]
    again = train.main(["--task", "g2p", "--out", str(copy), "--epochs", str(best + 1), "--patience", "9",
                        "--warm-start", *TINY])
    assert [h["epoch"] for h in again["history"]] == list(range(1, best + 2))
    assert again["history"][:best] == training["history"][:best]
