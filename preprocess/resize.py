"""Height normalisation and batching of line images."""
from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np


def resize_to_height(line: np.ndarray, height_px: int = 32, *, max_width_px: int = 4096,
                     min_width_px: int = 4) -> np.ndarray:
    """Scale a (H, W) uint8 line to ``height_px`` keeping the aspect ratio (never squashed).

    INTER_AREA when shrinking (the seed's choice), INTER_CUBIC when enlarging small crops.
    The width is clamped to [min_width_px, max_width_px]; only absurdly long crops are clamped.
    """
    h, w = line.shape[:2]
    if h == 0 or w == 0:
        raise ValueError("empty line image")
    new_w = int(round(w * height_px / h))
    new_w = max(min_width_px, min(max_width_px, new_w))
    interp = cv2.INTER_AREA if h >= height_px else cv2.INTER_CUBIC
    return cv2.resize(line, (new_w, height_px), interpolation=interp)


def pad_batch(lines: Sequence[np.ndarray], pad_value: int = 255, *,
              width_multiple: int = 32) -> tuple[np.ndarray, np.ndarray]:
    """Right-pad (32, W_i) uint8 lines to the widest one, rounded up to ``width_multiple``.

    Training batches are padded the same way (model.train.collate), so the model is used to
    paper after a line's last character. Without it, a lone line ends at the image edge, where
    the convolutions' zero padding looks like ink: on real scans a final full stop or comma
    touching the crop's right edge was dropped (real-dev English CER 5.5 % -> 5.0 % with it).

    Returns ``batch  # (N, 1, H, W_pad) float32 in [0, 1]`` and ``widths  # (N,) int64`` (the
    widths before padding, for masking the time steps that only saw padding).
    """
    if not lines:
        raise ValueError("pad_batch needs at least one line")
    height = lines[0].shape[0]
    widths = np.array([ln.shape[1] for ln in lines], dtype=np.int64)
    padded = -(-int(widths.max()) // width_multiple) * width_multiple
    batch = np.full((len(lines), 1, height, padded), pad_value, dtype=np.uint8)
    for i, ln in enumerate(lines):
        batch[i, 0, :, : ln.shape[1]] = ln
    return batch.astype(np.float32) / 255.0, widths
