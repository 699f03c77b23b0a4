"""Slant correction (preprocess.slant): leaning strokes are sheared upright, upright text is left
alone, and any line keeps the model-input contract."""
from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from preprocess import PreprocessConfig, prepare_line
from preprocess.slant import deslant, estimate_slant, profile_sharpness, shear_line


def bars(h: int = 32, w: int = 240) -> np.ndarray:
    """(h, w) uint8: white paper with upright 3-px dark strokes, like the stems of letters."""
    line = np.full((h, w), 255, np.uint8)
    for x in range(20, w - 20, 11):
        line[4:h - 4, x:x + 3] = 0
    return line


def test_shear_widens_the_canvas_and_keeps_the_ink() -> None:
    line = bars()
    out = shear_line(line, 0.4)
    assert out.shape == (32, 240 + math.ceil(0.4 * 32))
    ink_in, ink_out = (255 - line.astype(float)).sum(), (255 - out.astype(float)).sum()
    assert abs(ink_out - ink_in) < 0.02 * ink_in


def test_upright_strokes_are_sharpest_unsheared() -> None:
    line = bars()
    assert estimate_slant(line) == 0.0
    assert deslant(line) is line
    assert profile_sharpness(line) > profile_sharpness(shear_line(line, 0.2))


@pytest.mark.parametrize("lean", [0.2, 0.35, -0.3, 0.5])
def test_leaning_strokes_are_sheared_back(lean: float) -> None:
    leaning = shear_line(bars(), lean)
    assert estimate_slant(leaning) == pytest.approx(-lean, abs=0.051)
    upright = deslant(leaning)
    assert profile_sharpness(upright) > 1.5 * profile_sharpness(leaning)


def test_blank_and_tiny_lines_are_left_alone() -> None:
    blank = np.full((32, 50), 255, np.uint8)
    assert deslant(blank) is blank
    tiny = np.zeros((32, 1), np.uint8)
    assert deslant(tiny).shape[0] == 32


def test_prepare_line_deslants_unless_turned_off() -> None:
    leaning = shear_line(bars(h=64, w=480), 0.35)
    on = prepare_line(leaning, PreprocessConfig())
    off = prepare_line(leaning, PreprocessConfig(max_slant=0.0))
    assert profile_sharpness(on) > 1.5 * profile_sharpness(off)


def test_max_slant_is_validated() -> None:
    with pytest.raises(ValueError, match="max_slant"):
        PreprocessConfig(max_slant=1.5)


@settings(max_examples=40, deadline=None)
@given(st.tuples(st.integers(1, 40), st.integers(1, 120)).flatmap(lambda s: arrays(np.uint8, s)))
def test_deslant_keeps_height_dtype_and_bounds_width(line: np.ndarray) -> None:
    out = deslant(line, max_shear=0.6)
    h, w = line.shape
    assert out.dtype == np.uint8 and out.shape[0] == h
    assert w <= out.shape[1] <= w + math.ceil(0.6 * h)


def test_short_crops_are_left_alone() -> None:
    # one or two glyphs: their diagonals, not a slant, would decide the shear ("W" -> "NN")
    leaning = shear_line(bars(w=80), 0.35)
    assert leaning.shape[1] < 3 * 32
    assert deslant(leaning) is leaning
    assert deslant(leaning, min_aspect=1.0) is not leaning
