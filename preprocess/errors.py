"""Errors raised by preprocessing; service/errors.py maps each to an HTTP status once."""
from __future__ import annotations


class PreprocessError(ValueError):
    """Base class of input problems found while decoding or preparing an image."""


class ImageDecodeError(PreprocessError):
    """The bytes are not an image of a supported format, or are corrupt/truncated."""


class ImageTooLargeError(PreprocessError):
    """The image has more pixels than allowed (decompression-bomb guard)."""


class TooManyLinesError(PreprocessError):
    """Segmentation found more text lines than ``max_lines``."""
