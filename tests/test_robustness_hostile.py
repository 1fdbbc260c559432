"""Issue 21, hostile model folders: a model repository cannot make the server allocate what its weights do not hold,
load a pickle or a path outside its folder, or fail with an unclear message. Every model is built offline here
(tiny configs from the transformers config classes, tokenizers made in the test); nothing is downloaded.
(The Hub, stalled or not, and the server's bounds: tests/test_robustness_hostile_server.py.)"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
import torch
from helpers import hf_checkpoint, hf_tokenizer, tiny_transformer

from playground import DecodeConfig, decode, load_model
from playground.models.checkpoint import CheckpointError, save_checkpoint
from playground.models.vocab import InputError

transformers = pytest.importorskip("transformers")
safetensors_torch = pytest.importorskip("safetensors.torch")
BART_LARGE = dict(model_type="bart", d_model=1024, encoder_layers=12, decoder_layers=12, encoder_attention_heads=16,
                  decoder_attention_heads=16, encoder_ffn_dim=4096, decoder_ffn_dim=4096, vocab_size=50265,
                  max_position_embeddings=1024, pad_token_id=1, bos_token_id=0, eos_token_id=2,
                  decoder_start_token_id=2, is_encoder_decoder=True)


def hf_folder(directory, config: dict, tensors: dict | None = None, family: str = "bart"):
    """A transformers-style folder: config.json as given, a safetensors file of ``tensors`` (one dummy tensor:
    76 bytes), and a real tokenizer."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "config.json").write_text(json.dumps(config))
    safetensors_torch.save_file(tensors or {"dummy": torch.zeros(1)}, str(directory / "model.safetensors"))
    hf_tokenizer(family).save_pretrained(directory)
    return directory


# --- defect 1: a config that claims more than its weights hold ----------------------------------------------------
def test_a_bart_large_config_over_a_76_byte_file_is_refused_naming_both_sizes(tmp_path, monkeypatch):
    monkeypatch.setenv("PLAYGROUND_HUB_MAX_BYTES", str(10**9))  # bart-large is 1.63 GB in float32: over 1 GB
    directory = hf_folder(tmp_path / "bomb", BART_LARGE)
    held = (directory / "model.safetensors").stat().st_size
    with pytest.raises(CheckpointError, match=r"406\.\d M numbers, 1\.63 GB in float32, over the 1\.00 GB limit "
                                              rf"\(PLAYGROUND_HUB_MAX_BYTES sets it\); its weights hold {held} bytes"):
        load_model(directory)


def test_under_the_cap_a_model_its_weights_do_not_hold_is_refused_not_filled_at_random(tmp_path):
    """A bart-base-sized config (560 MB in float32, under the 1.5 GB cap) over the dummy file: the second check
    refuses it, since every tensor the model has must be in the weights."""
    config = dict(BART_LARGE, d_model=768, encoder_layers=6, decoder_layers=6, encoder_attention_heads=12,
                  decoder_attention_heads=12, encoder_ffn_dim=3072, decoder_ffn_dim=3072)
    with pytest.raises(CheckpointError, match=r"model\.safetensors: \d+ of the model's \d+ tensors are not in the "
                                              r"weights .*nothing is filled in at random"):
        load_model(hf_folder(tmp_path / "base-claim", config))


def test_the_refusal_costs_no_more_than_a_few_hundred_megabytes(tmp_path):
    """The whole refusal (config read, the model built on the meta device, the check) in a fresh process: its peak
    resident memory grows by far less than the 1.6 GB the config claims (it used to load and take 1.5-2 GB)."""
    directory = hf_folder(tmp_path / "bomb", BART_LARGE)
    script = f"""
import resource, torch, transformers, transformers.models.bart.modeling_bart
from playground import load_model
from playground.models.checkpoint import CheckpointError
start = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
try:
    load_model({str(directory)!r})
except CheckpointError as e:
    print("refused:", e)
print("growth_kb", resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - start)
"""
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300,
                         env={"PLAYGROUND_HUB_MAX_BYTES": str(10**9), "PATH": "", "PYTHONPATH": str(
                             __import__("pathlib").Path(__file__).resolve().parents[1])})
    assert "refused:" in out.stdout, out.stderr[-2000:]
    growth_mb = int(out.stdout.split("growth_kb")[1]) / 1024
    assert growth_mb < 300, f"the refusal grew the process by {growth_mb:.0f} MB"


def test_marian_positions_of_a_billion_are_refused_before_anything_is_allocated(tmp_path):
    config = dict(model_type="marian", d_model=16, encoder_layers=1, decoder_layers=1, encoder_attention_heads=2,
                  decoder_attention_heads=2, encoder_ffn_dim=32, decoder_ffn_dim=32, vocab_size=40,
                  max_position_embeddings=10**9, pad_token_id=2, eos_token_id=0, decoder_start_token_id=2)
    with pytest.raises(CheckpointError, match=r"32,\d+\.\d M numbers, 128\.\d+ GB in float32, over the 1\.50 GB"):
        load_model(hf_folder(tmp_path / "marian", config, family="marian"))


def test_sizes_are_bounded_by_what_the_weights_hold(tmp_path):
    """A real tiny checkpoint whose config then claims a larger vocabulary or more learned positions: the shapes
    disagree with the file and it is refused (BART's positions are learned, so max_position_embeddings is held)."""
    directory = hf_checkpoint(tmp_path / "bart", "bart")
    config = json.loads((directory / "config.json").read_text())
    for field, value in (("vocab_size", 5000), ("max_position_embeddings", 4096), ("d_model", 32)):
        (directory / "config.json").write_text(json.dumps(dict(config, **{field: value})))
        with pytest.raises(CheckpointError, match="tensor shapes do not match config.json"):
            load_model(directory)


def test_a_missing_tensor_is_named_and_tied_copies_are_not_missing(tmp_path):
    directory = hf_checkpoint(tmp_path / "bart", "bart")
    tensors = safetensors_torch.load_file(str(directory / "model.safetensors"))
    assert "lm_head.weight" not in tensors and "model.shared.weight" in tensors  # tied: stored once, loads fine
    assert decode(load_model(directory), "the cat", DecodeConfig(max_length=3)).hypotheses
    del tensors["model.decoder.layers.1.fc1.weight"]
    safetensors_torch.save_file(tensors, str(directory / "model.safetensors"))
    with pytest.raises(CheckpointError, match=r"1 of the model's \d+ tensors are not in the weights "
                                              r"\(\['model\.decoder\.layers\.1\.fc1\.weight'\]\)"):
        load_model(directory)


def test_a_playground_checkpoint_claiming_a_huge_model_is_refused_before_it_is_built(tmp_path, monkeypatch):
    """The same rule for the playground's own format: the config's model is built on the meta device and compared
    with the file's header first (it used to be built, then found not to match)."""
    directory = save_checkpoint(tiny_transformer(), tmp_path / "tf", meta={"task": "g2p"})
    config = json.loads((directory / "config.json").read_text())
    config["model"] = dict(config["model"], d_model=65536, ffn_dim=262144)
    (directory / "config.json").write_text(json.dumps(config))
    built = []
    monkeypatch.setattr(torch.nn.Linear, "reset_parameters", lambda self: built.append(self.weight.device.type))
    with pytest.raises(CheckpointError, match="tensor shapes do not match config.json"):
        load_model(directory)
    assert set(built) <= {"meta"}  # nothing was built for real


# --- sharded weights ----------------------------------------------------------------------------------------------
def test_sharded_safetensors_load_as_the_single_file_does(tmp_path):
    single = load_model(hf_checkpoint(tmp_path / "one", "bart"))
    sharded = tmp_path / "sharded"
    single.model.save_pretrained(sharded, max_shard_size="20KB")
    single.tokenizer.save_pretrained(sharded)
    shards = sorted(p.name for p in sharded.glob("model-*.safetensors"))
    assert len(shards) > 1 and (sharded / "model.safetensors.index.json").is_file()
    config = DecodeConfig(strategy="beam", beam_width=3, max_length=5)
    assert [h.token_ids for h in decode(load_model(sharded), "the cat sat", config).hypotheses] == \
        [h.token_ids for h in decode(single, "the cat sat", config).hypotheses]


@pytest.mark.parametrize("shard, message", [
    ("../outside.safetensors", "shards must be files beside it"),
    ("/etc/passwd", "shards must be files beside it"),
    ("model-00009-of-00009.safetensors", "which is not in the folder"),
    (["a"], "shards must be files beside it"),
])
def test_an_index_cannot_point_outside_its_folder_or_at_nothing(tmp_path, shard, message):
    directory = hf_checkpoint(tmp_path / "bart", "bart")
    (directory / "model.safetensors").unlink()
    (directory / "model.safetensors.index.json").write_text(json.dumps({"weight_map": {"x": shard}}))
    with pytest.raises(CheckpointError, match=message):
        load_model(directory)


# --- defect 7: clear errors ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("model_type", [["bart"], {"bart": 1}, 7, None])
def test_a_model_type_that_is_not_a_string_is_named(tmp_path, model_type):
    directory = hf_checkpoint(tmp_path / "bart", "bart")
    config = json.loads((directory / "config.json").read_text())
    (directory / "config.json").write_text(json.dumps(dict(config, model_type=model_type)))
    with pytest.raises(CheckpointError, match="model_type must be a string naming the model's family"):
        load_model(directory)


def test_a_corrupt_safetensors_file_in_an_hf_folder_names_its_path(tmp_path):
    directory = hf_checkpoint(tmp_path / "bart", "bart")
    (directory / "model.safetensors").write_bytes(b"\x10\x00\x00\x00\x00\x00\x00\x00{not json at all")
    with pytest.raises(CheckpointError, match=f"{directory / 'model.safetensors'}: unreadable or corrupt"):
        load_model(directory)


@pytest.mark.parametrize("field, value", [("d_model", "large"), ("vocab_size", [1, 2]), ("encoder_layers", 2.5)])
def test_a_config_field_of_the_wrong_type_is_named(tmp_path, field, value):
    directory = hf_checkpoint(tmp_path / "bart", "bart")
    config = json.loads((directory / "config.json").read_text())
    (directory / "config.json").write_text(json.dumps(dict(config, **{field: value})))
    with pytest.raises(CheckpointError, match=f"config.json: field '{field}' has the wrong type or value"):
        load_model(directory)


@pytest.mark.parametrize("hf", [True, False])
def test_a_deeply_nested_config_is_a_clear_error(tmp_path, hf):
    directory = hf_checkpoint(tmp_path / "bart", "bart") if hf else save_checkpoint(
        tiny_transformer(), tmp_path / "tf", meta={"task": "g2p"})
    (directory / "config.json").write_text('{"model_type": "bart", "x": ' + "[" * 5000 + "]" * 5000 + "}")
    with pytest.raises(CheckpointError, match="config.json: not a valid checkpoint config .nested too deeply"):
        load_model(directory)


def test_messages_echo_names_cut_to_a_readable_length(tmp_path):
    directory = hf_checkpoint(tmp_path / "bart", "bart")
    config = json.loads((directory / "config.json").read_text())
    (directory / "config.json").write_text(json.dumps(dict(config, model_type="x" * 100_000)))
    with pytest.raises(CheckpointError) as e:
        load_model(directory)
    message = str(e.value)
    assert len(message) < 800 and ("…" in message or "..." in message)


# --- defect 8: a tokenizer that panics -------------------------------------------------------------------------
@pytest.fixture(scope="module")
def panicking(tmp_path_factory):
    """A BART folder whose tokenizer splits words with a regex that backtracks catastrophically on 'aaaa...':
    the tokenizers library's Oniguruma hits its retry limit and the Rust code panics (pyo3's PanicException, a
    BaseException)."""
    from tokenizers import Regex, pre_tokenizers

    directory = hf_checkpoint(tmp_path_factory.mktemp("panic") / "bart", "bart")
    tokenizer = hf_tokenizer("bart")
    tokenizer.backend_tokenizer.pre_tokenizer = pre_tokenizers.Sequence(
        [pre_tokenizers.Whitespace(), pre_tokenizers.Split(Regex("(a|aa)+b"), behavior="isolated")])
    tokenizer.save_pretrained(directory)
    return load_model(directory)


def test_a_tokenizer_panic_is_an_input_error_not_a_base_exception(panicking):
    with pytest.raises(BaseException) as raw:
        panicking.tokenizer("a" * 40)
    assert not isinstance(raw.value, Exception)  # what the library raises is a BaseException (the defect's cause)
    assert decode(panicking, "the cat", DecodeConfig(max_length=3)).hypotheses  # ordinary text still decodes
    with pytest.raises(InputError, match="the model's tokenizer failed on this input .PanicException"):
        decode(panicking, "a" * 40, DecodeConfig(max_length=3))
