"""quantize.calibration.fixed_width_windows: one shape for onnxruntime's histogram calibrators."""
from __future__ import annotations

import numpy as np

from quantize.calibration import fixed_width_windows


def _line(width: int, value: int) -> np.ndarray:
    return np.full((32, width), value, dtype=np.uint8)


def test_windows_share_one_shape_and_fill_whole_batches() -> None:
    lines = [_line(w, 0) for w in (50, 130, 300, 700, 90)]
    windows = fixed_width_windows(lines, 64, gap=16, batch=4)
    assert windows and len(windows) % 4 == 0
    assert {win.shape for win in windows} == {(32, 64)}
    strip_width = sum(w + 16 for w in (50, 130, 300, 700, 90))
    assert len(windows) <= strip_width // 64


def test_windows_keep_line_order_with_paper_between_lines() -> None:
    windows = fixed_width_windows([_line(10, 0), _line(10, 100)], 36, gap=8, batch=1)
    (window,) = windows
    row = window[0]
    assert (row[:10] == 0).all()
    assert (row[10:18] == 255).all()
    assert (row[18:28] == 100).all()
    assert (row[28:36] == 255).all()


def test_too_few_windows_for_a_batch_gives_none() -> None:
    assert fixed_width_windows([_line(40, 0)], 32, batch=8) == []
