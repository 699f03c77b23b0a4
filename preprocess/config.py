"""Preprocessing parameters, in one frozen value shared by serving, training and calibration."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PreprocessConfig:
    """Parameters of the seed pipeline (gray -> equalize -> adaptive threshold -> height 32).

    ``threshold_height_px``: a line is first scaled to this height and only then thresholded.
    Thresholding a 200-px-tall line with an 11-px block hollows thick strokes (the block sees only
    stroke interior), so the block size must be measured against a normalised line height; 64 px
    gives strokes of 3-8 px; a 21-px block (a third of the line height) spans stroke and paper,
    so thick strokes stay filled.
    ``denoise_kernel_px``: at that height the line is first smoothed with a Gaussian of this size
    (enhance.denoise; 0 or 1 turns it off), because equalization amplifies pixel noise into specks.
    With 3 (sigma 0.8) s125069, not trained on it, read 600 held-out lines (int8) at 3.05 % CER
    against 3.25 % without (seed 5), and 3.15 % against 3.29 % on another 600 (seed 6), with
    real-dev unchanged (4.5 %). A 5-px kernel gained less (3.22 % and 3.20 %).
    ``threshold_ramp``: the line's threshold is a ramp this many grey levels wide instead of a
    step (enhance.adaptive_threshold), so pixels close to the threshold stay grey instead of
    being forced to ink or paper. On 600 held-out synthetic lines the s97925 model, trained on
    hard steps, read 3.8 % CER with a 20-level ramp against 4.4 % with the step, before any
    training on ramped lines; 0 restores the step. Trained from step 98,411 with 20 levels, from
    111,019 with 24 (C 12), from 113,791 with 32 (C 16): s113791 read those 600 lines at 3.54 %
    with 24 levels and 3.27 % with 32 before training on them, s125069 at 3.25 % (int8; on the
    300 lines of quantize.compare 5.38 -> 5.28 -> 4.82 %). 40 levels read 3.36 % and 48 3.67 %
    untrained: more grey stops helping there. At most 2 * threshold_c, so that flat paper (C
    above its threshold) stays white.
    ``page_threshold_c``: line finding keeps a step threshold with its own C (12), so widening the
    lines' ramp does not change which pixels make a line.
    The thresholded line is then reduced to ``line_height_px`` with INTER_AREA, which keeps
    anti-aliased edges (values between 0 and 255).
    ``max_slant``: the 32-px line is then sheared upright (preprocess.slant) by at most this much
    (0.6 = 31 degrees; 0 turns it off).
    """

    line_height_px: int = 32
    threshold_height_px: int = 64
    denoise_kernel_px: int = 3
    block_size: int = 21
    threshold_c: int = 16
    threshold_ramp: float = 32.0
    clahe_clip_limit: float = 2.0
    equalize: bool = True
    binarize: bool = True
    min_line_width_px: int = 4
    max_line_width_px: int = 4096
    max_slant: float = 0.6
    # page segmentation
    min_band_height_px: int = 6
    min_band_gap_px: int = 1
    max_page_side_px: int = 3000
    page_threshold_c: int = 12

    def __post_init__(self) -> None:
        if self.block_size < 3 or self.block_size % 2 == 0:
            raise ValueError(f"block_size must be an odd number >= 3, got {self.block_size}")
        if self.denoise_kernel_px < 0 or (self.denoise_kernel_px > 0 and self.denoise_kernel_px % 2 == 0):
            raise ValueError(f"denoise_kernel_px must be 0 or an odd number, got {self.denoise_kernel_px}")
        if self.line_height_px < 8:
            raise ValueError(f"line_height_px must be >= 8, got {self.line_height_px}")
        if self.threshold_height_px < self.line_height_px:
            raise ValueError("threshold_height_px must be >= line_height_px")
        if not 0 <= self.threshold_ramp <= 2 * self.threshold_c:  # beyond 2c flat paper turns grey
            raise ValueError(f"threshold_ramp must be in [0, 2 * threshold_c = {2 * self.threshold_c}], "
                             f"got {self.threshold_ramp}")
        if not 0.0 <= self.max_slant <= 1.0:
            raise ValueError(f"max_slant must be in [0, 1], got {self.max_slant}")
