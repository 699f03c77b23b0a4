"""Service errors, and the one place where any exception becomes an HTTP response.

Every error body has the same shape, never HTML and never a traceback::

    {"success": false, "error": {"code": "...", "message": "...", "request_id": "..."}}

Errors raised below ``service/`` (``preprocess.errors``, ``model.recognizer.ModelLoadError``) are
mapped here too, so they never need to know about HTTP.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass

from flask import Flask, Response, jsonify
from werkzeug.exceptions import HTTPException

from model.recognizer import ModelLoadError
from preprocess.errors import ImageDecodeError, ImageTooLargeError, PreprocessError, TooManyLinesError
from service.request_id import current_request_id

log = logging.getLogger(__name__)

RETRY_AFTER_S = 30


class OcrError(Exception):
    """Base of the service's own errors; each subclass knows its HTTP status and error code."""

    status_code = 500
    code = "internal_error"


class BadRequestError(OcrError):
    status_code = 400
    code = "bad_request"


class MissingImageError(BadRequestError):
    """No file under the expected field, or an empty file."""


class BadParameterError(BadRequestError):
    """A form or query parameter is unknown or has an invalid value."""


class PayloadTooLargeError(OcrError):
    status_code = 413
    code = "payload_too_large"


class UnsupportedMediaTypeError(OcrError):
    """The upload is not an image of an accepted format (decided from its bytes, not its name)."""

    status_code = 415
    code = "unsupported_media_type"


class UnprocessableImageError(OcrError):
    status_code = 422
    code = "unprocessable_image"


class InferenceError(OcrError):
    """The inference runtime failed on a valid, preprocessed image."""

    status_code = 500
    code = "inference_failed"


class ModelUnavailableError(OcrError):
    """No model is loaded in this worker; the client may retry later."""

    status_code = 503
    code = "model_unavailable"


@dataclass(frozen=True)
class ErrorInfo:
    status_code: int
    code: str
    message: str


# Deep errors that are not OcrError subclasses, most specific first.
_MAPPED: tuple[tuple[type[Exception], type[OcrError]], ...] = (
    (ImageTooLargeError, PayloadTooLargeError),
    (ImageDecodeError, UnsupportedMediaTypeError),
    (TooManyLinesError, UnprocessableImageError),
    (PreprocessError, UnprocessableImageError),
    (ModelLoadError, ModelUnavailableError),
)

_HTTP_CODES = {400: "bad_request", 404: "not_found", 405: "method_not_allowed",
               413: "payload_too_large", 415: "unsupported_media_type"}


def describe_error(exc: BaseException) -> ErrorInfo | None:
    """Status, code and client-safe message of an expected error; None for anything else.

    Used by the error handlers and by ``/ocr/batch`` for its per-file error entries.
    """
    if isinstance(exc, OcrError):
        return ErrorInfo(exc.status_code, exc.code, str(exc) or exc.code)
    for source, target in _MAPPED:
        if isinstance(exc, source):
            return ErrorInfo(target.status_code, target.code, str(exc) or target.code)
    if isinstance(exc, HTTPException):
        status = exc.code or 500
        return ErrorInfo(status, _HTTP_CODES.get(status, f"http_{status}"), exc.description or exc.name)
    return None


def error_response(info: ErrorInfo) -> Response:
    response = jsonify({"success": False, "error": {
        "code": info.code, "message": info.message, "request_id": current_request_id()}})
    response.status_code = info.status_code
    if info.status_code == 503:
        response.headers["Retry-After"] = str(RETRY_AFTER_S)
    return response


def _handle_expected(exc: Exception) -> Response:
    info = describe_error(exc)
    if info is None:
        return _handle_unexpected(exc)
    level = logging.ERROR if info.status_code >= 500 else logging.INFO
    log.log(level, "request_id=%s status=%d code=%s message=%s", current_request_id(),
            info.status_code, info.code, info.message, exc_info=info.status_code >= 500)
    return error_response(info)


def _handle_unexpected(exc: Exception) -> Response:
    if isinstance(exc, HTTPException):
        return _handle_expected(exc)
    log.exception("request_id=%s unhandled error", current_request_id())
    return error_response(ErrorInfo(500, "internal_error", "internal server error"))


def register_error_handlers(app: Flask) -> None:
    """Route every exception raised while handling a request to the JSON error body."""
    for exc_type in (OcrError, PreprocessError, ModelLoadError, HTTPException):
        app.register_error_handler(exc_type, _handle_expected)
    app.register_error_handler(Exception, _handle_unexpected)
