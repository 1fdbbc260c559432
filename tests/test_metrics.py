import random

import pytest

from playground.training.metrics import edit_distance, error_rates


@pytest.mark.parametrize("a, b, d", [("", "", 0), ("abc", "abc", 0), ("abc", "abd", 1), ("", "ab", 2),
                                     ("kitten", "sitting", 3), (("K", "AE", "T"), ("K", "AA", "T", "S"), 2)])
def test_edit_distance(a, b, d):
    assert edit_distance(a, b) == d == edit_distance(b, a)


@pytest.mark.parametrize("a, b, d", [
    (("K", "AE", "T"), ("K", "AH", "T", "S"), 2),  # AE -> AH, then S inserted
    (("ER0",), ("AH0",), 1),  # a symbol is one unit: character by character "ER0" vs "AH0" would be 2
    (("AH0", "L"), ("L", "AH0"), 2),  # a swap is two edits (no transposition move)
    (("K", "AE", "T"), (), 3),
])
def test_edit_distance_counts_whole_symbols(a, b, d):
    assert edit_distance(a, b) == d == edit_distance(b, a)


def reference_edit_distance(a, b) -> int:
    """The textbook O(len(a) * len(b)) dynamic programme, independent of rapidfuzz."""
    previous = list(range(len(b) + 1))  # distances from a[:0] to each prefix of b
    for i, x in enumerate(a, 1):
        current = [i]  # distances from a[:i] to each prefix of b
        for j, y in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (x != y)))
        previous = current
    return previous[-1]


def test_edit_distance_matches_the_textbook_dp_on_random_sequences():
    rng = random.Random(0)
    symbols = ("AA", "AE", "T", "S")  # few symbols, so matches, ties and repeats are common
    for _ in range(500):
        a = tuple(rng.choice(symbols) for _ in range(rng.randrange(8)))
        b = tuple(rng.choice(symbols) for _ in range(rng.randrange(8)))
        assert edit_distance(a, b) == reference_edit_distance(a, b), (a, b)


def test_error_rates_use_the_closest_alternate():
    refs = [{("K", "AE", "T")}, {("R", "IY", "D"), ("R", "EH", "D")}, {("AH", "B")}]
    hyps = [("K", "AE", "T"), ("R", "EH", "T"), ("AH",)]
    rates = error_rates(hyps, refs)
    assert rates["wer"] == pytest.approx(2 / 3)
    # edits: 0 + 1 (RED vs RET) + 1 (AH B vs AH); reference lengths: 3 + 3 + 2
    assert rates["per"] == pytest.approx(2 / 8)


def test_error_rates_validate():
    with pytest.raises(ValueError):
        error_rates([("A",)], [])
    with pytest.raises(ValueError):
        error_rates([], [])
