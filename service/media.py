"""Upload type check by content: the bytes decide, never the filename or the Content-Type."""
from __future__ import annotations

import io
import warnings
from collections.abc import Set

from PIL import Image, UnidentifiedImageError

from preprocess.errors import ImageTooLargeError
from service.errors import UnsupportedMediaTypeError

# Magic numbers of what people upload by mistake, to name it in the 415 message.
_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"%PDF-", "a PDF document"),
    (b"PK\x03\x04", "a ZIP archive (or an Office document)"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"Rar!", "a RAR archive"),
    (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive"),
    (b"\x7fELF", "an ELF executable"),
    (b"MZ", "a Windows executable"),
    (b"\x89PNG\r\n\x1a\n", "a PNG file with a corrupt header"),
    (b"\xff\xd8\xff", "a JPEG file with a corrupt header"),
    (b"GIF8", "a GIF file with a corrupt header"),
    (b"\x00\x00\x01\x00", "a Windows icon"),
)
_FTYP_BRANDS = {b"heic": "a HEIC image", b"heix": "a HEIC image", b"mif1": "a HEIF image",
                b"avif": "an AVIF image", b"isom": "an MP4 video", b"qt  ": "a QuickTime video"}


def describe_bytes(data: bytes) -> str:
    """A short human description of what ``data`` looks like, for error messages."""
    if not data:
        return "an empty file"
    for magic, name in _SIGNATURES:
        if data.startswith(magic):
            return name
    if data[4:8] == b"ftyp":
        return _FTYP_BRANDS.get(data[8:12], "an ISO media file")
    head = data[:2048]
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError:
        text = None
    if text is not None and all(ch.isprintable() or ch in "\r\n\t" for ch in text.rstrip("\x00")):
        lowered = text.lstrip().lower()
        if lowered.startswith(("<svg", "<?xml")) and "<svg" in lowered:
            return "an SVG drawing (vector images are not supported)"
        if lowered.startswith(("<!doctype html", "<html")):
            return "an HTML document"
        return "plain text"
    return f"unrecognised binary data (starting {data[:8].hex(' ')})"


def identify_image_format(data: bytes, allowed_formats: Set[str]) -> str:
    """Pillow's format name of ``data`` (reading the header only) if it is an allowed image.

    Raises ``UnsupportedMediaTypeError`` naming what was found otherwise, and
    ``ImageTooLargeError`` for headers beyond Pillow's own decompression-bomb limit.
    """
    accepted = ", ".join(sorted(allowed_formats))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as im:
                fmt = im.format or ""
    except Image.DecompressionBombError as exc:
        raise ImageTooLargeError(f"image rejected as a decompression bomb: {exc}") from exc
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError):
        raise UnsupportedMediaTypeError(
            f"the upload is {describe_bytes(data)}, not a supported image; accepted formats: {accepted}"
        ) from None
    if fmt not in allowed_formats:
        raise UnsupportedMediaTypeError(f"{fmt or 'this'} images are not accepted; accepted formats: {accepted}")
    return fmt
