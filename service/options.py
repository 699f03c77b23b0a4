"""Per-request options: parsing and validation of the documented form/query parameters.

Only options that are safe to vary per request are exposed. The preprocessing switches
(equalize, binarize, ...) stay server-side in ``PreprocessConfig``: the recognizer was trained on
lines produced by exactly that configuration (training renders through the same ``preprocess``
code), so turning a step off per request would only feed it out-of-distribution input.
"""
from __future__ import annotations

from collections.abc import Mapping
import re
from dataclasses import dataclass
from typing import cast

from preprocess import MODES, Mode
from service.errors import BadParameterError

PARAMETERS: dict[str, str] = {
    "mode": "auto (default): one line unless the image clearly holds several; line: the whole "
            "image is one line; page: always segment into lines",
    "max_lines": "refuse (422) images with more text lines than this; 1..the server's limit",
    "return_boxes": "include each line's box [x0, y0, x1, y1] (default true)",
}

_DIGITS = re.compile(r"[0-9]{1,7}")
_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off"})


@dataclass(frozen=True)
class OcrOptions:
    """Options that change the recognized result; all of them are part of the cache key."""

    mode: Mode = "auto"
    max_lines: int = 200


@dataclass(frozen=True)
class RequestOptions:
    """Everything a request may set: the result options plus presentation-only switches."""

    ocr: OcrOptions
    return_boxes: bool = True


def parse_request_options(params: Mapping[str, str], *, max_lines_limit: int) -> RequestOptions:
    """Validate ``params`` (form fields and query arguments); unknown names are rejected so a
    typo is reported instead of silently ignored."""
    unknown = sorted(set(params) - set(PARAMETERS))
    if unknown:
        raise BadParameterError(f"unknown parameter(s) {', '.join(unknown)}; "
                                f"accepted: {', '.join(PARAMETERS)}")
    mode = params.get("mode", "auto").strip().lower()
    if mode not in MODES:
        raise BadParameterError(f"mode must be one of {', '.join(MODES)}; got {mode!r}")
    max_lines = max_lines_limit
    if "max_lines" in params:
        raw = params["max_lines"].strip()
        if not _DIGITS.fullmatch(raw) or not 1 <= int(raw) <= max_lines_limit:
            raise BadParameterError(f"max_lines must be an integer in 1..{max_lines_limit}; got {raw!r}")
        max_lines = int(raw)
    return RequestOptions(OcrOptions(mode=cast(Mode, mode), max_lines=max_lines),
                          return_boxes=_parse_flag("return_boxes", params.get("return_boxes", "true")))


def _parse_flag(name: str, raw: str) -> bool:
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise BadParameterError(f"{name} must be true or false; got {raw!r}")
