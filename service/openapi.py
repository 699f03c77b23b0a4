"""Hand-written OpenAPI 3.1 description of the API (served at /openapi.json).

Written by hand rather than generated: the API is small, and the document is the contract the
README points to; tests check that every API route is described here.
"""
from __future__ import annotations

from service.options import PARAMETERS
from service.settings import Settings

_ERROR_CODES = {
    "400": ("bad_request", "missing or empty file field, unknown parameter or invalid value"),
    "413": ("payload_too_large", "request body over the upload limit, or image over the pixel limit"),
    "415": ("unsupported_media_type", "the bytes are not an image of an accepted format"),
    "422": ("unprocessable_image", "more text lines than max_lines, or more line length than the server allows"),
    "500": ("internal_error", "inference_failed when the model runtime fails, else internal_error"),
    "503": ("model_unavailable", "the model is not loaded in this worker; see Retry-After"),
}


def _error_responses(*statuses: str) -> dict[str, object]:
    return {status: {"description": f"{_ERROR_CODES[status][0]}: {_ERROR_CODES[status][1]}",
                     "content": json_of("Error")}
            for status in statuses}


def json_of(schema: str) -> dict[str, object]:
    return {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}}


def _option_properties(settings: Settings) -> dict[str, object]:
    return {
        "mode": {"type": "string", "enum": ["auto", "line", "page"], "default": "auto",
                 "description": PARAMETERS["mode"]},
        "max_lines": {"type": "integer", "minimum": 1, "maximum": settings.max_lines,
                      "default": settings.max_lines, "description": PARAMETERS["max_lines"]},
        "return_boxes": {"type": "boolean", "default": True, "description": PARAMETERS["return_boxes"]},
    }


def _schemas() -> dict[str, object]:
    number = {"type": "number"}
    return {
        "Line": {"type": "object", "required": ["text", "confidence"], "properties": {
            "text": {"type": "string"},
            "confidence": {"type": "number", "minimum": 0, "maximum": 1,
                           "description": "mean probability of the emitted characters"},
            "box": {"type": "array", "items": {"type": "integer"}, "minItems": 4, "maxItems": 4,
                    "description": "[x0, y0, x1, y1] in pixels of the EXIF-upright image"}}},
        "OcrResult": {"type": "object", "required": ["success", "text", "time_ms", "lines", "md5", "cached",
                                                     "model", "timings"], "properties": {
            "success": {"type": "boolean", "const": True},
            "text": {"type": "array", "items": {"type": "string"}, "description": "line texts in reading order"},
            "time_ms": {"type": "integer", "description": "server time for this image"},
            "lines": {"type": "array", "items": {"$ref": "#/components/schemas/Line"},
                      "description": "empty when no text was found (still a 200)"},
            "md5": {"type": "string", "pattern": "^[0-9a-f]{32}$"},
            "cached": {"type": "boolean", "description": "true when the result came from the cache"},
            "model": {"type": "object", "required": ["name", "version", "quantized"], "properties": {
                "name": {"type": "string"}, "version": {"type": "string"}, "quantized": {"type": "boolean"}}},
            "timings": {"type": "object", "description": "stage times of this response (0 on a cache hit)",
                        "properties": {"decode_ms": number, "preprocess_ms": number,
                                       "inference_ms": number, "total_ms": number}},
            "image": {"type": "object", "properties": {"width": {"type": "integer"},
                                                       "height": {"type": "integer"}}}}},
        "BatchEntry": {"type": "object", "required": ["index", "filename", "success", "status"],
                       "description": "an OcrResult plus index/filename/status, or an error entry",
                       "properties": {
                           "index": {"type": "integer"}, "filename": {"type": "string"},
                           "success": {"type": "boolean"}, "status": {"type": "integer"},
                           "error": {"type": "object", "properties": {
                               "code": {"type": "string"}, "message": {"type": "string"}}}}},
        "BatchResult": {"type": "object", "required": ["success", "count", "failed", "results", "time_ms"],
                        "properties": {
                            "success": {"type": "boolean"}, "count": {"type": "integer"},
                            "failed": {"type": "integer"}, "time_ms": {"type": "integer"},
                            "results": {"type": "array", "items": {"$ref": "#/components/schemas/BatchEntry"}}}},
        "Error": {"type": "object", "required": ["success", "error"], "properties": {
            "success": {"type": "boolean", "const": False},
            "error": {"type": "object", "required": ["code", "message", "request_id"], "properties": {
                "code": {"type": "string", "enum": sorted({c for c, _ in _ERROR_CODES.values()}
                                                          | {"inference_failed", "not_found",
                                                             "method_not_allowed"})},
                "message": {"type": "string"},
                "request_id": {"type": "string"}}}}},
    }


def build_openapi(settings: Settings) -> dict[str, object]:
    """The OpenAPI document, with this server's limits filled in."""
    formats = ", ".join(sorted(settings.allowed_formats))
    options = _option_properties(settings)
    single = {"type": "object", "required": ["image"], "properties": {
        "image": {"type": "string", "format": "binary",
                  "description": f"the image ({formats}); the type is decided from the bytes"},
        **options}}
    batch = {"type": "object", "required": ["images"], "properties": {
        "images": {"type": "array", "maxItems": settings.max_batch_files,
                   "items": {"type": "string", "format": "binary"}},
        **options}}
    return {
        "openapi": "3.1.0",
        "info": {"title": "OCR service", "version": "1.0.0",
                 "description": "Chinese + English text line recognition (int8 CRNN, CPU). "
                                f"Uploads up to {settings.max_upload_bytes} bytes and "
                                f"{settings.max_pixels} pixels. Every response carries X-Request-ID."},
        "paths": {
            "/ocr": {"post": {
                "summary": "Recognize the text of one image",
                "requestBody": {"required": True, "content": {"multipart/form-data": {"schema": single}}},
                "responses": {"200": {"description": "recognized lines", "content": json_of("OcrResult")},
                              **_error_responses("400", "413", "415", "422", "500", "503")}}},
            "/ocr/batch": {"post": {
                "summary": "Recognize several images; one entry per file, in upload order",
                "requestBody": {"required": True, "content": {"multipart/form-data": {"schema": batch}}},
                "responses": {"200": {"description": "per-file results or errors",
                                      "content": json_of("BatchResult")},
                              **_error_responses("400", "413", "500", "503")}}},
            "/healthz": {"get": {"summary": "Liveness: the process answers",
                                 "responses": {"200": {"description": "alive"}}}},
            "/readyz": {"get": {"summary": "Readiness: the model is loaded",
                                "responses": {"200": {"description": "ready"},
                                              **_error_responses("503")}}},
            "/metrics": {"get": {"summary": "Prometheus metrics (text exposition format)",
                                 "responses": {"200": {"description": "metrics",
                                                       "content": {"text/plain": {"schema": {"type": "string"}}}}}}},
            "/openapi.json": {"get": {"summary": "This document",
                                      "responses": {"200": {"description": "OpenAPI 3.1 document"}}}},
        },
        "components": {"schemas": _schemas()},
    }
