import pytest
import torch

from playground.training import data


@pytest.fixture(scope="module")
def lexicon():
    return data.load_lexicon()


@pytest.fixture(scope="module")
def splits(lexicon):
    return data.make_splits(lexicon, data.load_test_words())


def test_lexicon_normalisation(lexicon):
    assert lexicon["cat"] == [("K", "AE", "T")]
    assert ("R", "EH", "D") in lexicon["read"] and ("R", "IY", "D") in lexicon["read"]
    phonemes = {p for prons in lexicon.values() for pron in prons for p in pron}
    assert len(phonemes) == 39 and not any(ch.isdigit() for p in phonemes for ch in p)
    assert all(data.WORD_RE.match(w) for w in lexicon)


def test_no_test_or_dev_word_reaches_training(splits, lexicon):
    test_words = set(data.load_test_words())
    assert len(test_words) > 11_000 and len(splits.test) == len(test_words) - splits.skipped_test_words
    assert not test_words & splits.train.keys()
    assert not splits.dev.keys() & splits.train.keys() and not splits.dev.keys() & test_words
    for task in data.TASKS:
        words = {"".join(src if task == "g2p" else tgt) for src, tgt in data.pairs(splits.train, task)}
        assert not words & test_words and not words & splits.dev.keys()
    assert len(splits.train) + len(splits.dev) + len(splits.test) == len(lexicon)


def test_dev_split_is_deterministic_and_about_three_percent(splits, lexicon):
    again = data.make_splits(lexicon, data.load_test_words())
    assert again.dev == splits.dev
    assert 0.025 < len(splits.dev) / (len(splits.dev) + len(splits.train)) < 0.035


def test_pairs_keep_every_alternate():
    split = {"read": [("R", "IY", "D"), ("R", "EH", "D")]}
    assert data.pairs(split, "g2p") == [(tuple("read"), ("R", "IY", "D")), (tuple("read"), ("R", "EH", "D"))]
    assert data.pairs(split, "p2g")[1] == (("R", "EH", "D"), tuple("read"))
    with pytest.raises(ValueError, match="task"):
        data.pairs(split, "x2y")


def test_p2g_items_accept_homophones():
    lexicon = {"there": [("DH", "EH", "R")], "their": [("DH", "EH", "R")], "cat": [("K", "AE", "T")]}
    items = data.eval_items({"there": lexicon["there"]}, "p2g", lexicon)
    assert items == [(("DH", "EH", "R"), {tuple("there"), tuple("their")})]
    assert data.eval_items({"cat": lexicon["cat"]}, "g2p") == [(tuple("cat"), {("K", "AE", "T")})]


def test_batches_are_length_bucketed_and_cover_everything():
    examples = [([3] * n, [4] * (n % 5 + 1)) for n in range(1, 201)]
    batches = data.make_batches(examples, 20, seed=0, noise=0.0)
    assert sorted(len(s) for b in batches for s, _ in b) == list(range(1, 201))
    assert all(max(len(s) for s, _ in b) - min(len(s) for s, _ in b) == 19 for b in batches)


def test_collate_pads_and_shifts():
    src, tgt_in, tgt_out = data.collate([([5, 6, 7], [8]), ([9], [10, 11])], bos=1, eos=2)
    assert src.tolist() == [[5, 6, 7], [9, 0, 0]]
    assert tgt_in.tolist() == [[1, 8, 0], [1, 10, 11]]
    assert tgt_out.tolist() == [[8, 2, 0], [10, 11, 2]]
    assert src.dtype == torch.long
