"""The admin API under /__mock__/: outside the public contract, for tests and harnesses."""

from __future__ import annotations

import hmac
from typing import Any

from flask import Blueprint, Response, jsonify, request

from ..errors import AdminError, ApiError
from ..lifecycle.clock import ManualClock
from ..lifecycle.outcomes import Outcome
from ..state import MockState, state_of
from .faults import Fault
from .render import format_time

__all__ = ["TOKEN_HEADER", "blueprint"]

TOKEN_HEADER = "X-Mock-Admin-Token"
blueprint = Blueprint("mock_admin", __name__)


@blueprint.errorhandler(AdminError)
@blueprint.errorhandler(ApiError)
def _error(error: AdminError | ApiError) -> tuple[Response, int]:
    return jsonify(error.payload()), error.status


@blueprint.before_request
def _check_token() -> None:
    token = state_of().config.admin_token
    if token and not hmac.compare_digest(request.headers.get(TOKEN_HEADER, ""), token):
        raise AdminError(
            401,
            f"The admin API needs the {TOKEN_HEADER} header when the mock listens beyond "
            "loopback; use the token printed in the banner.",
        )


def _body() -> dict[str, Any]:
    if not request.get_data():
        return {}
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise AdminError(400, f"Expected a JSON object body; got {request.get_data()[:80]!r}.")
    return data


def _number(data: dict[str, Any], key: str, *, default: float | None = None) -> float:
    value = data.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise AdminError(400, f"{key}: expected a number; got {value!r}.")
    return float(value)


def _count(data: dict[str, Any]) -> int:
    count = data.get("count", 1)
    if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= 1000:
        raise AdminError(400, f"count: expected an integer from 1 to 1000; got {count!r}.")
    return count


def _clock_view(state: MockState) -> dict[str, Any]:
    now = state.clock.now()
    return {
        "mode": "manual" if state.clock.manual else "system",
        "now": format_time(now, state.variants.timestamps),
        "epoch": now,
    }


@blueprint.get("/health")
def health() -> Response:
    state = state_of()
    return jsonify(
        status="ok",
        records=state.store.count(),
        clock=_clock_view(state),
        spec=str(state.contract.path),
        variants=state.variants.as_dict(),
    )


@blueprint.post("/reset")
def reset() -> Response:
    state = state_of()
    state.reset()
    return jsonify(status="reset", records=state.store.count())


@blueprint.get("/clock")
def clock() -> Response:
    return jsonify(_clock_view(state_of()))


@blueprint.post("/clock/advance")
def advance() -> Response:
    state = state_of()
    if not isinstance(state.clock, ManualClock):
        raise AdminError(
            409,
            "The clock is the system's and cannot be moved; start the mock with "
            "--manual-clock to move time by hand.",
        )
    seconds = _number(_body(), "seconds")
    if seconds < 0:
        raise AdminError(400, f"seconds: expected a number >= 0; got {seconds}.")
    state.clock.advance(seconds)
    return jsonify(_clock_view(state))


@blueprint.get("/records/<record_id>")
def record(record_id: str) -> Response:
    state = state_of()
    found = state.simulator.peek(record_id)
    if found is None:
        raise AdminError(404, f"No record has id {record_id!r}.")
    return jsonify(_record_view(state, found))


def _record_view(state: MockState, record: Any) -> dict[str, Any]:
    form = state.variants.timestamps
    return {
        "record": state.render(record),
        "account": record.account,
        "task": record.task,
        "plan": [{"at": format_time(s.at, form), "status": s.status} for s in record.steps],
        "failure": (
            {"reason": record.failure_reason, "source": record.failure_source}
            if record.failure_reason
            else None
        ),
    }


@blueprint.post("/records/<record_id>/finish")
def finish(record_id: str) -> Response:
    data = _body()
    outcome = data.get("outcome", "success")
    if outcome not in ("success", "failed"):
        raise AdminError(400, f"outcome: expected 'success' or 'failed'; got {outcome!r}.")
    reason = data.get("failed_reason")
    if reason is not None and not isinstance(reason, str):
        raise AdminError(400, f"failed_reason: expected a string; got {reason!r}.")
    state = state_of()
    if state.simulator.peek(record_id) is None:
        raise AdminError(404, f"No record has id {record_id!r}.")
    finished = state.simulator.finish(record_id, fail=outcome == "failed", reason=reason)
    return jsonify(_record_view(state, finished))


@blueprint.get("/outcomes")
def queued_outcomes() -> Response:
    return jsonify(queued=state_of().outcomes.queued())


@blueprint.post("/outcomes")
def queue_outcome() -> Response:
    data = _body()
    outcome = Outcome.parse(data.get("outcome"), "outcome")
    count = _count(data)
    state = state_of()
    state.outcomes.enqueue(outcome, count)
    return jsonify(queued=state.outcomes.queued())


@blueprint.delete("/outcomes")
def clear_outcomes() -> Response:
    state = state_of()
    state.outcomes.clear()
    return jsonify(queued=state.outcomes.queued())


@blueprint.get("/journal")
def journal() -> Response:
    since = request.args.get("since", "0")
    if not since.isdigit():
        raise AdminError(400, f"since: expected a non-negative integer; got {since!r}.")
    entries = state_of().journal.entries(int(since))
    return jsonify(
        entries=[e.as_dict() for e in entries],
        last=entries[-1].seq if entries else int(since),
    )


@blueprint.delete("/journal")
def clear_journal() -> Response:
    state_of().journal.clear()
    return jsonify(entries=[])


@blueprint.get("/webhooks")
def webhooks() -> Response:
    return jsonify(deliveries=[d.as_dict() for d in state_of().webhooks.deliveries()])


@blueprint.get("/variants")
def variants() -> Response:
    return jsonify(state_of().variants.as_dict())


@blueprint.patch("/variants")
def set_variants() -> Response:
    try:
        updated = state_of().set_variants(_body())
    except (TypeError, ValueError) as exc:
        raise AdminError(400, str(exc)) from None
    return jsonify(updated.as_dict())


@blueprint.get("/faults")
def faults() -> Response:
    return jsonify(pending=state_of().faults.pending())


@blueprint.post("/faults")
def add_fault() -> Response:
    data = _body()
    state = state_of()
    operation = data.get("operation")
    if operation is not None and operation not in state.contract.operations:
        valid = ", ".join(sorted(state.contract.operations))
        raise AdminError(400, f"operation: expected null or one of {valid}; got {operation!r}.")
    count = _count(data)
    retry_after = data.get("retry_after", 1)
    if isinstance(retry_after, bool) or not isinstance(retry_after, int):
        raise AdminError(400, f"retry_after: expected whole seconds; got {retry_after!r}.")
    state.faults.add(Fault(int(data.get("status", 429)), operation, retry_after), count)
    return jsonify(pending=state.faults.pending())
