"""Text sampler of the synthetic data engine: label rules that real text follows."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from model.charset import Charset
from model.corpus import TextSampler, is_plate

CHARSET_PATH = Path(__file__).resolve().parents[2] / "model" / "charset.txt"


@pytest.fixture(scope="module")
def sampler() -> TextSampler:
    return TextSampler(Charset.load(CHARSET_PATH), seed=7)


@pytest.mark.parametrize(("text", "expected"), [
    ("皖A3W265", True), ("京P·L3N67", True), ("粤B 12345", True), ("粤B123456", True),
    ("皖a3W265", False), ("皖A3W2", False), ("中A3W265", False), ("皖A3W2六5", False), ("AAA3W265", False),
])
def test_is_plate(text: str, expected: bool) -> None:
    assert is_plate(text) is expected


def test_plates_are_plates(sampler: TextSampler) -> None:
    assert all(is_plate(sampler.plate()) for _ in range(200))


def test_english_prose_rules(sampler: TextSampler) -> None:
    lines = [sampler.en_sentence() for _ in range(3000)]
    assert all(sampler.charset.covers(t) and t == t.strip() and "  " not in t for t in lines)
    # compounds are joined ("dual-frequency"); a hyphen followed by a space never occurs
    assert not any(re.search(r"[-—/] ", t) for t in lines)
    assert sum("-" in t[:-1] for t in lines) > 30
    # lines end in punctuation or in a word broken by a line-end hyphen, not only in letters
    ends = [t[-1] for t in lines]
    assert ends.count("-") > 60 and sum(e in ".,:;?!" for e in ends) > 900
    # after a full stop inside a line the next word starts with a capital (when it has letters)
    after_stop = [m.group(1) for t in lines for m in re.finditer(r"[.?!] ([a-z])", t)]
    assert not after_stop


def test_long_english_lines_break_at_words(sampler: TextSampler) -> None:
    for _ in range(200):
        line = sampler.sample_long_english(min_chars=50, max_chars=110)
        assert len(line) <= 110 and line == line.strip()


def test_capital_lines_and_receipt_amounts(sampler: TextSampler) -> None:
    lines = [sampler.en_sentence() for _ in range(3000)]
    caps = [t for t in lines if sum(c.isalpha() for c in t) > 3 and t == t.upper()]
    assert 200 < len(caps) < 600  # about 12 % set in capitals
    amounts = [sampler.numeric() for _ in range(3000)]
    assert any(re.fullmatch(r"\.\d\d-", t) for t in amounts)  # a discount printed as ".75-"


def test_plate_numbers_are_mostly_digits(sampler: TextSampler) -> None:
    bodies = "".join(sampler.plate()[-5:] for _ in range(500))
    assert 0.5 < sum(c.isdigit() for c in bodies) / len(bodies) < 0.7
    assert "I" not in bodies and "O" not in bodies
