"""Greedy CTC decoding: repeats, blanks, padding steps, empty input."""
from __future__ import annotations

import numpy as np
import pytest

from model.charset import Charset
from model.ctc import ctc_greedy_decode

CS = Charset(tuple(" abc"))  # indices: blank 0, ' ' 1, a 2, b 3, c 4


def decode(indices: list[int], valid: int | None = None, probs: list[float] | None = None) -> tuple[str, float]:
    idx = np.array([indices], dtype=np.int64)
    prob = np.array([probs if probs is not None else [0.9] * len(indices)], dtype=np.float32)
    steps = np.array([len(indices) if valid is None else valid])
    return ctc_greedy_decode(idx, prob, steps, CS)[0]


@pytest.mark.parametrize(("indices", "valid", "text"), [
    ([2, 2, 2], None, "a"),                 # repeats collapse
    ([2, 0, 2], None, "aa"),                # a blank between repeats keeps both
    ([0, 2, 3, 0, 3, 4], None, "abbc"),
    ([2, 1, 3], None, "a b"),               # space is a real character
    ([2, 3, 4, 4], 2, "ab"),                # steps past valid_steps (padding) ignored
    ([0, 0, 0], None, ""),
    ([2, 3], 0, ""),
])
def test_decode_table(indices: list[int], valid: int | None, text: str) -> None:
    assert decode(indices, valid)[0] == text


def test_confidence_is_mean_of_emitted_steps() -> None:
    text, conf = decode([2, 2, 0, 3], probs=[0.8, 0.1, 0.99, 0.6])
    assert text == "ab"
    assert conf == pytest.approx((0.8 + 0.6) / 2)


def test_empty_gives_zero_confidence() -> None:
    assert decode([0, 0]) == ("", 0.0)
    assert ctc_greedy_decode(np.zeros((0, 5), np.int64), np.zeros((0, 5), np.float32), np.zeros(0), CS) == []


def test_batch_rows_are_independent() -> None:
    idx = np.array([[2, 0, 3, 3], [4, 4, 0, 0]])
    prob = np.full(idx.shape, 0.5, np.float32)
    out = ctc_greedy_decode(idx, prob, np.array([4, 2]), CS)
    assert [t for t, _ in out] == ["ab", "c"]
