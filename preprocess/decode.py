"""Decoding uploaded bytes into an upright uint8 image, with the pixel-bomb guard before decoding."""
from __future__ import annotations

import io
import warnings

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from preprocess.errors import ImageDecodeError, ImageTooLargeError

SUPPORTED_FORMATS: frozenset[str] = frozenset({"JPEG", "PNG", "BMP", "WEBP", "TIFF", "GIF", "MPO"})


def _to_uint8_rgb_or_gray(im: Image.Image) -> Image.Image:
    """Convert any Pillow mode to 'L' or 'RGB': alpha flattened on white, 16-bit scaled, CMYK -> RGB."""
    if im.mode in ("I;16", "I;16B", "I;16L", "I;16N", "I"):
        arr = np.asarray(im.convert("I"), dtype=np.float64)
        lo, hi = float(arr.min()), float(arr.max())
        scale = 255.0 / (hi - lo) if hi > lo else 0.0
        return Image.fromarray(((arr - lo) * scale).astype(np.uint8), mode="L")
    if im.mode == "F":
        arr = np.asarray(im, dtype=np.float64)
        lo, hi = float(arr.min()), float(arr.max())
        scale = 255.0 / (hi - lo) if hi > lo else 0.0
        return Image.fromarray(((arr - lo) * scale).astype(np.uint8), mode="L")
    if im.mode == "P":
        im = im.convert("RGBA")
    if im.mode in ("LA", "RGBA", "PA"):
        rgba = im.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(background, rgba).convert("RGB")
    if im.mode in ("L", "RGB"):
        return im
    return im.convert("RGB")  # CMYK, YCbCr, LAB, 1, ...


def decode_image(data: bytes, *, max_pixels: int) -> np.ndarray:
    """Decode ``data`` to an EXIF-upright ``(H, W)`` uint8 gray or ``(H, W, 3)`` uint8 RGB array.

    The pixel count is checked from the header, before any pixel is decoded, so a 30000x30000
    PNG of a few KB is rejected without allocating it. Animated images give their first frame.
    """
    if not data:
        raise ImageDecodeError("the uploaded file is empty")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            im = Image.open(io.BytesIO(data))
            fmt = im.format or "unknown"
            if fmt not in SUPPORTED_FORMATS:
                raise ImageDecodeError(
                    f"unsupported image format {fmt}; use JPEG, PNG, BMP, WEBP, TIFF or GIF"
                )
            width, height = im.size
            if width < 1 or height < 1:
                raise ImageDecodeError(f"image has no pixels ({width}x{height})")
            if width * height > max_pixels:
                raise ImageTooLargeError(
                    f"image is {width}x{height} = {width * height} pixels; the limit is {max_pixels}"
                )
            im.seek(0)
            im.load()
            im = ImageOps.exif_transpose(im) or im
            im = _to_uint8_rgb_or_gray(im)
            return np.asarray(im, dtype=np.uint8).copy()
    except (ImageDecodeError, ImageTooLargeError):
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ImageTooLargeError(f"image rejected as a decompression bomb: {exc}") from exc
    except UnidentifiedImageError as exc:
        raise ImageDecodeError("the file is not a recognised image (JPEG, PNG, BMP, WEBP, TIFF, GIF)") from exc
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        raise ImageDecodeError(f"the image could not be decoded (truncated or corrupt): {exc}") from exc
