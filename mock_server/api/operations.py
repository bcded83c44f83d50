"""The six documented operations, named by operationId: what each does once the pipeline has
routed, authenticated and validated its request (`perform`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..contract.violations import RequestVerdict
from ..lifecycle.outcomes import Preference
from ..lifecycle.records import Record
from .state import MockState

__all__ = ["OPERATIONS", "Answer", "perform"]


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
        gates = state.variants.state_gates.value
        return _created(state, method(account, str(verdict.path["id"]), body, preference, gates))

    return run


OPERATIONS: dict[str, Callable[[MockState, str, RequestVerdict, Preference], Answer]] = {
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
    """Run one operation on a request that passed auth and validation. Raises a lifecycle
    error (RecordNotFound, WrongState) before it changes anything."""
    return OPERATIONS[operation_id](state, account, verdict, preference)
