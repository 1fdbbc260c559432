import json
import re
from pathlib import Path

import pytest
import torch
from helpers import HUB_COMMIT, tiny_model

from playground import CheckpointError, load_model
from playground.models.checkpoint import save_checkpoint

META = {"name": "tiny", "task": "g2p", "description": "test model"}


@pytest.fixture
def checkpoint(tmp_path) -> Path:
    return save_checkpoint(tiny_model(), tmp_path / "ckpt", meta=META, card="# tiny\n")


def logits_of(model):
    src = torch.tensor([[5, 6, 7]])
    with torch.no_grad():
        return model(src, torch.tensor([[1, 4, 5]]))[0]


def test_save_then_load_gives_identical_logits(checkpoint):
    loaded = load_model(checkpoint)
    assert torch.equal(logits_of(loaded), logits_of(tiny_model()))
    assert loaded.config["name"] == "tiny" and loaded.config["task"] == "g2p"
    assert loaded.source_vocab == tiny_model().source_vocab and loaded.target_vocab == tiny_model().target_vocab
    assert not loaded.training


def test_missing_directory(tmp_path):
    with pytest.raises(CheckpointError, match="no such checkpoint directory"):
        load_model(tmp_path / "nope")


def test_missing_config(checkpoint):
    (checkpoint / "config.json").unlink()
    with pytest.raises(CheckpointError, match=r"config\.json: missing"):
        load_model(checkpoint)


def test_corrupt_config(checkpoint):
    (checkpoint / "config.json").write_text("{not json")
    with pytest.raises(CheckpointError, match=r"config\.json: not a valid checkpoint config"):
        load_model(checkpoint)


def test_missing_weights(checkpoint):
    (checkpoint / "model.safetensors").unlink()
    with pytest.raises(CheckpointError, match=r"model\.safetensors: missing"):
        load_model(checkpoint)


def test_truncated_weights(checkpoint):
    path = checkpoint / "model.safetensors"
    path.write_bytes(path.read_bytes()[:200])
    with pytest.raises(CheckpointError, match=r"model\.safetensors: unreadable or corrupt"):
        load_model(checkpoint)


def test_shape_mismatch(checkpoint):
    config = json.loads((checkpoint / "config.json").read_text())
    config["model"]["hidden_dim"] = 16
    (checkpoint / "config.json").write_text(json.dumps(config))
    with pytest.raises(CheckpointError, match="shapes do not match"):
        load_model(checkpoint)


def test_key_mismatch(checkpoint):
    config = json.loads((checkpoint / "config.json").read_text())
    config["model"]["attention"] = "dot"  # dot attention has no projection weights
    (checkpoint / "config.json").write_text(json.dumps(config))
    with pytest.raises(CheckpointError, match="unexpected.*attention"):
        load_model(checkpoint)


def test_integer_weights_are_refused(checkpoint):
    from safetensors.torch import load_file, save_file

    tensors = load_file(str(checkpoint / "model.safetensors"))
    tensors["out.bias"] = tensors["out.bias"].to(torch.int32)  # would be cast silently by load_state_dict
    save_file(tensors, str(checkpoint / "model.safetensors"))
    with pytest.raises(CheckpointError, match=r"not floating point: \['out\.bias'\]"):
        load_model(checkpoint)


def test_a_typo_in_a_local_folder_is_not_sent_to_the_hub(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "checkpoints").mkdir()
    with pytest.raises(CheckpointError, match="no such checkpoint directory"):
        load_model("checkpoints/g2p-typo")


def test_not_a_repo_id():
    with pytest.raises(CheckpointError, match="not a Hub repository id"):
        load_model("no-such-dir-or-repo")


def test_hub_repository_loads_through_huggingface_hub_offline(hub_cache):
    """The real snapshot_download code path, served from a local Hub cache (no network)."""
    assert torch.equal(logits_of(load_model("someone/tiny-g2p")), logits_of(tiny_model()))
    assert torch.equal(logits_of(load_model("someone/tiny-g2p", revision=HUB_COMMIT)), logits_of(tiny_model()))
    with pytest.raises(CheckpointError, match="someone/absent: could not fetch"):
        load_model("someone/absent")


def test_the_package_never_unpickles():
    """Weights are read with safetensors only: no pickle, torch.load or numpy pickles anywhere."""
    offenders = []
    for path in Path(__file__).resolve().parents[1].joinpath("playground").rglob("*.py"):
        for n, line in enumerate(path.read_text().splitlines(), 1):
            if re.search(r"\bimport pickle\b|\btorch\.load\(|\bpickle\.loads?\(|allow_pickle=True", line):
                offenders.append(f"{path.name}:{n}: {line.strip()}")
    assert not offenders, offenders
