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


def denoise(gray: np.ndarray, *, kernel_px: int = 3) -> np.ndarray:
    """Gaussian blur with a ``kernel_px`` square kernel (OpenCV's sigma for that size: 0.8 for 3).

    Applied to a line at the thresholding height before equalization: CLAHE raises the contrast of
    pixel noise along with the strokes', and adaptive_threshold then turns it into specks.
    """
    return cv2.GaussianBlur(gray, (kernel_px, kernel_px), 0) if kernel_px > 1 else gray.copy()


def equalize_histogram(gray: np.ndarray, *, clip_limit: float = 2.0, tile_px: int = 64) -> np.ndarray:
    """Contrast-limited histogram equalization (CLAHE) of a (H, W) uint8 image.

    Plain global equalization (cv2.equalizeHist) stretches the noise of a flat paper background
    over the whole grey range, and the adaptive threshold then turns it into speckles; CLAHE's
    clip limit bounds that gain. Tiles are ``tile_px`` wide and span the full height of a line.
    """
    h, w = gray.shape
    grid = (max(1, w // tile_px), max(1, h // tile_px))
    return cv2.createCLAHE(clipLimit=clip_limit, tileGridSize=grid).apply(gray)


def adaptive_threshold(gray: np.ndarray, *, block_size: int = 21, c: int = 12, ramp: float = 0.0) -> np.ndarray:
    """Gaussian adaptive threshold of a (H, W) uint8 image -> (H, W) uint8, 0 ink, 255 paper.

    A pixel is paper when it is brighter than its Gaussian-weighted ``block_size`` neighbourhood
    mean minus ``c``. With ``ramp`` = 0 the output holds only 0 and 255 (cv2.adaptiveThreshold).
    With ``ramp`` > 0 the step becomes a linear ramp ``ramp`` grey levels wide centred on that
    threshold: pixels far from it are still pure ink or paper, pixels near it keep a grey level
    telling how close they came. A hard step throws that away exactly where the line is hard to
    read (blurred, low-resolution, noisy or faint strokes), turning it into broken strokes and
    specks; OpenCV has no soft variant, hence the few lines of arithmetic here.
    A 3x3 Gaussian blur first removes pixel noise that would otherwise become isolated specks.
    """
    smooth = cv2.GaussianBlur(gray, (3, 3), 0)
    if ramp <= 0:
        return cv2.adaptiveThreshold(
            smooth, 255, cv2.ADAPTIVE_THRESH_GAUSSIAN_C, cv2.THRESH_BINARY, block_size, c
        )
    level = smooth.astype(np.float32)
    mean = cv2.GaussianBlur(level, (block_size, block_size), 0, borderType=cv2.BORDER_REPLICATE)
    gain = 255.0 / ramp  # 127.5 + gain * (level - mean + c), rounded and saturated to uint8 in one pass
    return cv2.addWeighted(level, gain, mean, -gain, 127.5 + gain * c, dtype=cv2.CV_8U)


def is_light_on_dark(gray: np.ndarray) -> bool:
    """True when the text is lighter than its background.

    Text is the minority of a crop's pixels, so the median is background and the ink lies in the
    longer tail of the histogram: the 2nd percentile is far below the median for dark text, the
    98th far above it for light text. (Comparing the border with the median, as before, failed on
    tight crops, whose border runs through ink: about 8 % of synthetic lines were inverted wrongly,
    and dark text on a dark grey sign was always inverted.) A crop with no tail of either kind
    (flat, or ink under 2 %) falls back to the border: a dark frame means light-on-dark.
    """
    if gray.size == 0:
        return False
    lo, med, hi = np.percentile(gray, (2, 50, 98))
    if max(med - lo, hi - med) >= 16:
        return bool(hi - med > med - lo)
    border = np.concatenate([gray[0], gray[-1], gray[:, 0], gray[:, -1]])
    return float(np.median(border)) < 96


def normalize_polarity(gray: np.ndarray) -> np.ndarray:
    """Return dark text on a light background (inverting light-on-dark crops)."""
    return 255 - gray if is_light_on_dark(gray) else gray.copy()
