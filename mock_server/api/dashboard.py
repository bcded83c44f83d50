"""The dashboard at /__mock__/ui: static files (HTML, CSS, JavaScript modules; no build
step) that show the admin API and call it. Nested in the admin blueprint, so the same guard lets a
browser in (Host, Origin); the files themselves hold no data, so a mock with an admin token
serves them without it, and the page sends the token (from `#token=…` or a form) on each of
its calls, which are refused without it like any other."""

from __future__ import annotations

from flask import Blueprint, Response, abort, redirect, url_for
from werkzeug.wrappers import Response as BaseResponse

from .site import no_framing, static_file

__all__ = ["blueprint"]

blueprint = Blueprint("mock_dashboard", __name__)

# Only this page's own files, scripts included; no frame, no form posted elsewhere.
_POLICY = (
    "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; "
    "form-action 'none'; frame-ancestors 'none'"
)


@blueprint.get("")
def page() -> Response:
    response = no_framing(static_file("dashboard.html"))
    response.headers["Content-Security-Policy"] = _POLICY
    return response


_SCRIPTS = frozenset({"dashboard.js", "journal.js", "dom.js"})


@blueprint.get("/")
def with_a_slash() -> BaseResponse:
    """/__mock__/ui/ as typed: to the page, whose files are named from /__mock__/ui."""
    return redirect(url_for(".page"), 308)


@blueprint.get("/<name>.js")
def script(name: str) -> Response:
    if f"{name}.js" not in _SCRIPTS:
        abort(404)
    return static_file(f"{name}.js")


@blueprint.get("/dashboard.css")
def style() -> Response:
    return static_file("dashboard.css")
