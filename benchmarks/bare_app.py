"""The baselines: one bare Flask app, served as `creatify-mock serve` serves the mock
(`python -m benchmarks.bare_app PORT`: waitress through mock_server.serving, 16 threads).

- GET /api/product_to_videos/<id>/ answers a constant record: Flask's floor for a GET, with
  no auth, no lookup and no validation.
- POST /api/product_to_videos/gen_image/ does what any implementation of gen_image has to:
  it parses the JSON body, validates it with jsonschema-rs against the request-body schema
  the mock serves (spec/openapi.yaml, formats checked), inserts the new record into SQLite
  (one table, the record as JSON text, committed per request) and answers the record (200).
  An invalid body gets a 400. No auth, no journal, no simulation, no response validation.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import uuid
from datetime import datetime
from pathlib import Path
from typing import Any

import jsonschema_rs
import yaml
from flask import Flask, Response, request

SPEC = Path(__file__).resolve().parent.parent / "spec" / "openapi.yaml"
OPERATION = "product_to_videos_gen_image"

RECORD = json.dumps(
    {
        "id": "3c90c3cc-0d44-4b50-8888-8dd25736052a",
        "type": "product_anyshot",
        "product_url": "https://example.com/shoe.jpg",
        "aspect_ratio": "16x9",
        "override_avatar": None,
        "motion_style": None,
        "product_showcase_url": None,
        "image_prompt": None,
        "video_prompt": None,
        "status": "initializing",
        "generated_video_url": None,
        "generated_photo_url": None,
        "created_at": "2025-05-30T04:11:05.449603-07:00",
        "updated_at": "2025-05-30T04:11:05.449603-07:00",
        "webhook_url": None,
        "failed_reason": None,
        "regen_type": None,
        "regen_source_id": None,
    }
)


def _deref(spec: dict[str, Any], node: Any) -> Any:
    """`node`, with a local `$ref` (or a chain of them) followed."""
    while isinstance(node, dict) and "$ref" in node:
        target: Any = spec
        for part in str(node["$ref"]).removeprefix("#/").split("/"):
            target = target[part.replace("~1", "/").replace("~0", "~")]
        node = target
    return node


def request_schema(spec: dict[str, Any], operation_id: str) -> dict[str, Any]:
    """The operation's application/json request-body schema, compilable on its own: the
    components its `$ref`s point into travel beside it."""
    for item in spec["paths"].values():
        for operation in _deref(spec, item).values():
            if isinstance(operation, dict) and operation.get("operationId") == operation_id:
                body = _deref(spec, operation["requestBody"])
                schema = body["content"]["application/json"]["schema"]
                return {**schema, "components": spec.get("components", {})}
    raise LookupError(f"no operation {operation_id!r} in {SPEC}")


_spec = yaml.safe_load(SPEC.read_text(encoding="utf-8"))
SCHEMA = request_schema(_spec, OPERATION)
# OpenAPI 3.1's dialect is draft 2020-12. Formats are annotations there unless asserted; the
# mock asserts the spec's (uri, uuid), so this does too, with jsonschema-rs's own checks.
VALIDATOR = jsonschema_rs.Draft202012Validator(SCHEMA, validate_formats=True)
# What a record holds before its body is applied: every field null, the schema's defaults.
BLANK = dict.fromkeys(json.loads(RECORD), None) | {
    name: prop["default"]
    for name, prop in _deref(_spec, SCHEMA)["properties"].items()
    if isinstance(prop, dict) and "default" in prop
}
del _spec

DB = sqlite3.connect(":memory:", check_same_thread=False)
DB.execute("CREATE TABLE records (id TEXT PRIMARY KEY, data TEXT NOT NULL)")
DB_LOCK = threading.Lock()

app = Flask("bare")


@app.get("/api/product_to_videos/<record_id>/")
def retrieve(record_id: str) -> Response:
    return Response(RECORD, mimetype="application/json")


@app.post("/api/product_to_videos/gen_image/")
def gen_image() -> Response:
    body = request.get_json(silent=True)
    if body is None:
        return _bad_request(["The body is not JSON."])
    if not VALIDATOR.is_valid(body):
        return _bad_request([error.message for error in VALIDATOR.iter_errors(body)])
    now = datetime.now().astimezone().isoformat()
    record = BLANK | body
    record |= {"id": str(uuid.uuid4()), "status": "initializing"}
    record |= {"created_at": now, "updated_at": now}
    text = json.dumps(record, separators=(",", ":"))
    with DB_LOCK, DB:  # `with DB`: committed when the block ends
        DB.execute("INSERT INTO records (id, data) VALUES (?, ?)", (record["id"], text))
    return Response(text, mimetype="application/json")


def _bad_request(messages: list[str]) -> Response:
    return Response(json.dumps({"detail": messages}), status=400, mimetype="application/json")


if __name__ == "__main__":
    import sys

    from mock_server.serving import serve_safely

    serve_safely(app, "127.0.0.1", int(sys.argv[1]), 16, lambda url: None)
