"""decode_image on files made at test time: every supported format, EXIF orientation, alpha,
16-bit, CMYK, palette transparency, corrupt input and pixel bombs."""
from __future__ import annotations

import io
import resource
import struct
import time
import zlib

import numpy as np
import pytest
from PIL import Image

from preprocess.decode import decode_image
from preprocess.errors import ImageDecodeError, ImageTooLargeError

MAX_PIXELS = 20_000_000


def encode(im: Image.Image, fmt: str, **params: object) -> bytes:
    buf = io.BytesIO()
    im.save(buf, format=fmt, **params)
    return buf.getvalue()


def pattern(w: int = 60, h: int = 40) -> Image.Image:
    """RGB image: dark left half, light right half (orientation and format checks)."""
    arr = np.full((h, w, 3), 230, np.uint8)
    arr[:, : w // 2] = 20
    return Image.fromarray(arr, "RGB")


@pytest.mark.parametrize("fmt,params", [("JPEG", {"quality": 95}), ("PNG", {}), ("BMP", {}),
                                        ("WEBP", {"lossless": True}), ("TIFF", {}), ("GIF", {})])
def test_supported_formats_decode_to_uint8(fmt: str, params: dict) -> None:
    out = decode_image(encode(pattern(), fmt, **params), max_pixels=MAX_PIXELS)
    assert out.dtype == np.uint8 and out.shape[:2] == (40, 60)
    gray = out if out.ndim == 2 else out.mean(axis=2)
    assert gray[:, :25].mean() < 60 and gray[:, 35:].mean() > 190


def test_gray_png_stays_gray() -> None:
    out = decode_image(encode(pattern().convert("L"), "PNG"), max_pixels=MAX_PIXELS)
    assert out.shape == (40, 60)


def test_animated_gif_gives_first_frame() -> None:
    first = Image.new("L", (30, 20), 0)
    second = Image.new("L", (30, 20), 255)
    data = encode(first, "GIF", save_all=True, append_images=[second], duration=100, loop=0)
    out = decode_image(data, max_pixels=MAX_PIXELS)
    assert out.shape[:2] == (20, 30) and out.max() < 30


def test_exif_orientation_is_applied() -> None:
    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation: rotate 90 degrees clockwise to display
    data = encode(pattern(60, 40), "JPEG", quality=95, exif=exif.tobytes())
    out = decode_image(data, max_pixels=MAX_PIXELS)
    assert out.shape[:2] == (60, 40)  # upright: width and height swapped
    gray = out.mean(axis=2) if out.ndim == 3 else out
    assert gray[:25].mean() < 60 and gray[35:].mean() > 190  # the dark left half is now on top


def test_alpha_is_flattened_on_white() -> None:
    rgba = np.zeros((10, 20, 4), np.uint8)
    rgba[:, :10] = (0, 0, 0, 255)  # opaque black
    rgba[:, 10:] = (0, 0, 0, 0)  # fully transparent
    out = decode_image(encode(Image.fromarray(rgba, "RGBA"), "PNG"), max_pixels=MAX_PIXELS)
    gray = out.mean(axis=2) if out.ndim == 3 else out
    assert gray[:, :10].max() < 5 and gray[:, 10:].min() > 250
    la = Image.fromarray(rgba[..., 3], "L").convert("LA")
    la.putalpha(Image.fromarray(rgba[..., 3], "L"))
    out = decode_image(encode(la, "PNG"), max_pixels=MAX_PIXELS)
    gray = out.mean(axis=2) if out.ndim == 3 else out
    assert gray[:, 10:].min() > 250


def test_16_bit_png_is_scaled_to_8_bit() -> None:
    arr = np.tile(np.linspace(0, 65535, 50).astype(np.uint16), (8, 1))
    out = decode_image(encode(Image.fromarray(arr), "PNG"), max_pixels=MAX_PIXELS)
    assert out.dtype == np.uint8 and out.shape == (8, 50)
    assert out[0, 0] < 5 and out[0, -1] > 250 and np.all(np.diff(out[0].astype(int)) >= 0)


def test_cmyk_jpeg_is_converted() -> None:
    data = encode(pattern().convert("CMYK"), "JPEG", quality=95)
    out = decode_image(data, max_pixels=MAX_PIXELS)
    assert out.dtype == np.uint8 and out.shape == (40, 60, 3)
    assert out[:, :25].mean() < 60 and out[:, 35:].mean() > 190


def test_palette_with_transparency_is_flattened_on_white() -> None:
    im = Image.new("P", (20, 10), 0)
    im.putpalette([0, 0, 0, 255, 0, 0] + [0] * 762)
    im.paste(1, (10, 0, 20, 10))
    data = encode(im, "PNG", transparency=1)  # the red half is transparent
    out = decode_image(data, max_pixels=MAX_PIXELS)
    assert out.shape[:2] == (10, 20)
    assert out[:, :10].max() < 5 and out[:, 10:].min() > 250


@pytest.mark.parametrize("fmt", ["PNG", "JPEG"])
def test_truncated_files_raise_decode_error(fmt: str) -> None:
    noise = np.random.default_rng(0).integers(0, 256, (200, 200, 3), dtype=np.uint8)
    data = encode(Image.fromarray(noise, "RGB"), fmt)
    with pytest.raises(ImageDecodeError):
        decode_image(data[: len(data) // 2], max_pixels=MAX_PIXELS)


@pytest.mark.parametrize("data", [b"hello, this is not an image\n" * 10, b"\x89PNG\r\n\x1a\n", b"GIF89a",
                                  b"%PDF-1.4 not supported"])
def test_non_images_raise_decode_error(data: bytes) -> None:
    with pytest.raises(ImageDecodeError):
        decode_image(data, max_pixels=MAX_PIXELS)


def test_empty_bytes_raise_decode_error() -> None:
    with pytest.raises(ImageDecodeError):
        decode_image(b"", max_pixels=MAX_PIXELS)


def png_bomb(width: int, height: int) -> bytes:
    """A valid 1-bit gray PNG of width x height, all zero, compressed to a few KB."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    row = b"\x00" * (1 + (width + 7) // 8)  # filter byte + packed bits
    compressor = zlib.compressobj(9)
    idat = b"".join(compressor.compress(row) for _ in range(height)) + compressor.flush()
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def test_decompression_bomb_is_rejected_fast_without_decoding() -> None:
    data = png_bomb(30_000, 30_000)
    assert len(data) < 200_000
    rss_before_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    t0 = time.perf_counter()
    with pytest.raises(ImageTooLargeError):
        decode_image(data, max_pixels=MAX_PIXELS)
    assert time.perf_counter() - t0 < 1.0
    grown_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss_before_kb) / 1024
    assert grown_mb < 100  # 900 M pixels were never allocated


def test_pixel_limit_is_inclusive() -> None:
    data = encode(Image.new("L", (100, 50), 255), "PNG")
    assert decode_image(data, max_pixels=5000).shape == (50, 100)
    with pytest.raises(ImageTooLargeError):
        decode_image(data, max_pixels=4999)
