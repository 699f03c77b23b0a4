"""Switching degradations off for ablations (synth ``skip_degradations``, model.evaluate --ablate)."""
from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest

from model.charset import Charset
from model.evaluate import ablation_markdown
from model.synth import DEGRADATIONS, LineSynthesizer, _degrade

CHARSET = Charset.load(Path(__file__).resolve().parents[2] / "model" / "charset.txt")


def _page(seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    img = np.full((48, 160, 3), 235, np.uint8)
    img[14:34, 10:150] = rng.integers(0, 60, (20, 140, 1), dtype=np.uint8)
    return img


@pytest.mark.parametrize("seed", range(20))
def test_skipping_a_step_keeps_the_draws_of_the_rest(seed: int) -> None:
    """After _degrade the generator stands where it would without the skip, so every later draw of
    the line (and every later line) is the same."""
    full, skipped = random.Random(seed), random.Random(seed)
    _degrade(_page(seed), full)
    _degrade(_page(seed), skipped, frozenset(DEGRADATIONS))
    assert full.random() == skipped.random()


def test_skipping_everything_returns_the_clean_image() -> None:
    page = _page(0)
    for seed in range(20):
        assert np.array_equal(_degrade(page, random.Random(seed), frozenset(DEGRADATIONS)), page)


def test_skipping_nothing_changes_most_images() -> None:
    page = _page(0)
    changed = sum(not np.array_equal(_degrade(page, random.Random(seed)), page) for seed in range(20))
    assert changed >= 15


def test_ablated_lines_have_the_same_texts_and_differ_in_pixels() -> None:
    full = LineSynthesizer(CHARSET, held_out=True, seed=11)
    clean = LineSynthesizer(CHARSET, held_out=True, seed=11, skip_degradations=frozenset(DEGRADATIONS))
    pairs = [(full.sample(), clean.sample()) for _ in range(12)]
    assert [a[1] for a, _ in pairs] == [b[1] for _, b in pairs]
    assert any(a[0].shape != b[0].shape or not np.array_equal(a[0], b[0]) for a, b in pairs)


def test_unknown_degradation_names_are_refused() -> None:
    with pytest.raises(ValueError, match="unknown degradations"):
        LineSynthesizer(CHARSET, held_out=True, skip_degradations=frozenset({"fog"}))


def test_ablation_table_has_a_row_per_set_and_a_column_per_model() -> None:
    s = {"cer": 0.0279, "line_accuracy": 0.723}
    results = {"a.onnx": {"all degradations": s, "no degradation": {"cer": 0.0064, "line_accuracy": 0.9}},
               "b.onnx": {"all degradations": s, "no degradation": s}}
    lines = ablation_markdown(results).splitlines()
    assert lines[0] == "| held-out lines | a.onnx CER / exact | b.onnx CER / exact |"
    assert lines[2] == "| all degradations | 2.79% / 72.3% | 2.79% / 72.3% |"
    assert lines[3] == "| no degradation | 0.64% / 90.0% | 2.79% / 72.3% |"
    assert len(lines) == 4
