"""Licence plates of the synthetic data engine: the GA 36 face layout real plate crops show."""
from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest

from model.charset import Charset
from model.fonts import available_fonts
from model.synth import LineSynthesizer, LineStyle, _standard_plate, camera_tilt, render_plate

CHARSET_PATH = Path(__file__).resolve().parents[2] / "model" / "charset.txt"
WHITE_ON_BLACK = LineStyle((255, 255, 255), (0, 0, 0))


@pytest.fixture(scope="module")
def hei():
    fonts = [f for f in available_fonts() if f.family == "Noto Sans CJK SC"]
    if not fonts:
        pytest.fail("fonts-noto-cjk is missing: run `make apt-fonts`")
    return fonts[0]


def ink_runs(face: np.ndarray) -> list[tuple[int, int]]:
    """(first, last) column of each run of columns holding ink."""
    cols = (face.max(axis=(0, 2)) > 128).astype(np.int8)
    edges = np.flatnonzero(np.diff(np.concatenate([[0], cols, [0]])))
    return list(zip(edges[::2], edges[1::2] - 1))


@pytest.mark.parametrize("seed", range(5))
def test_standard_face_has_seven_tall_narrow_glyphs_and_the_wide_gap(hei, seed: int) -> None:
    face = np.asarray(_standard_plate("皖AW5Y86", hei, WHITE_ON_BLACK, random.Random(seed)))
    h, w = face.shape[:2]
    assert 3.0 < w / h < 3.3  # 440 x 140 mm
    runs = ink_runs(face)
    assert len(runs) == 7
    widths = [b - a + 1 for a, b in runs]
    assert max(widths) <= 45 / 440 * w + 2  # no glyph wider than its 45-mm box
    rows = np.flatnonzero(face[:, runs[0][0]:runs[0][1] + 1].max(axis=(1, 2)) > 128)
    assert rows[-1] - rows[0] + 1 >= 1.8 * widths[0]  # the hanzi is squeezed to half its height
    gaps = [b[0] - a[1] for a, b in zip(runs, runs[1:])]
    assert gaps[1] == max(gaps) and gaps[1] >= 34 / 440 * w - 1  # the separator gap


def test_the_dot_is_drawn_only_when_the_label_has_it(hei) -> None:
    with_dot = np.asarray(_standard_plate("皖A·W5Y86", hei, WHITE_ON_BLACK, random.Random(1)))
    without = np.asarray(_standard_plate("皖AW5Y86", hei, WHITE_ON_BLACK, random.Random(1)))
    assert len(ink_runs(with_dot)) == 8 and len(ink_runs(without)) == 7


@pytest.mark.parametrize("seed", range(20))
def test_crops_are_plate_reader_sized(hei, seed: int) -> None:
    crop = render_plate("京P·L3N67", hei, random.Random(seed))
    assert crop.dtype == np.uint8 and crop.ndim == 3
    assert 18 <= crop.shape[0] <= 32 and 2 < crop.shape[1] / crop.shape[0] < 6


@pytest.mark.parametrize(("angle", "shear"), [(0.0, 0.0), (10.0, 0.0), (-10.0, 0.4), (7.0, -0.4)])
def test_camera_tilt_keeps_the_whole_plate_in_the_box(angle: float, shear: float) -> None:
    plate = np.full((40, 140, 3), 255, np.uint8)
    out = camera_tilt(plate, angle, shear, fill=(0, 0, 0))
    # rotation and shear keep the area, so all of the plate's ink is still in the crop ...
    assert abs(int(out[..., 0].astype(np.int64).sum()) - int(plate[..., 0].astype(np.int64).sum())) \
        < 0.03 * plate[..., 0].astype(np.int64).sum()
    # ... and the box is tight: it touches the plate on every side
    ink = out[..., 0] > 0
    assert ink[:2].any() and ink[-2:].any() and ink[:, :2].any() and ink[:, -2:].any()


def test_plate_crops_are_labelled_with_the_number_without_its_dot(monkeypatch) -> None:
    """The dot is drawn on the plate (as GA 36 prints it) but is not part of the plate number."""
    synth = LineSynthesizer(Charset.load(CHARSET_PATH), seed=3)
    monkeypatch.setattr(synth.sampler, "sample", lambda max_chars: "皖A·W5Y86")
    monkeypatch.setattr(synth, "long_line_share", 0.0)
    labels = {synth.sample_raw()[1] for _ in range(12)}
    assert labels == {"皖AW5Y86", "皖A·W5Y86"}  # plate crops and the same text in a document line
