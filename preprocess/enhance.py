"""Pixel-level steps of the seed pipeline. Pure functions: array in, new array out."""
from __future__ import annotations

import cv2
import numpy as np


def to_grayscale(img: np.ndarray) -> np.ndarray:
    """(H, W) or (H, W, 3|4) uint8 (RGB order) -> (H, W) uint8 gray."""
    if img.ndim == 2:
        return img.copy()
    if img.ndim == 3 and img.shape[2] == 3:
        return cv2.cvtColor(img, cv2.COLOR_RGB2GRAY)
    if img.ndim == 3 and img.shape[2] == 4:
        return cv2.cvtColor(img, cv2.COLOR_RGBA2GRAY)
    raise ValueError(f"unsupported image shape {img.shape}")


def equalize_histogram(gray: np.ndarray, *, clip_limit: float = 2.0, tile_px: int = 64) -> np.ndarray:
    """Contrast-limited histogram equalization (CLAHE) of a (H, W) uint8 image.

    Plain global equalization (cv2.equalizeHist) stretches the noise of a flat paper background
    over the whole grey range, and the adaptive threshold then turns it into speckles; CLAHE's
    clip limit bounds that gain. Tiles are ``tile_px`` wide and span the full height of a line.
    """
    h, w = gray.shape
    grid = (max(1, w // tile_px), max(1, h // tile_px))
    return cv2.createCLAHE(clipLimit=clip_limit, tileGridSize=grid).apply(gray)


def adaptive_threshold(gray: np.ndarray, *, block_size: int = 21, c: int = 12) -> np.ndarray:
    """Gaussian adaptive threshold: (H, W) uint8 -> (H, W) uint8 holding only 0 (ink) and 255.

    A 3x3 Gaussian blur first removes pixel noise that would otherwise become isolated specks.
    """
    smooth = cv2.GaussianBlur(gray, (3, 3), 0)
    return cv2.adaptiveThreshold(
        smooth, 255, cv2.ADAPTIVE_THRESH_GAUSSIAN_C, cv2.THRESH_BINARY, block_size, c
    )


def is_light_on_dark(gray: np.ndarray) -> bool:
    """True when the text is lighter than its background.

    The border of a text crop is mostly background, so compare the border median with the
    median of the whole crop: on dark-on-light text the border is the lighter of the two.
    """
    if gray.size == 0:
        return False
    border = np.concatenate([gray[0], gray[-1], gray[:, 0], gray[:, -1]])
    return float(np.median(border)) < float(np.median(gray)) - 1 or float(np.median(border)) < 96


def normalize_polarity(gray: np.ndarray) -> np.ndarray:
    """Return dark text on a light background (inverting light-on-dark crops)."""
    return 255 - gray if is_light_on_dark(gray) else gray.copy()
