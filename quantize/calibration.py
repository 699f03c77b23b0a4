"""Calibration data for static quantization, produced by the serving preprocessing path."""
from __future__ import annotations

from collections.abc import Iterator

import numpy as np
from onnxruntime.quantization import CalibrationDataReader

from model.charset import Charset
from model.synth import LineSynthesizer
from preprocess.resize import pad_batch


def calibration_lines(charset: Charset, n: int, seed: int) -> list[np.ndarray]:
    """``n`` synthetic (32, W) uint8 lines in training fonts, through preprocess.prepare_line.

    Held-out fonts are kept for evaluation only, so calibration cannot leak into the numbers.
    """
    synth = LineSynthesizer(charset, held_out=False, seed=seed)
    lines = [synth.sample()[0] for _ in range(n)]
    return sorted(lines, key=lambda ln: ln.shape[1])


BATCH_SIZE = 8  # calibration lines per batch; fixed_width_windows fills whole batches of it


def fixed_width_windows(lines: list[np.ndarray], width: int, *, gap: int = 16,
                        batch: int = BATCH_SIZE) -> list[np.ndarray]:
    """The lines set side by side (``gap`` px of paper between them), cut into ``width``-px windows.

    onnxruntime's histogram calibrators (percentile, entropy) stack every batch's outputs into
    one array, so all batches must have one shape; windows of one strip keep the ink-to-paper
    mix of real lines, which padding every line to the widest one would not. Whole batches of
    ``batch`` windows only, for the same reason.
    """
    paper = np.full((lines[0].shape[0], gap), 255, dtype=np.uint8)
    strip = np.concatenate([part for ln in lines for part in (ln, paper)], axis=1)
    windows = [strip[:, i:i + width] for i in range(0, strip.shape[1] - width + 1, width)]
    return windows[: len(windows) // batch * batch]


class LineCalibrationReader(CalibrationDataReader):
    """Feeds width-sorted batches of calibration lines to onnxruntime's calibrator."""

    def __init__(self, lines: list[np.ndarray], input_name: str = "image",
                 batch_size: int = BATCH_SIZE) -> None:
        self.input_name = input_name
        self._batches = [lines[i:i + batch_size] for i in range(0, len(lines), batch_size)]
        self._iter: Iterator[list[np.ndarray]] = iter(self._batches)

    def get_next(self) -> dict[str, np.ndarray] | None:
        chunk = next(self._iter, None)
        if chunk is None:
            return None
        batch, _ = pad_batch(chunk)  # (N, 1, 32, W) float32
        return {self.input_name: batch}

    def rewind(self) -> None:
        self._iter = iter(self._batches)
