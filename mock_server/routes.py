"""The six documented operations, one thin view each, named by operationId."""

from __future__ import annotations

import json
from typing import Any

from flask import Flask, Response, g, request

from .outcomes import parse_prefer
from .state import MockState, state_of

__all__ = ["register"]


def _reply(data: Any, status: int = 200) -> Response:
    # What jsonify sends (compact, a final newline), less its provider's per-call overhead;
    # a record holds only JSON types, so no `default` is needed.
    return Response(
        json.dumps(data, separators=(",", ":")) + "\n", status, mimetype="application/json"
    )


def list_records() -> Response:
    state = state_of()
    ids = g.verdict.query.get("ids")
    records = state.simulator.list(g.account, [str(i) for i in ids] if ids is not None else None)
    variants = state.variants
    return _reply([state.render(r, variants) for r in records])


def retrieve(id: str) -> Response:
    state = state_of()
    record = state.simulator.get(g.account, str(g.verdict.path["id"]))
    g.record_id, g.record_status = record.id, record.status
    return _reply(state.render(record))


def _body(operation_id: str) -> dict[str, Any]:
    state = state_of()
    body = dict(state.contract.request_defaults(operation_id))
    body.update(g.verdict.body or {})
    return body


def _created(record: Any) -> Response:
    state = state_of()
    g.record_id, g.record_status = record.id, record.status
    return _reply(state.render(record), state.variants.post_status)


def gen_image() -> Response:
    state = state_of()
    preference = parse_prefer(request.headers.get("Prefer"))
    record = state.simulator.gen_image(g.account, _body("product_to_videos_gen_image"), preference)
    return _created(record)


def _follow_up(operation_id: str, action: str) -> Response:
    state = state_of()
    preference = parse_prefer(request.headers.get("Prefer"))
    method = getattr(state.simulator, action)
    record = method(g.account, str(g.verdict.path["id"]), _body(operation_id), preference)
    return _created(record)


def gen_video(id: str) -> Response:
    return _follow_up("product_to_videos_gen_video", "gen_video")


def regen_image(id: str) -> Response:
    return _follow_up("product_to_videos_regen_image", "regen_image")


def regen_video(id: str) -> Response:
    return _follow_up("product_to_videos_regen_video", "regen_video")


_VIEWS = {
    "product_to_videos_list": list_records,
    "product_to_videos_retrieve": retrieve,
    "product_to_videos_gen_image": gen_image,
    "product_to_videos_gen_video": gen_video,
    "product_to_videos_regen_image": regen_image,
    "product_to_videos_regen_video": regen_video,
}


def register(app: Flask, state: MockState) -> None:
    """Add a URL rule for each operation of the spec, at the spec's own path."""
    for operation_id, (method, template) in state.contract.operations.items():
        view = _VIEWS.get(operation_id)
        if view is None:
            raise LookupError(
                f"spec operation {operation_id!r} has no view in mock_server.routes; "
                f"expected one of {', '.join(sorted(_VIEWS))}"
            )
        rule = template.replace("{id}", "<id>")
        app.add_url_rule(rule, endpoint=operation_id, view_func=view, methods=[method])
