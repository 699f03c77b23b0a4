"""The id that ties a response, its error body and its log lines together."""
from __future__ import annotations

import re
import uuid

from flask import g, has_request_context, request

HEADER = "X-Request-ID"
_VALID = re.compile(r"[A-Za-z0-9._-]{1,64}")


def current_request_id() -> str:
    """The request's id: the caller's ``X-Request-ID`` when it is sane, else a new uuid4 hex."""
    if not has_request_context():
        return uuid.uuid4().hex
    rid = g.get("request_id")
    if rid is None:
        incoming = request.headers.get(HEADER, "")
        rid = incoming if _VALID.fullmatch(incoming) else uuid.uuid4().hex
        g.request_id = rid
    return rid
