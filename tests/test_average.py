"""Checkpoint averaging: the exact mean, strict matching, a self-describing result."""

from __future__ import annotations

import json

import pytest
import torch
from helpers import tiny_model

from playground.models.checkpoint import CheckpointError, save_checkpoint
from playground.models.loading import load_model
from playground.training.average import average_checkpoints, average_weights, main


@pytest.fixture
def two(tmp_path):
    meta = {"task": "g2p", "name": "tiny", "description": "tiny", "metrics": {"dev": {"greedy_wer": 0.5}},
            "training": {"command": "x"}}
    a = save_checkpoint(tiny_model(seed=0), tmp_path / "a", meta=meta)
    b = save_checkpoint(tiny_model(seed=1), tmp_path / "b", meta=meta)
    return a, b


def test_the_average_is_the_element_wise_mean(two):
    a, b = two
    avg = average_weights([a, b / "model.safetensors"])  # a directory or the weights file itself
    ma, mb = tiny_model(seed=0).state_dict(), tiny_model(seed=1).state_dict()
    for name, value in avg.items():
        torch.testing.assert_close(value, (ma[name] + mb[name]) / 2, rtol=0, atol=1e-7)
    assert avg["out.weight"].dtype == torch.float32


def test_averaging_a_checkpoint_with_itself_changes_nothing(two):
    a, _ = two
    avg = average_weights([a, a])
    for name, value in tiny_model(seed=0).state_dict().items():
        assert torch.equal(avg[name], value)


def test_the_result_loads_and_names_its_sources(two, tmp_path):
    a, b = two
    out = main([str(a), str(b), "--out", str(tmp_path / "avg")])
    config = json.loads((out / "config.json").read_text())
    assert config["training"]["averaged"]["sources"] == [str(a), str(b)]
    assert config["training"]["averaged"]["command"].startswith("python -m playground.training.average ")
    assert "dev" not in config["metrics"]  # the sources' numbers do not describe the average
    assert "element-wise average of 2 checkpoints" in (out / "README.md").read_text()
    model = load_model(out)
    torch.testing.assert_close(model.out.bias, (tiny_model(seed=0).out.bias + tiny_model(seed=1).out.bias) / 2)


def test_float16_storage_halves_the_file_and_loads_as_the_rounded_float32_model(two, tmp_path):
    from safetensors.torch import load_file

    a, b = two
    full = main([str(a), str(b), "--out", str(tmp_path / "f32")])
    half = main([str(a), str(b), "--out", str(tmp_path / "f16"), "--weights-dtype", "float16"])
    stored = load_file(str(half / "model.safetensors"))
    assert {v.dtype for v in stored.values()} == {torch.float16}
    assert json.loads((half / "config.json").read_text())["weights_dtype"] == "float16"
    assert "float16 (the model runs in float32)" in (half / "README.md").read_text()  # the card says so too
    size = lambda d: (d / "model.safetensors").stat().st_size  # noqa: E731
    assert size(half) < 0.55 * size(full)
    model, mean = load_model(half), load_model(full).state_dict()
    for name, value in model.state_dict().items():  # runs in float32, on exactly the float16-rounded mean
        assert value.dtype == torch.float32
        assert torch.equal(value, mean[name].half().float()), name
    with pytest.raises(ValueError, match="weights_dtype must be one of"):
        average_checkpoints([a, b], tmp_path / "int8", weights_dtype="int8")


def test_different_models_are_refused(two, tmp_path):
    a, _ = two
    other = save_checkpoint(tiny_model(layers=2), tmp_path / "c", meta={"task": "g2p", "name": "c"})
    with pytest.raises(CheckpointError, match="not the same model"):
        average_weights([a, other])


@pytest.mark.parametrize("sources, error, message", [
    (["a"], ValueError, "at least 2"),
    (["a", "missing"], CheckpointError, "missing"),
])
def test_bad_sources_get_clear_errors(two, tmp_path, sources, error, message):
    paths = [two[0] if s == "a" else tmp_path / s for s in sources]
    with pytest.raises(error, match=message):
        average_weights(paths)


def test_a_corrupt_file_is_named(two, tmp_path):
    bad = tmp_path / "bad.safetensors"
    bad.write_bytes(b"not safetensors")
    with pytest.raises(CheckpointError, match="bad.safetensors"):
        average_weights([two[0], bad])


def test_weights_alone_cannot_describe_the_average(two, tmp_path):
    with pytest.raises(CheckpointError, match="config.json"):
        average_checkpoints([two[0] / "model.safetensors", two[1] / "model.safetensors"], tmp_path / "o")


def test_the_config_can_come_from_a_directory_that_is_not_averaged(two, tmp_path):
    a, b = two
    out = main([str(a / "model.safetensors"), str(b / "model.safetensors"), "--config-from", str(a),
                "--out", str(tmp_path / "avg")])
    assert json.loads((out / "config.json").read_text())["name"] == "tiny"
