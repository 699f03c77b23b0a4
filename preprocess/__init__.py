"""Image preprocessing shared by serving, training data and quantization calibration.

Everything here is pure: arrays in, new arrays out; no I/O, no logging, deterministic.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import cv2
import numpy as np

from preprocess.config import PreprocessConfig
from preprocess.enhance import adaptive_threshold, denoise, equalize_histogram, normalize_polarity, to_grayscale
from preprocess.errors import TooManyLinesError
from preprocess.resize import resize_to_height
from preprocess.segment import LineBand, PageLines, Skew, find_line_bands, segment_page
from preprocess.slant import deslant

Mode = Literal["auto", "line", "page"]
MODES: tuple[str, ...] = ("auto", "line", "page")


@dataclass(frozen=True)
class LineCrop:
    """A model-ready line: ``image  # (32, W) uint8``, dark text on white, and its page box."""

    image: np.ndarray
    box: tuple[int, int, int, int]


def prepare_line(gray: np.ndarray, cfg: PreprocessConfig) -> np.ndarray:
    """One line crop (H, W) uint8 gray -> model input (line_height_px, W') uint8.

    Polarity is normalised to dark-on-light, the crop is scaled to ``threshold_height_px``,
    smoothed, equalised and thresholded there (see PreprocessConfig), reduced to the model height, and
    sheared upright when its strokes lean (preprocess.slant).
    """
    line = normalize_polarity(gray)
    line = resize_to_height(line, cfg.threshold_height_px, max_width_px=cfg.max_line_width_px * 2,
                            min_width_px=cfg.min_line_width_px)
    line = denoise(line, kernel_px=cfg.denoise_kernel_px)
    if cfg.equalize:
        line = equalize_histogram(line, clip_limit=cfg.clahe_clip_limit)
    if cfg.binarize:
        line = adaptive_threshold(line, block_size=cfg.block_size, c=cfg.threshold_c, ramp=cfg.threshold_ramp)
    line = resize_to_height(line, cfg.line_height_px, max_width_px=cfg.max_line_width_px,
                            min_width_px=cfg.min_line_width_px)
    return deslant(line, max_shear=cfg.max_slant) if cfg.max_slant > 0 else line


def binarize_page(gray: np.ndarray, cfg: PreprocessConfig) -> np.ndarray:
    """Page (H, W) uint8 gray -> (H, W) uint8 binary (0 ink, 255 paper) for line finding."""
    page = normalize_polarity(gray)
    if cfg.equalize:
        page = equalize_histogram(page, clip_limit=cfg.clahe_clip_limit, tile_px=256)
    block = max(cfg.block_size, (min(page.shape) // 40) | 1)
    return adaptive_threshold(page, block_size=block, c=cfg.page_threshold_c)


def _is_single_line(page: PageLines) -> bool:
    """True when the image holds one line of text: no two lines are stacked (each pair shares at
    least half the shorter height), or the image is hardly taller than its tallest line. Lines cut
    off by the top or bottom edge (shorter than 0.7 of the tallest: a neighbour line caught in a
    line crop) do not count."""
    lines = page.lines
    if len(lines) < 2:
        return True
    tallest = max(b.height for b in lines)
    page_h = page.skew.page_h
    lines = tuple(b for b, box in zip(lines, page.page_bands())
                  if b.height >= 0.7 * tallest or 0 < box.y0 and box.y1 < page_h)
    if len(lines) < 2 or page.skew.canvas_size[1] <= 1.8 * tallest:
        return True
    for i, a in enumerate(lines):
        for b in lines[i + 1:]:
            overlap = min(a.y1, b.y1) - max(a.y0, b.y0)
            if overlap < 0.5 * min(a.height, b.height):
                return False
    return True


def find_page_lines(gray: np.ndarray, cfg: PreprocessConfig, mode: Mode = "auto", *,
                    max_lines: int | None = None) -> PageLines:
    """Lines of a gray image in reading order, in the deskewed frame of the returned ``skew``.

    ``line``: the whole image is one line. ``page``: whatever the segmenter finds (maybe none).
    ``auto``: the segmenter's lines when it finds stacked lines; otherwise one line: the whole
    image (so a plate, a scanned line or a short sign crop stays untouched), or, when the text
    fills less than half the image's height (one line in a large screenshot), the box around it.
    """
    h, w = gray.shape
    whole = PageLines(Skew(0.0, w, h), (LineBand(0, 0, w, h),), 0.0)
    if mode == "line":
        return whole
    found = segment_page(binarize_page(gray, cfg), min_height_px=cfg.min_band_height_px,
                         min_gap_px=cfg.min_band_gap_px, max_lines=max_lines)
    if mode == "page" or not _is_single_line(found):
        return found
    if found.lines:
        union = LineBand(min(b.x0 for b in found.lines), min(b.y0 for b in found.lines),
                         max(b.x1 for b in found.lines), max(b.y1 for b in found.lines))
        if 2 * union.height < found.skew.canvas_size[1]:
            return PageLines(found.skew, (union,), found.unit_px)
    return whole


def find_lines(gray: np.ndarray, cfg: PreprocessConfig, mode: Mode = "auto", *,
               max_lines: int | None = None) -> list[LineBand]:
    """Boxes of the text lines of a gray image, in reading order, in page pixels (axis-aligned;
    on a skewed page each is the bounding box of the levelled line mapped back)."""
    return find_page_lines(gray, cfg, mode, max_lines=max_lines).page_bands()


def prepare_lines(image: np.ndarray, cfg: PreprocessConfig, *, mode: Mode = "auto",
                  max_lines: int = 200) -> list[LineCrop]:
    """Decoded image (gray or RGB uint8) -> model-ready line crops in reading order.

    Lines are found on a copy scaled to at most ``max_page_side_px``; each crop is cut from the
    full-resolution image, levelled when the page is skewed. ``LineCrop.box`` is the line's
    axis-aligned box in the original image's pixels.
    """
    gray = to_grayscale(image)
    h, w = gray.shape
    scale = 1.0
    if max(h, w) > cfg.max_page_side_px:
        scale = cfg.max_page_side_px / max(h, w)
        gray_small = cv2.resize(gray, (max(1, int(w * scale)), max(1, int(h * scale))),
                                interpolation=cv2.INTER_AREA)
    else:
        gray_small = gray
    page = find_page_lines(gray_small, cfg, mode, max_lines=max_lines)
    if len(page.lines) > max_lines:
        raise TooManyLinesError(f"found more than {max_lines} text lines; the limit is {max_lines}")
    crops: list[LineCrop] = []
    for band in page.lines:
        box = page.skew.to_page(band)
        x0, y0 = int(box.x0 / scale), int(box.y0 / scale)
        x1, y1 = min(w, int(np.ceil(box.x1 / scale))), min(h, int(np.ceil(box.y1 / scale)))
        line = page.skew.crop(gray, band, scale=1.0 / scale)
        if x1 - x0 < 2 or y1 - y0 < 2 or min(line.shape) < 2:
            continue
        crops.append(LineCrop(prepare_line(line, cfg), (x0, y0, x1, y1)))
    return crops


__all__ = ["LineBand", "LineCrop", "MODES", "Mode", "PageLines", "PreprocessConfig", "Skew",
           "binarize_page", "find_line_bands", "find_lines", "find_page_lines", "prepare_line",
           "prepare_lines"]
