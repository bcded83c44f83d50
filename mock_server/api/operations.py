"""The six documented operations, named by operationId: what each does (`perform`), and the
Flask views that call it. The hot path in `dispatch` calls `perform` too."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import Flask, Response, g, request

from ..contract.validator import RequestVerdict
from ..lifecycle.outcomes import Preference, parse_prefer
from ..lifecycle.records import Record
from ..state import MockState, state_of
from .exchange import json_response

__all__ = ["Answer", "perform", "register"]


@dataclass(frozen=True)
class Answer:
    """What an operation answers: the JSON payload, its status, the record it served."""

    payload: Any
    status: int
    record: Record | None = None


def _list(state: MockState, account: str, verdict: RequestVerdict, _: Preference) -> Answer:
    ids = verdict.query.get("ids")
    records = state.simulator.list(account, [str(i) for i in ids] if ids is not None else None)
    variants = state.variants
    return Answer([state.render(r, variants) for r in records], 200)


def _retrieve(state: MockState, account: str, verdict: RequestVerdict, _: Preference) -> Answer:
    record = state.simulator.get(account, str(verdict.path["id"]))
    return Answer(state.render(record), 200, record)


def _body(state: MockState, operation_id: str, verdict: RequestVerdict) -> dict[str, Any]:
    body = state.contract.request_defaults(operation_id)
    body.update(verdict.body or {})
    return body


def _created(state: MockState, record: Record) -> Answer:
    return Answer(state.render(record), state.variants.post_status, record)


def _gen_image(
    state: MockState, account: str, verdict: RequestVerdict, preference: Preference
) -> Answer:
    body = _body(state, "product_to_videos_gen_image", verdict)
    return _created(state, state.simulator.gen_image(account, body, preference))


def _follow_up(action: str) -> Callable[[MockState, str, RequestVerdict, Preference], Answer]:
    operation_id = f"product_to_videos_{action}"

    def run(
        state: MockState, account: str, verdict: RequestVerdict, preference: Preference
    ) -> Answer:
        method = getattr(state.simulator, action)
        body = _body(state, operation_id, verdict)
        return _created(state, method(account, str(verdict.path["id"]), body, preference))

    return run


_OPERATIONS: dict[str, Callable[[MockState, str, RequestVerdict, Preference], Answer]] = {
    "product_to_videos_list": _list,
    "product_to_videos_retrieve": _retrieve,
    "product_to_videos_gen_image": _gen_image,
    "product_to_videos_gen_video": _follow_up("gen_video"),
    "product_to_videos_regen_image": _follow_up("regen_image"),
    "product_to_videos_regen_video": _follow_up("regen_video"),
}


def perform(
    state: MockState,
    operation_id: str,
    account: str,
    verdict: RequestVerdict,
    preference: Preference,
) -> Answer:
    """Run one operation on a request that passed auth and validation. Raises ApiError
    (404, a wrong state) before it changes anything."""
    return _OPERATIONS[operation_id](state, account, verdict, preference)


def _view(operation_id: str) -> Callable[..., Response]:
    def view(**_: str) -> Response:
        ctx = g._get_current_object()  # type: ignore[attr-defined]
        preference = parse_prefer(request.headers.get("Prefer"))
        done = perform(state_of(), operation_id, ctx.account, ctx.verdict, preference)
        if done.record is not None:
            ctx.record_id, ctx.record_status = done.record.id, done.record.status
        return json_response(done.status, done.payload)

    view.__name__ = operation_id
    return view


def register(app: Flask, state: MockState) -> None:
    """Add a URL rule for each operation of the spec, at the spec's own path."""
    for operation_id, (method, template) in state.contract.operations.items():
        if operation_id not in _OPERATIONS:
            raise LookupError(
                f"spec operation {operation_id!r} has no view in mock_server.routes; "
                f"expected one of {', '.join(sorted(_OPERATIONS))}"
            )
        rule = template.replace("{id}", "<id>")
        view = _view(operation_id)
        app.add_url_rule(rule, endpoint=operation_id, view_func=view, methods=[method])
