"""Loading Hugging Face models safely (playground/models/hf.py, hub.py) and their tokenizer as a vocabulary
(hf_vocab.py), all offline: local directories, a local Hub cache, and a monkeypatched Hub file list."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
import torch
from helpers import HUB_COMMIT, hf_checkpoint, hf_tokenizer

from playground import DecodeConfig, decode, load_model
from playground.models import hub
from playground.models.checkpoint import CheckpointError
from playground.models.hf import SUPPORTED, HFSeq2Seq
from playground.models.hf_vocab import MAX_TOKENS, piece_symbols
from playground.models.vocab import InputError

transformers = pytest.importorskip("transformers")


@pytest.fixture(scope="module")
def bart(tmp_path_factory):
    return load_model(hf_checkpoint(tmp_path_factory.mktemp("bart"), "bart"))


def write_config(directory, **config):
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "config.json").write_text(json.dumps(config))
    return directory


# --- what is refused, and why -------------------------------------------------------------------------------
def test_an_unsupported_model_type_is_refused_naming_the_supported_ones(tmp_path):
    directory = write_config(tmp_path / "led", model_type="led", is_encoder_decoder=True)
    with pytest.raises(CheckpointError, match="'led' is not a supported family; supported: bart") as e:
        load_model(directory)
    assert all(name in str(e.value) for name in SUPPORTED)


def test_pickled_weights_are_never_loaded(tmp_path):
    directory = hf_checkpoint(tmp_path / "bin", "bart")
    (directory / "model.safetensors").rename(directory / "pytorch_model.bin")
    with pytest.raises(CheckpointError, match="only pytorch_model.bin .*never loaded.*safetensors weights only"):
        load_model(directory)


def test_a_missing_tokenizer_is_named(tmp_path):
    directory = hf_checkpoint(tmp_path / "no-tokenizer", "bart")
    for path in directory.glob("tokenizer*"):
        path.unlink()
    with pytest.raises(CheckpointError, match="no tokenizer"):
        load_model(directory)


def test_without_transformers_the_playground_imports_and_loading_says_what_to_install(tmp_path):
    directory = str(hf_checkpoint(tmp_path / "bart", "bart"))
    script = ("import sys; sys.modules['transformers'] = None\n"  # as if it were not installed
              "import playground, playground.ui.store\n"
              "from playground import load_model\n"
              "from playground.models.checkpoint import CheckpointError\n"
              f"try:\n    load_model({directory!r})\nexcept CheckpointError as e:\n    print(e)\n")
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=True)
    assert "pip install -r requirements-hub.txt" in out.stdout


# --- the Hub: checked before anything is downloaded ---------------------------------------------------------
@pytest.fixture
def online(monkeypatch):
    """The Hub 'online', with a file list the test sets, and a download that must never happen."""
    import huggingface_hub
    import huggingface_hub.constants as constants

    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
    for name in ("snapshot_download", "hf_hub_download"):
        monkeypatch.setattr(huggingface_hub, name, lambda *a, **k: pytest.fail("downloaded before the checks refused"))

    def serve(sizes: dict, gated: bool = False):
        monkeypatch.setattr(hub, "listing", lambda repo_id, revision: hub.Listing(sha=HUB_COMMIT, gated=gated,
                                                                                  sizes=sizes))
    return serve


def test_weights_over_the_size_cap_are_refused_before_download(online, monkeypatch):
    online({"config.json": 900, "model.safetensors": 2_400_000_000})
    with pytest.raises(CheckpointError, match="2.40 GB, over the 1.50 GB limit .PLAYGROUND_HUB_MAX_BYTES"):
        load_model("someone/big-model")
    monkeypatch.setenv(hub.MAX_BYTES_ENV, "1000")
    online({"config.json": 900, "model.safetensors": 1001})
    with pytest.raises(CheckpointError, match="over the 0.00 GB limit"):
        load_model("someone/small-model")
    monkeypatch.setenv(hub.MAX_BYTES_ENV, "lots")
    with pytest.raises(CheckpointError, match="must be a whole number of bytes"):
        load_model("someone/small-model")


@pytest.mark.parametrize("sizes, gated, message", [
    ({"config.json": 1, "pytorch_model.bin": 10}, False, "only pytorch_model.bin .pickles"),
    ({"config.json": 1, "model-00001-of-00002.safetensors": 800_000_000, "model.safetensors.index.json": 1,
      "model-00002-of-00002.safetensors": 800_000_000}, False, "the 2 safetensors shards are 1.60 GB, over the 1.50"),
    ({"config.json": 1, "weights.safetensors": 10}, False, "not named as save_pretrained names them"),
    ({"config.json": 1, "model.safetensors": 10, "tokenizer.json": 2_000_000_000}, False, "tokenizer.json is 2000 MB"),
    ({"README.md": 1}, False, "no config.json"),
    ({"config.json": 1, "model.safetensors": 10}, True, "gated"),
])
def test_repositories_the_playground_cannot_load_are_refused_before_download(online, sizes, gated, message):
    online(sizes, gated)
    with pytest.raises(CheckpointError, match=message):
        load_model("someone/repo")


def test_hub_failures_are_clear_messages(monkeypatch):
    """No network, an unknown repository and an unknown revision, as huggingface_hub reports them."""
    import httpx2
    from huggingface_hub import HfApi
    from huggingface_hub.errors import RepositoryNotFoundError, RevisionNotFoundError

    response = httpx2.Response(404, request=httpx2.Request("GET", "https://hub.invalid/api/models/x"))
    for error, message in [(httpx2.ConnectError("no route to host"), "could not reach the Hugging Face Hub"),
                           (RepositoryNotFoundError("404", response=response), "no such model repository"),
                           (RevisionNotFoundError("404", response=response), "no revision 'abc'")]:
        def fail(*args, error=error, **kwargs):
            raise error
        monkeypatch.setattr(HfApi, "model_info", fail)
        with pytest.raises(CheckpointError, match=message):
            hub.listing("someone/repo", "abc")


def test_an_hf_repository_loads_offline_from_the_hub_cache_within_the_size_cap(tmp_path, monkeypatch):
    """The real snapshot_download path, from a local Hub cache (no network); offline, the cached weights are
    measured against the cap instead of the file list."""
    import shutil

    import huggingface_hub.constants as constants

    repo = tmp_path / "hub" / "models--someone--tiny-bart"
    shutil.copytree(hf_checkpoint(tmp_path / "bart", "bart"), repo / "snapshots" / HUB_COMMIT)
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text(HUB_COMMIT)
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path / "hub"))
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)
    model = load_model("someone/tiny-bart", revision=HUB_COMMIT)
    assert isinstance(model, HFSeq2Seq) and model.config["name"] == "someone/tiny-bart · BART"
    assert decode(model, "the cat", DecodeConfig(max_length=4)).hypotheses
    monkeypatch.setenv(hub.MAX_BYTES_ENV, "100")
    with pytest.raises(CheckpointError, match="over the"):
        load_model("someone/tiny-bart")


# --- the tokenizer as a vocabulary ----------------------------------------------------------------------------
def test_the_vocabularies_speak_the_engines_interface(bart):
    source, target = bart.source_vocab, bart.target_vocab
    assert source.tokenize("  the   cat\nsat ") == ["<s>", "the", "cat", "sat", "</s>"]  # the model's own specials
    assert target.tokenize("the cat") == ["the", "cat"]  # a target has none: the engine adds </s>
    assert len(target) == bart.model.get_output_embeddings().out_features == len(target.symbols)
    assert (target.pad_id, target.eos_id, target.bos_id, bart.start_id) == (1, 2, 1, 2)  # BART starts from </s>
    assert target.decode(target.encode(["the", "cat"])) == ["the", "cat"]
    assert target.detokenize(["the", "cat", "</s>"]) == "the cat"
    assert "<pad>" not in target.content_symbols and "cat" in target.content_symbols


@pytest.mark.parametrize("text, message", [
    ("", "input is empty"),
    ("the \x07 cat", "control or unassigned character"),
    ("the zebra sat", "cannot write 'zebra'"),
    (" ".join(["cat"] * (MAX_TOKENS + 1)), f"tokens; the maximum is {MAX_TOKENS}"),
    ("x" * 5000, "characters; the maximum is"),
])
def test_text_the_model_cannot_read_is_refused_with_a_reason(bart, text, message):
    with pytest.raises(InputError, match=message):
        bart.source_vocab.tokenize(text)


def test_a_target_never_holds_pad_start_or_end_tokens(bart):
    for reserved in ("<pad>", "</s>", "nonsense"):
        with pytest.raises(InputError, match="unknown or reserved token"):
            bart.target_vocab.encode(["cat", reserved])
    with pytest.raises(InputError, match="unknown or reserved token"):
        decode(bart, "the cat", DecodeConfig(prefix=("</s>",)))


def test_pieces_keep_sentencepieces_word_start_and_show_byte_level_spaces_alike():
    class Pieces:  # the two calls piece_symbols makes of a tokenizer
        def __init__(self, pieces):
            self.pieces = pieces

        def __len__(self):
            return len(self.pieces)

        def convert_ids_to_tokens(self, ids):
            return [self.pieces[i] for i in ids]

    assert piece_symbols(Pieces(["<s>", "▁the", "cat", "▁cat"]), 5) == ["<s>", "▁the", "cat", "▁cat", "<unused 4>"]
    assert piece_symbols(Pieces(["<s>", "Ġthe", "cat", "Ġcat"]), 4) == ["<s>", "▁the", "cat", "▁cat"]
    assert piece_symbols(Pieces(["a", "a", None]), 3) == ["a", "a (1)", "<unused 2>"]  # one symbol per id


# --- multilingual models: the target language as a forced first token ------------------------------------------
def test_a_target_language_is_forced_as_generates_forced_bos_token(tmp_path):
    from helpers import M2M_WORDS, m2m_checkpoint

    words = list(M2M_WORDS)
    m2m_checkpoint(tmp_path)
    model = load_model(tmp_path)
    assert model.target_languages == (("__de__", "__de__"), ("__fr__", "__fr__"))
    for language in ("__de__", "__fr__"):
        ours = decode(model, "the cat sat", DecodeConfig(prefix=(language,), max_length=8)).hypotheses[0]
        src = torch.tensor([model.source_vocab.encode(model.source_vocab.tokenize("the cat sat"))])
        theirs = model.model.generate(input_ids=src, attention_mask=torch.ones_like(src), max_new_tokens=8,
                                      do_sample=False, num_beams=1, suppress_tokens=[1],
                                      forced_bos_token_id=words.index(language))
        ids = theirs[0, 1:].tolist()
        assert ours.tokens[0] == language and ours.token_ids == ids[: ids.index(2) if 2 in ids else len(ids)]


# --- every supported family speaks the protocol ------------------------------------------------------------------
def tiny(model_type: str):
    """A tiny random model of ``model_type`` over a word-level tokenizer with the family's special ids."""
    c = transformers.AutoConfig.for_model
    bart_ids = dict(bos_token_id=0, pad_token_id=1, eos_token_id=2, decoder_start_token_id=2)
    t5_ids = dict(pad_token_id=0, eos_token_id=1, decoder_start_token_id=0)
    sizes = dict(d_model=16, encoder_layers=2, decoder_layers=2, encoder_attention_heads=2, decoder_attention_heads=2,
                 encoder_ffn_dim=32, decoder_ffn_dim=32, max_position_embeddings=80, dropout=0.0, init_std=0.3)
    tokenizer = hf_tokenizer("t5" if model_type in ("pegasus", "mt5") else "bart")
    config = {"mbart": lambda: c("mbart", vocab_size=len(tokenizer), **sizes, **bart_ids),
              "m2m_100": lambda: c("m2m_100", vocab_size=len(tokenizer), **sizes, **bart_ids),
              "pegasus": lambda: c("pegasus", vocab_size=len(tokenizer), **sizes, **t5_ids),
              "mt5": lambda: c("mt5", vocab_size=len(tokenizer), d_model=16, d_kv=8, d_ff=32, num_layers=2,
                               num_heads=2, dropout_rate=0.0, **t5_ids)}[model_type]()
    torch.manual_seed(0)
    return HFSeq2Seq(transformers.AutoModelForSeq2SeqLM.from_config(config).eval(), tokenizer, name=model_type)


@pytest.mark.parametrize("model_type", ["mbart", "m2m_100", "pegasus", "mt5"])
def test_the_other_supported_families_step_as_their_forward_pass(model_type):
    model = tiny(model_type)
    text = "the cat sat on the mat"
    tokens = decode(model, text, DecodeConfig(strategy="beam", beam_width=3, max_length=6)).hypotheses[0].token_ids
    ids = [model.start_id] + tokens
    src = torch.tensor([model.source_vocab.encode(model.source_vocab.tokenize(text))])
    with torch.no_grad():
        full = model.model(input_ids=src, attention_mask=torch.ones_like(src), decoder_input_ids=torch.tensor([ids]),
                           output_attentions=True)
        state = model.encode(src)
        prev = torch.tensor([model.target_vocab.bos_id])
        for t in range(len(ids)):
            out = model.step(prev, state)
            state = out.state
            assert torch.allclose(out.logits[0], full.logits[0, t], rtol=1e-5, atol=1e-5)
            assert torch.allclose(out.attention[0], torch.stack([a[0, :, t] for a in full.cross_attentions]),
                                  rtol=1e-4, atol=1e-5)  # (weights in [0, 1]: a step vs the whole pass's kernels)
            prev = torch.tensor(ids[t + 1: t + 2] or [0])


def test_a_marian_sentencepiece_tokenizer_keeps_its_word_start_marks(tmp_path):
    """Marian's own tokenizer (source.spm / target.spm / vocab.json, SentencePiece: requirements-hub.txt), with a
    SentencePiece model trained here on a few lines: pieces keep "▁", a source ends with </s>, a target has no
    special token, and detokenize gives the text back."""
    spm = pytest.importorskip("sentencepiece")
    corpus = tmp_path / "corpus.txt"
    corpus.write_text("\n".join(["the cat sat on the mat", "a big red dog ran to the house",
                                 "der hund lief zum haus", "die katze sass auf der matte"] * 20))
    spm.SentencePieceTrainer.train(input=str(corpus), model_prefix=str(tmp_path / "m"), vocab_size=30,
                                   model_type="unigram", bos_id=-1, eos_id=0, unk_id=1, pad_id=-1, minloglevel=2)
    processor = spm.SentencePieceProcessor(model_file=str(tmp_path / "m.model"))
    vocab = {processor.id_to_piece(i): i for i in range(processor.get_piece_size())}
    vocab["<pad>"] = len(vocab)
    directory = tmp_path / "opus-mt-tiny"
    directory.mkdir()
    for name in ("source.spm", "target.spm"):
        (directory / name).write_bytes((tmp_path / "m.model").read_bytes())
    (directory / "vocab.json").write_text(json.dumps(vocab))
    transformers.MarianTokenizer(str(directory / "source.spm"), str(directory / "target.spm"),
                                 str(directory / "vocab.json")).save_pretrained(directory)
    config = transformers.MarianConfig(vocab_size=len(vocab), d_model=16, encoder_layers=1, decoder_layers=1,
                                       encoder_attention_heads=2, decoder_attention_heads=2, encoder_ffn_dim=32,
                                       decoder_ffn_dim=32, max_position_embeddings=64, pad_token_id=vocab["<pad>"],
                                       eos_token_id=0, decoder_start_token_id=vocab["<pad>"])
    transformers.MarianMTModel(config).save_pretrained(directory)
    model = load_model(directory)
    source = model.source_vocab.tokenize("the cat sat")
    assert type(model.tokenizer).__name__ == "MarianTokenizer" and source[-1] == "</s>"
    assert source[0].startswith("▁") and "".join(source[:-1]).replace("▁", " ").strip() == "the cat sat"
    target = model.target_vocab.tokenize("der hund")
    assert "</s>" not in target and model.target_vocab.detokenize(target) == "der hund"
    assert model.start_id == model.target_vocab.pad_id == model.target_vocab.bos_id == vocab["<pad>"]
    assert decode(model, "the cat sat", DecodeConfig(max_length=4)).trace.source == source
