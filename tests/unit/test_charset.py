"""Charset: the label convention (blank 0, space token), coverage and normalisation."""
from __future__ import annotations

from pathlib import Path

import pytest

from model.build_charset import build_charset, gb2312_hanzi
from model.charset import BLANK_INDEX, Charset, normalize_text

CHARSET_PATH = Path(__file__).resolve().parents[2] / "model" / "charset.txt"


@pytest.fixture(scope="module")
def charset() -> Charset:
    return Charset.load(CHARSET_PATH)


def test_committed_charset_is_the_built_one(charset: Charset) -> None:
    assert list(charset.chars) == build_charset()


def test_gb2312_has_6763_hanzi() -> None:
    assert len(gb2312_hanzi()) == 6763


def test_coverage(charset: Charset) -> None:
    assert all(chr(c) in charset for c in range(0x20, 0x7F))
    assert all(ch in charset for ch in gb2312_hanzi())
    for ch in "，。《》「」【】¥€£°℃%‰×÷±№·…—":
        assert ch in charset


def test_blank_and_space(charset: Charset) -> None:
    assert charset.blank_index == BLANK_INDEX == 0
    assert charset.chars[charset.space_index - 1] == " "
    assert charset.num_classes == len(charset.chars) + 1


def test_encode_decode_roundtrip(charset: Charset) -> None:
    text = "Hello 世界 ¥12.50，OK"
    assert charset.decode(charset.encode(text)) == text
    assert charset.decode([0, *charset.encode("ab"), 0]) == "ab"


def test_encode_rejects_unknown(charset: Charset) -> None:
    with pytest.raises(KeyError, match="not in the charset"):
        charset.encode("😀")


def test_text_roundtrip_keeps_space_line(charset: Charset) -> None:
    assert Charset.from_text(charset.to_text()) == charset


def test_duplicates_rejected() -> None:
    with pytest.raises(ValueError):
        Charset(("a", "a"))


@pytest.mark.parametrize(("raw", "expected"), [
    ("ＡＢＣ１２３", "ABC123"),
    ("  a   b  ", "a b"),
    ("中文，标点。", "中文，标点。"),
    ("全角\u3000空格", "全角 空格"),
])
def test_normalize_text(raw: str, expected: str) -> None:
    assert normalize_text(raw) == expected
