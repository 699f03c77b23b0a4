"""Pure preprocessing functions on synthetic arrays: thresholding, resizing, batching, polarity,
and the exact model-input contract of prepare_line."""
from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from preprocess import PreprocessConfig, binarize_page, prepare_line
from preprocess.enhance import (adaptive_threshold, denoise, equalize_histogram, is_light_on_dark,
                                normalize_polarity, to_grayscale)
from preprocess.resize import pad_batch, resize_to_height

CFG = PreprocessConfig()


def text_like(h: int = 40, w: int = 200, ink: int = 30, paper: int = 225) -> np.ndarray:
    """(h, w) uint8: paper with a few dark vertical strokes in the middle band."""
    gray = np.full((h, w), paper, np.uint8)
    for x in range(10, w - 10, 12):
        gray[h // 4: 3 * h // 4, x:x + 3] = ink
    return gray


def gray_images(max_side: int = 64) -> st.SearchStrategy[np.ndarray]:
    shapes = st.tuples(st.integers(1, max_side), st.integers(1, max_side))
    return shapes.flatmap(lambda s: arrays(np.uint8, s))


@settings(max_examples=40, deadline=None)
@given(gray_images())
def test_adaptive_threshold_is_binary_and_keeps_shape(gray: np.ndarray) -> None:
    block = 3 if min(gray.shape) < 3 else 11
    binary = adaptive_threshold(gray, block_size=block, c=5)
    assert binary.shape == gray.shape and binary.dtype == np.uint8
    assert set(np.unique(binary).tolist()) <= {0, 255}


def test_adaptive_threshold_marks_strokes_as_ink() -> None:
    gray = text_like()
    binary = adaptive_threshold(gray, block_size=21, c=12)
    assert set(np.unique(binary).tolist()) == {0, 255}
    assert (binary[20, 10:13] == 0).all()  # stroke
    assert (binary[2, :] == 255).all()  # paper


def test_ramped_threshold_keeps_clear_pixels_pure_and_near_ones_grey() -> None:
    gray = text_like()
    soft = adaptive_threshold(gray, block_size=21, c=12, ramp=20)
    assert (soft[20, 10:13] == 0).all() and (soft[2, :] == 255).all()  # clear ink and paper as before
    flat = np.full((40, 80), 180, np.uint8)  # every pixel sits c above the threshold (its own mean - c)
    assert (adaptive_threshold(flat, block_size=21, c=12, ramp=20) == 255).all()  # ramp <= 2c: white
    near = adaptive_threshold(flat, block_size=21, c=5, ramp=20)  # c = 5 is inside the ramp's half-width
    assert (near == round(127.5 + 5 * 255 / 20)).all()
    assert (adaptive_threshold(flat, block_size=21, c=5) == 255).all()  # the step has to pick a side


@settings(max_examples=60, deadline=None)
@given(gray_images(), st.floats(4, 64))
def test_ramped_threshold_only_greys_what_the_step_decides_narrowly(gray: np.ndarray, ramp: float) -> None:
    block = 3 if min(gray.shape) < 3 else 11
    soft = adaptive_threshold(gray, block_size=block, c=5, ramp=ramp)
    hard = adaptive_threshold(gray, block_size=block, c=5)
    assert soft.shape == gray.shape and soft.dtype == np.uint8
    assert (hard[soft == 0] == 0).all() and (hard[soft == 255] == 255).all()


@pytest.mark.parametrize("h,w", [(10, 300), (64, 64), (100, 2000), (7, 3), (200, 50), (1, 1), (1, 40),
                                 (40, 1)])
@pytest.mark.parametrize("height_px", [32, 64])
def test_resize_to_height_keeps_aspect_ratio(h: int, w: int, height_px: int) -> None:
    line = np.random.default_rng(h * w).integers(0, 256, (h, w), dtype=np.uint8)
    out = resize_to_height(line, height_px)
    assert out.shape[0] == height_px and out.dtype == np.uint8
    expected_w = max(4, w * height_px / h)
    assert abs(out.shape[1] - expected_w) <= 1


def test_threshold_ramp_is_validated() -> None:
    with pytest.raises(ValueError, match="threshold_ramp"):
        PreprocessConfig(threshold_ramp=-1)
    with pytest.raises(ValueError, match="threshold_ramp"):
        PreprocessConfig(threshold_c=5, threshold_ramp=20)  # flat paper would come out grey


@pytest.mark.parametrize("kernel_px", [-1, 2, 4])
def test_denoise_kernel_is_validated(kernel_px: int) -> None:
    with pytest.raises(ValueError, match="denoise_kernel_px"):
        PreprocessConfig(denoise_kernel_px=kernel_px)


def test_denoise_off_is_the_identity_and_on_smooths() -> None:
    rng = np.random.default_rng(5)
    noisy = np.clip(rng.normal(200, 20, (64, 200)), 0, 255).astype(np.uint8)
    for off in (0, 1):
        out = denoise(noisy, kernel_px=off)
        assert np.array_equal(out, noisy) and out is not noisy
    assert denoise(noisy, kernel_px=3).std() < 0.6 * noisy.std()


def test_denoising_a_noisy_line_leaves_fewer_specks() -> None:
    """Pixel noise on the paper becomes ink specks after equalization and thresholding; the
    smoothing before equalization removes a good part of them and keeps the strokes."""
    rng = np.random.default_rng(7)
    line = text_like(h=64, w=400).astype(np.float64) + rng.normal(0, 25, (64, 400))
    line = np.clip(line, 0, 255).astype(np.uint8)

    def paper_specks(cfg: PreprocessConfig) -> tuple[int, int]:
        out = prepare_line(line, dataclasses.replace(cfg, max_slant=0))
        return int((out[:6] < 128).sum() + (out[-6:] < 128).sum()), int((out[12:20] < 128).sum())

    specks_on, ink_on = paper_specks(CFG)
    specks_off, ink_off = paper_specks(PreprocessConfig(denoise_kernel_px=0))
    assert specks_on < 0.75 * specks_off
    assert ink_on > 0.8 * ink_off


def test_page_threshold_has_its_own_c() -> None:
    """Lines and pages are thresholded with separate C values: the lines' C widens with their ramp
    while line finding keeps its step at page_threshold_c."""
    rng = np.random.default_rng(3)
    page = np.clip(rng.normal(200, 12, (120, 160)), 0, 255).astype(np.uint8)
    page[40:60, 20:140] = 60
    base = binarize_page(page, PreprocessConfig())
    assert np.array_equal(base, binarize_page(page, PreprocessConfig(threshold_c=30, threshold_ramp=0)))
    assert not np.array_equal(base, binarize_page(page, PreprocessConfig(page_threshold_c=2)))


def test_resize_to_height_never_squashes_long_lines() -> None:
    line = np.full((40, 3000), 255, np.uint8)
    out = resize_to_height(line, 32)
    assert out.shape == (32, 2400)  # 3000 * 32 / 40, below the 4096-px clamp


def test_resize_to_height_rejects_empty() -> None:
    with pytest.raises(ValueError):
        resize_to_height(np.zeros((0, 5), np.uint8), 32)


def test_pad_batch_pads_with_background_and_returns_widths() -> None:
    lines = [np.full((32, w), v, np.uint8) for w, v in ((10, 0), (25, 100), (4, 50))]
    batch, widths = pad_batch(lines, pad_value=255)
    assert batch.shape == (3, 1, 32, 32) and batch.dtype == np.float32  # 25 -> multiple of 32
    assert widths.tolist() == [10, 25, 4] and widths.dtype == np.int64
    assert np.all(batch[0, 0, :, :10] == 0.0) and np.all(batch[0, 0, :, 10:] == 1.0)
    assert np.allclose(batch[1, 0, :, :25], 100 / 255) and np.all(batch[1, 0, :, 25:] == 1.0)
    assert np.all(batch[2, 0, :, 4:] == 1.0) and np.allclose(batch[2, 0, :, :4], 50 / 255)
    batch0, _ = pad_batch(lines, pad_value=0)
    assert np.all(batch0[0, 0, :, 10:] == 0.0)


@pytest.mark.parametrize(("width", "multiple", "expected"), [(32, 32, 32), (33, 32, 64), (5, 1, 5), (5, 8, 8)])
def test_pad_batch_rounds_width_up(width: int, multiple: int, expected: int) -> None:
    batch, widths = pad_batch([np.zeros((32, width), np.uint8)], width_multiple=multiple)
    assert batch.shape[3] == expected and widths.tolist() == [width]
    assert np.all(batch[0, 0, :, width:] == 1.0)


def test_pad_batch_rejects_empty() -> None:
    with pytest.raises(ValueError):
        pad_batch([])


def test_normalize_polarity_inverts_light_on_dark_only() -> None:
    dark_on_light = text_like(ink=30, paper=225)
    light_on_dark = 255 - dark_on_light
    assert not is_light_on_dark(dark_on_light)
    assert is_light_on_dark(light_on_dark)
    assert np.array_equal(normalize_polarity(light_on_dark), dark_on_light)
    kept = normalize_polarity(dark_on_light)
    assert np.array_equal(kept, dark_on_light) and kept is not dark_on_light


@pytest.mark.parametrize(("ink", "paper"), [(50, 95), (10, 60), (200, 240)])
def test_polarity_follows_the_ink_not_the_brightness(ink: int, paper: int) -> None:
    """Dark text on a dark grey sign is not inverted; light text on light grey is."""
    assert not is_light_on_dark(text_like(ink=ink, paper=paper))
    assert is_light_on_dark(text_like(ink=paper, paper=ink))


def test_polarity_of_a_tight_crop_whose_border_runs_through_ink() -> None:
    gray = text_like(ink=20, paper=230)
    gray[0, :] = 20  # an underline or a glyph touching the crop's top edge
    gray[:, 0] = 20
    assert not is_light_on_dark(gray)
    assert is_light_on_dark(255 - gray)


def test_to_grayscale_shapes() -> None:
    rgb = np.zeros((5, 7, 3), np.uint8)
    rgb[..., 0] = 255
    assert to_grayscale(rgb).shape == (5, 7)
    assert to_grayscale(np.zeros((5, 7, 4), np.uint8)).shape == (5, 7)
    with pytest.raises(ValueError):
        to_grayscale(np.zeros((5, 7, 2), np.uint8))


def test_equalize_histogram_keeps_shape_and_dtype() -> None:
    gray = text_like(ink=100, paper=140)
    out = equalize_histogram(gray)
    assert out.shape == gray.shape and out.dtype == np.uint8
    assert int(out.max()) - int(out.min()) >= int(gray.max()) - int(gray.min())


@settings(max_examples=60, deadline=None)
@given(st.one_of(gray_images(96),
                 st.integers(1, 300).flatmap(lambda n: arrays(np.uint8, (1, n))),
                 st.integers(1, 300).flatmap(lambda n: arrays(np.uint8, (n, 1)))))
def test_prepare_line_contract(gray: np.ndarray) -> None:
    before = gray.copy()
    out = prepare_line(gray, CFG)
    assert out.dtype == np.uint8 and out.ndim == 2
    assert out.shape[0] == CFG.line_height_px == 32
    # deslanting may widen the line by the shear's reach over its height
    assert CFG.min_line_width_px <= out.shape[1] <= CFG.max_line_width_px + math.ceil(CFG.max_slant * 32)
    assert np.array_equal(gray, before)  # input not mutated


def test_prepare_line_is_deterministic_and_dark_on_light() -> None:
    dark = text_like(h=48, w=300)
    a, b = prepare_line(dark, CFG), prepare_line(dark.copy(), CFG)
    assert np.array_equal(a, b)
    assert a.shape == (32, 200)
    assert float(np.median(a)) > 200  # paper stays light
    inverted = prepare_line(255 - dark, CFG)
    assert float(np.median(inverted)) > 200  # light-on-dark input is normalised
    assert np.mean(np.abs(inverted.astype(int) - a.astype(int))) < 20
