"""JSON API: thin views that parse the request, call the pipeline and serialise the result."""
from __future__ import annotations

import time

from flask import Blueprint, Response, jsonify, request
from prometheus_client import CONTENT_TYPE_LATEST

from service.errors import (BadParameterError, MissingImageError, ModelUnavailableError,
                            PayloadTooLargeError, describe_error)
from service.openapi import build_openapi
from service.options import RequestOptions, parse_request_options
from service.settings import Settings
from service.state import get_state

bp = Blueprint("api", __name__)

MAX_FILENAME_CHARS = 255


def _check_content_length(settings: Settings) -> None:
    """Reject a declared oversize body with a precise message (werkzeug still enforces the limit
    for bodies of unknown length through MAX_CONTENT_LENGTH)."""
    length = request.content_length
    if length is not None and length > settings.max_upload_bytes:
        raise PayloadTooLargeError(
            f"the request body is {length} bytes; the limit is {settings.max_upload_bytes} bytes")


def _request_options(settings: Settings) -> RequestOptions:
    params = dict(request.args.items())
    params.update(request.form.items())
    return parse_request_options(params, max_lines_limit=settings.max_lines)


def _missing(field: str) -> MissingImageError:
    if field in request.form:
        return MissingImageError(f"field '{field}' holds text, not a file; upload the image as a file "
                                 f"(curl -F {field}=@photo.jpg)")
    got = sorted(request.files.keys())
    if got:
        return MissingImageError(f"no file in field '{field}'; got file field(s): {', '.join(got)}")
    return MissingImageError(f"send the image as multipart/form-data in a field named '{field}' "
                             f"(got Content-Type {request.mimetype or 'none'})")


@bp.post("/ocr")
def ocr() -> Response:
    state = get_state()
    _check_content_length(state.settings)
    upload = request.files.get("image")
    if upload is None:
        raise _missing("image")
    options = _request_options(state.settings)
    data = upload.read()
    if not data:
        raise MissingImageError("the uploaded file in field 'image' is empty")
    result = state.pipeline.run(data, options.ocr)
    state.metrics.observe_result(result)
    return jsonify(result.to_dict(include_boxes=options.return_boxes))


@bp.post("/ocr/batch")
def ocr_batch() -> Response:
    """One entry per file in upload order; a bad file gets an error entry, the others still run."""
    t0 = time.perf_counter()
    state = get_state()
    _check_content_length(state.settings)
    uploads = request.files.getlist("images")
    if not uploads:
        raise _missing("images")
    if len(uploads) > state.settings.max_batch_files:
        raise BadParameterError(f"{len(uploads)} files sent; the limit is {state.settings.max_batch_files}")
    options = _request_options(state.settings)
    if not state.pipeline.ready:
        raise ModelUnavailableError("the OCR model is not loaded in this worker; retry later")
    entries: list[dict[str, object]] = []
    for index, upload in enumerate(uploads):
        entry: dict[str, object] = {"index": index,
                                    "filename": (upload.filename or "")[:MAX_FILENAME_CHARS]}
        try:
            result = state.pipeline.run(upload.read(), options.ocr)
        except Exception as exc:  # expected per-file errors become entries; anything else re-raised
            info = describe_error(exc)
            if info is None or info.status_code == 503:
                raise
            entry.update(success=False, status=info.status_code,
                         error={"code": info.code, "message": info.message})
        else:
            state.metrics.observe_result(result)
            entry.update(result.to_dict(include_boxes=options.return_boxes), status=200)
        entries.append(entry)
    failed = sum(1 for e in entries if e["success"] is False)
    return jsonify({"success": True, "count": len(entries), "failed": failed, "results": entries,
                    "time_ms": int(round((time.perf_counter() - t0) * 1000))})


@bp.get("/healthz")
def healthz() -> Response:
    """Liveness: the process answers. Cheap on purpose: no model call, no I/O."""
    return jsonify({"status": "ok"})


@bp.get("/readyz")
def readyz() -> Response:
    """Readiness: the model is loaded in this worker (503 model_unavailable otherwise)."""
    info = get_state().pipeline.model_info
    if info is None:
        raise ModelUnavailableError("the OCR model is not loaded in this worker")
    return jsonify({"status": "ready", "model": info.to_dict()})


@bp.get("/metrics")
def metrics() -> Response:
    return Response(get_state().metrics.render(), content_type=CONTENT_TYPE_LATEST)


@bp.get("/openapi.json")
def openapi() -> Response:
    return jsonify(build_openapi(get_state().settings))
