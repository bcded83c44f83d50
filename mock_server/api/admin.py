"""The admin API under /__mock__/: outside the public contract, for tests and harnesses.
Each view reads its values from the request and calls one of the `Controls`."""

from __future__ import annotations

import hmac
from typing import Any

from flask import Blueprint, Response, jsonify, request

from . import dashboard
from .controls import Controls
from .errors import AdminError, ApiError
from .guard import AdminGuard
from .site import index_response
from .state import state_of

__all__ = ["TOKEN_HEADER", "blueprint"]

TOKEN_HEADER = "X-Mock-Admin-Token"
blueprint = Blueprint("mock_admin", __name__)
blueprint.register_blueprint(dashboard.blueprint, url_prefix="/ui")
# The dashboard's files hold no data: a browser gets them without the token (it cannot send a
# header when it opens a page), and the page sends the token on every call it makes.
_TOKENLESS = f"{blueprint.name}.{dashboard.blueprint.name}"


@blueprint.errorhandler(AdminError)
@blueprint.errorhandler(ApiError)
def _error(error: AdminError | ApiError) -> tuple[Response, int]:
    return jsonify(error.payload()), error.status


@blueprint.before_request
def _check_caller() -> None:
    config = state_of().config
    AdminGuard.of(config.allowed_hosts, bool(config.admin_token)).check(
        request.method, request.headers
    )
    token = config.admin_token
    if token and request.blueprint == _TOKENLESS:
        return
    if token and not hmac.compare_digest(request.headers.get(TOKEN_HEADER, ""), token):
        raise AdminError(
            401,
            f"The admin API needs the {TOKEN_HEADER} header when the mock listens beyond "
            "loopback; use the token printed in the banner.",
        )


def _controls() -> Controls:
    return Controls(state_of())


def _body() -> dict[str, Any]:
    if not request.get_data():
        return {}
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise AdminError(400, f"Expected a JSON object body; got {request.get_data()[:80]!r}.")
    return data


@blueprint.get("/")
def index() -> Response:
    return index_response()


@blueprint.get("/health")
def health() -> Response:
    return jsonify(_controls().health())


@blueprint.post("/reset")
def reset() -> Response:
    return jsonify(status="reset", records=_controls().reset())


@blueprint.get("/clock")
def clock() -> Response:
    return jsonify(_controls().clock())


@blueprint.post("/clock/advance")
def advance() -> Response:
    return jsonify(_controls().advance(_body().get("seconds")))


@blueprint.get("/records")
def records() -> Response:
    """?account=X-API-ID&limit=20&offset=0: a page of records, newest first, as
    /records/<id> shows each, with every account and its number of records."""
    args = request.args
    return jsonify(
        _controls().tasks(args.get("account"), args.get("limit", 20), args.get("offset", 0))
    )


@blueprint.get("/records/<record_id>")
def record(record_id: str) -> Response:
    return jsonify(_controls().inspect(record_id))


@blueprint.post("/records/<record_id>/finish")
def finish(record_id: str) -> Response:
    data = _body()
    outcome, reason = data.get("outcome", "success"), data.get("failed_reason")
    return jsonify(_controls().end_phase(record_id, outcome, reason))


@blueprint.get("/outcomes")
def queued_outcomes() -> Response:
    return jsonify(queued=_controls().queued_outcomes())


@blueprint.post("/outcomes")
def queue_outcome() -> Response:
    data = _body()
    return jsonify(queued=_controls().queue_outcome(data.get("outcome"), data.get("count", 1)))


@blueprint.delete("/outcomes")
def clear_outcomes() -> Response:
    return jsonify(queued=_controls().clear_outcomes())


@blueprint.get("/journal")
def journal() -> Response:
    """?since=N: the entries after N, oldest first; ?limit=M: no more than M of them. `last`
    is where to go on from, `first` the oldest entry still kept (older ones were dropped or
    cleared; null when none is kept)."""
    since = request.args.get("since", "0")
    controls = _controls()
    entries = controls.journal(since, request.args.get("limit"))
    return jsonify(
        entries=[e.as_dict() for e in entries],
        last=entries[-1].seq if entries else int(since),
        first=controls.journal_start(),
    )


@blueprint.delete("/journal")
def clear_journal() -> Response:
    _controls().clear_journal()
    return jsonify(entries=[])


@blueprint.get("/webhooks")
def webhooks() -> Response:
    """Every delivery, oldest first; ?newest=N&offset=K: a page of them, newest first. `total`
    is how many are kept."""
    args, controls = request.args, _controls()
    found = controls.webhooks(newest=args.get("newest"), offset=args.get("offset", 0))
    return jsonify(deliveries=found, total=controls.webhook_count())


@blueprint.get("/variants")
def variants() -> Response:
    return jsonify(_controls().variants())


@blueprint.get("/variants/choices")
def variant_choices() -> Response:
    return jsonify(_controls().variant_choices())


@blueprint.patch("/variants")
def set_variants() -> Response:
    return jsonify(_controls().set_variants(_body()))


@blueprint.get("/faults")
def faults() -> Response:
    return jsonify(pending=_controls().faults())


@blueprint.post("/faults")
def add_fault() -> Response:
    data = _body()
    pending = _controls().queue_fault(
        data.get("status", 429),
        data.get("operation"),
        data.get("count", 1),
        data.get("retry_after", 1),
        body=data.get("body"),
        drop=data.get("drop"),
        seconds=data.get("seconds", 0),
        processed=data.get("processed", False),
        after=data.get("after"),
    )
    return jsonify(pending=pending)
