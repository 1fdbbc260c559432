import pytest

from playground.training.metrics import edit_distance, error_rates


@pytest.mark.parametrize("a, b, d", [("", "", 0), ("abc", "abc", 0), ("abc", "abd", 1), ("", "ab", 2),
                                     ("kitten", "sitting", 3), (("K", "AE", "T"), ("K", "AA", "T", "S"), 2)])
def test_edit_distance(a, b, d):
    assert edit_distance(a, b) == d == edit_distance(b, a)


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
