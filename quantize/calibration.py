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


class LineCalibrationReader(CalibrationDataReader):
    """Feeds width-sorted batches of calibration lines to onnxruntime's calibrator."""

    def __init__(self, lines: list[np.ndarray], input_name: str = "image", batch_size: int = 8) -> None:
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
