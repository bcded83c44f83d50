"""The contract where people look for it: `/` lists the mock's pages, `/openapi.yaml` and
`/openapi.json` serve the spec the mock runs on, and `/docs` shows it in Swagger UI, whose
files come from the flask-swagger-ui wheel (no CDN at run time), with "try it" aimed at the
mock itself. None of it is the API: the pipeline hands these paths to Flask."""

from __future__ import annotations

import functools
import html
import importlib.util
import os
from pathlib import Path
from typing import Any

from flask import Blueprint, Response, jsonify, request, send_from_directory

from .guard import ADMIN_PREFIX
from .state import state_of

__all__ = [
    "DOCS",
    "FLASK_PATHS",
    "STATIC",
    "blueprint",
    "index_response",
    "no_framing",
    "static_file",
]

DOCS = "/docs"
DOCS_SPEC = f"{DOCS}/openapi.json"
STATIC = Path(__file__).with_name("static")  # the pages' own files, shipped in the wheel
# The paths outside the admin prefix that Flask answers (the pipeline's `flask_paths`).
FLASK_PATHS = frozenset({"/", DOCS, "/openapi.yaml", "/openapi.json"})

blueprint = Blueprint("mock_site", __name__)

# (path, what it is)
_LINKS = (
    ("/api/product_to_videos/", "the API (send X-API-ID and X-API-KEY)"),
    (DOCS + "/", "the API's documentation, with try it on this mock"),
    ("/openapi.yaml", "the OpenAPI document the mock runs on (YAML)"),
    ("/openapi.json", "the same document as JSON"),
    (f"{ADMIN_PREFIX}/ui", "the dashboard: tasks, requests and their verdicts, webhooks, controls"),
    (f"{ADMIN_PREFIX}/health", "the admin API: health, clock, records, journal, webhooks…"),
)


def index_response() -> Response:
    """The links above: JSON for a client that prefers it (curl's */* does), HTML for a
    browser. At / and at the admin API's own /__mock__/."""
    wanted = request.accept_mimetypes.best_match(["application/json", "text/html"])
    if wanted != "text/html":
        return jsonify(
            name="creatify-mock",
            description="offline twin of Creatify's Product-to-Video API",
            links=[{"href": path, "title": text} for path, text in _LINKS],
        )
    items = "\n".join(
        f'<li><a href="{html.escape(path)}">{html.escape(path)}</a>: {html.escape(text)}</li>'
        for path, text in _LINKS
    )
    page = (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<link rel="icon" href="data:,"><title>creatify-mock</title></head><body>'
        "<h1>creatify-mock</h1><p>Offline twin of Creatify's Product-to-Video API.</p>"
        f"<ul>{items}</ul></body></html>"
    )
    return no_framing(Response(page, mimetype="text/html"))


@blueprint.get("/")
def index() -> Response:
    return index_response()


@blueprint.get("/openapi.json")
def openapi_json() -> Response:
    return jsonify(state_of().contract.document)


@blueprint.get("/openapi.yaml")
def openapi_yaml() -> Response:
    """The spec file as it is, comments and all; if it changed on disk since the mock loaded
    it, the document the mock runs on, written as YAML."""
    import yaml  # a tenth of the mock's start: only for this page

    contract, loader = state_of().contract, getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        raw = contract.path.read_bytes()
        same = yaml.load(raw, Loader=loader) == contract.document
    except (OSError, yaml.YAMLError):
        same = False
    if not same:
        raw = yaml.safe_dump(contract.document, sort_keys=False, allow_unicode=True).encode()
    return Response(raw, mimetype="application/yaml")


@blueprint.get(DOCS_SPEC)
def docs_spec() -> Response:
    """The document with this mock as its first server, so that Swagger UI's "try it" calls
    the mock (at the address the browser used) rather than Creatify."""
    document: dict[str, Any] = dict(state_of().contract.document)
    here = {"url": request.host_url.rstrip("/"), "description": "this mock (creatify-mock)"}
    others = [s for s in document.get("servers", []) if "{" not in str(s.get("url", ""))]
    document["servers"] = [here, *others]
    return jsonify(document)


@blueprint.get(DOCS + "/")
def docs_page() -> Response:
    return no_framing(static_file("docs.html"))


@blueprint.get(DOCS + "/docs.js")
def docs_script() -> Response:
    return static_file("docs.js")


@blueprint.get(DOCS + "/<path:name>")
def docs_asset(name: str) -> Response:
    """Swagger UI's own files, from the flask-swagger-ui wheel."""
    return send_from_directory(_swagger_ui_files(), name)


@functools.cache
def _swagger_ui_files() -> str:
    # Found, not imported: the package's module reads its own metadata when imported.
    found = importlib.util.find_spec("flask_swagger_ui")
    if found is None or not found.submodule_search_locations:
        raise RuntimeError("flask-swagger-ui is not installed; reinstall creatify-mock")
    return os.path.join(next(iter(found.submodule_search_locations)), "dist")


_TYPES = {".html": "text/html", ".js": "text/javascript", ".css": "text/css"}


def static_file(name: str) -> Response:
    """One of the pages' own files (a few KB each), read once."""
    return Response(_read_static(name), content_type=_TYPES[Path(name).suffix] + "; charset=utf-8")


@functools.cache
def _read_static(name: str) -> bytes:
    return (STATIC / name).read_bytes()


def no_framing(response: Response) -> Response:
    """No other site may show the page in a frame and have its buttons clicked unseen."""
    response.headers["Content-Security-Policy"] = "frame-ancestors 'none'"
    response.headers["X-Frame-Options"] = "DENY"
    return response
