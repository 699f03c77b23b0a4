"""Browser UI, routed apart from the API; the page itself only calls the public JSON API."""
from __future__ import annotations

from flask import Blueprint, render_template

bp = Blueprint("web", __name__)


@bp.get("/")
def index() -> str:
    return render_template("index.html")
