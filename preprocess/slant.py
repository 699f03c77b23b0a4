"""Slant correction of a model-ready line: shear it so its vertical strokes stand upright.

Italic type, licence plates and signs photographed from the side lean their strokes by up to
~30 degrees; a CRNN reads columns, and leaning strokes smear each character over the columns of
its neighbours. Classic handwriting recognisers shear the line by the angle that makes its
column ink profile sharpest (upright strokes pile their ink into few columns); OpenCV and
scikit-image have no such step, so it is written here (a few array operations).

Upright text keeps its shape: the line is sheared only when some slant beats "no shear" by a
margin, and only when it is at least ``min_aspect`` times as wide as high. A slant is a property
of many strokes: on one or two glyphs the profile criterion uprights a diagonal instead (a lone
"W" sheared into "NN", page fragments read as extra lines), while over a line of glyphs the
diagonals of A, V, W, 人 and 大 lean both ways and cancel. Runs on the 32-px line after
thresholding, so it costs about a millisecond.
"""
from __future__ import annotations

import cv2
import numpy as np


def shear_line(line: np.ndarray, shear: float) -> np.ndarray:
    """(H, W) uint8 dark-on-light -> (H, W + ceil(|shear| * H)) uint8 with x += shear * (y - H/2).

    A positive shear moves the bottom rows right (it uprights text leaning right, as italics do).
    The canvas widens so no ink leaves it; new pixels are paper (255).
    """
    h, w = line.shape
    extra = int(np.ceil(abs(shear) * h))
    mat = np.float32([[1.0, shear, extra / 2 - shear * h / 2], [0.0, 1.0, 0.0]])
    return cv2.warpAffine(line, mat, (w + extra, h), flags=cv2.INTER_LINEAR,
                          borderMode=cv2.BORDER_CONSTANT, borderValue=255)


def profile_sharpness(line: np.ndarray) -> float:
    """Sum of squared column ink totals: larger when the ink stands in fewer columns."""
    ink = 255.0 - line.astype(np.float32)
    return float(np.square(ink.sum(axis=0) / 255.0).sum())


def _sharpest(line: np.ndarray, max_shear: float, step: float, min_gain: float) -> tuple[float, np.ndarray]:
    """(shear, sheared line) of the sharpest-profile search; ``(0.0, line)`` when no shear
    wins. Keeps the winning candidate so deslant does not warp the line a second time."""
    best_shear, best_line, best = 0.0, line, profile_sharpness(line) * min_gain
    for shear in np.arange(step, max_shear + step / 2, step):
        for signed in (float(shear), -float(shear)):
            candidate = shear_line(line, signed)
            score = profile_sharpness(candidate)
            if score > best:
                best_shear, best_line, best = signed, candidate, score
    return best_shear, best_line


def estimate_slant(line: np.ndarray, *, max_shear: float = 0.6, step: float = 0.05,
                   min_gain: float = 1.02) -> float:
    """The shear in [-max_shear, max_shear] (``step`` apart) that makes the column profile
    sharpest, or 0.0 unless it beats the unsheared line by the factor ``min_gain``."""
    return _sharpest(line, max_shear, step, min_gain)[0]


def deslant(line: np.ndarray, *, max_shear: float = 0.6, step: float = 0.05, min_gain: float = 1.02,
            min_aspect: float = 3.0) -> np.ndarray:
    """Shear a (H, W) uint8 line by ``estimate_slant`` (returns ``line`` itself when upright or
    narrower than ``min_aspect`` times its height)."""
    h, w = line.shape
    if w < min_aspect * h:
        return line
    return _sharpest(line, max_shear, step, min_gain)[1]
