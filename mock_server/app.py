"""The app factory: one Flask app per mock, its state in `app.extensions`."""

from __future__ import annotations

import difflib
import json
import logging
import time

from flask import Flask, Response, g, jsonify, request
from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound
from werkzeug.routing import RequestRedirect

from . import admin, routes
from .auth import HEADERS, Authenticator
from .clock import Clock, ManualClock, SystemClock
from .config import MockConfig
from .errors import ApiError, FieldErrors, WrongState
from .journal import Journal
from .outcomes import OutcomePolicy
from .spec import Contract
from .state import EXTENSION, MockState, state_of
from .store import Store
from .validation import Validator, Violation
from .webhooks import WebhookDispatcher

__all__ = ["close_app", "create_app"]

log = logging.getLogger("creatify_mock")
ADMIN_PREFIX = "/__mock__"
JOURNALED_HEADERS = ("X-API-ID", "X-API-KEY", "Content-Type", "Prefer")


def create_app(
    config: MockConfig | None = None,
    *,
    clock: Clock | None = None,
    contract: Contract | None = None,
    webhook_transport: object | None = None,
) -> Flask:
    """Build a mock of the Product-to-Video API.

    `clock` defaults to the system's; pass a `ManualClock` to move time by hand.
    `webhook_transport` (an httpx transport) replaces the network for webhook deliveries.
    """
    config = config or MockConfig()
    contract = contract or Contract.load()
    clock = clock or SystemClock()
    store = Store(config.state_path)
    if isinstance(clock, ManualClock):
        saved = store.get_meta("clock")
        if saved is not None and float(saved) > clock.now():
            clock.set(float(saved))  # a restarted manual clock never runs backwards
    state = MockState(
        config=config,
        contract=contract,
        validator=Validator(contract),
        clock=clock,
        store=store,
        outcomes=OutcomePolicy(config.failure_rate, config.seed),
        webhooks=WebhookDispatcher(
            timeout=config.webhook_timeout,
            attempts=config.webhook_attempts,
            backoff=config.webhook_backoff,
            workers=config.webhook_workers,
            transport=webhook_transport,  # type: ignore[arg-type]
        ),
        journal=Journal(config.journal_size),
        authenticator=Authenticator(config.credentials),
    )
    if isinstance(clock, ManualClock):
        clock.subscribe(lambda now: _clock_moved(state, now))

    app = Flask("creatify_mock")
    app.config["MAX_CONTENT_LENGTH"] = config.max_body_bytes
    app.json.sort_keys = False  # type: ignore[attr-defined]  # keep the docs' key order
    app.extensions[EXTENSION] = state
    routes.register(app, state)
    app.register_blueprint(admin.blueprint, url_prefix=ADMIN_PREFIX)
    app.before_request(_before)
    app.after_request(_after)
    app.register_error_handler(ApiError, _api_error)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _internal_error)
    return app


def close_app(app: Flask) -> None:
    """Stop the app's background threads and close its store."""
    state_of(app).close()


def _clock_moved(state: MockState, now: float) -> None:
    state.simulator.settle(now)
    state.store.set_meta("clock", repr(now))


def _before() -> Response | None:
    g.started = time.perf_counter()
    g.violations = []
    g.account = None
    g.record_id = None
    g.record_status = None
    if isinstance(request.routing_exception, RequestRedirect):
        # Werkzeug would redirect to the slashed path; the contract has no such path, and
        # a 404 that names the fix teaches more than a redirect that hides the mistake.
        raise NotFound()
    if request.path.startswith(ADMIN_PREFIX) or request.routing_exception is not None:
        return None
    state = state_of()
    allowed = _allowed_methods(state)
    if request.method == "OPTIONS":
        return Response(status=200, headers={"Allow": ", ".join(allowed)})
    if request.method not in allowed:
        # GET /api/product_to_videos/gen_image/ would otherwise reach the {id}/ route;
        # DRF's router tries the literal action path first and answers 405.
        raise MethodNotAllowed(valid_methods=allowed)
    fault = state.faults.take(str(request.endpoint))
    if fault is not None:
        raise fault.error()  # before auth and validation: nothing is processed
    _authenticate(state)
    _check_json()
    verdict = state.validator.check_request(request, str(request.endpoint))
    g.violations = verdict.violations
    if verdict.violations:
        raise _refusal(verdict.violations)
    g.verdict = verdict
    return None


def _allowed_methods(state: MockState) -> list[str]:
    documented = state.contract.methods_for(request.path)
    extra = ["HEAD"] if "GET" in documented else []
    return [*documented, *extra, "OPTIONS"]


def _authenticate(state: MockState) -> None:
    for name in HEADERS:
        value = request.headers.get(name)
        if value is None or not value.strip():
            g.violations = [
                Violation(
                    "header",
                    name,
                    "security",
                    "a non-empty header",
                    "missing" if value is None else "empty",
                    f"Both X-API-ID and X-API-KEY are required; {name} is "
                    f"{'missing' if value is None else 'empty'}.",
                )
            ]
            break
    g.account = state.authenticator.account(request.headers, state.variants.auth_failure_status)


def _check_json() -> None:
    raw = request.get_data(cache=True)
    if not raw or not (request.mimetype or "").endswith("json"):
        return
    try:
        json.loads(raw)
    except ValueError as exc:
        g.violations = [
            Violation("body", "body", "json", "a JSON document", "malformed JSON", str(exc))
        ]
        raise ApiError(400, f"JSON parse error - {exc}") from None


def _refusal(violations: list[Violation]) -> ApiError:
    for v in violations:
        if v.location == "path" and v.field.split(".")[0] == "id":
            return ApiError(
                404,
                f"Not found: {v.actual} is not a record id; expected {v.expected}.",
            )
    for v in violations:
        if v.rule == "media-type":
            return ApiError(415, v.message)
    errors: dict[str, list[str]] = {}
    for v in violations:
        errors.setdefault(v.field.split(".")[0], []).append(v.message)
    return FieldErrors(errors=errors)


def _after(response: Response) -> Response:
    if request.path.startswith(ADMIN_PREFIX):
        return response
    state = state_of()
    operation = request.endpoint if request.endpoint in state.contract.operations else None
    if request.method == "OPTIONS":
        operation = None
    response_violations: list[Violation] = []
    if operation is not None and request.method != "HEAD":
        response_violations = state.validator.check_response(request, response)
        if response_violations:
            log.error(
                "creatify-mock broke its own contract on %s %s: %s",
                request.method,
                request.path,
                "; ".join(str(v) for v in response_violations),
            )
            if state.config.strict:
                response = _json(
                    500,
                    {
                        "detail": "creatify-mock produced a response that breaks the contract "
                        "(a bug in the mock): " + "; ".join(str(v) for v in response_violations)
                    },
                )
    entry = state.journal.add(
        at=state.clock.now(),
        method=request.method,
        path=request.path,
        query=request.query_string.decode("latin-1"),
        operation=operation,
        account=g.get("account"),
        status=response.status_code,
        violations=tuple(g.get("violations", ())),
        response_violations=tuple(response_violations),
        record_id=g.get("record_id"),
        record_status=g.get("record_status"),
        request_headers=tuple(
            (name, value) for name in JOURNALED_HEADERS if (value := request.headers.get(name))
        ),
        request_body=_body_text(),
    )
    first = f": {entry.violations[0]}" if entry.violations else ""
    log.info(
        "%s %s %s %s%s",
        request.method,
        request.full_path.rstrip("?"),
        response.status_code,
        entry.verdict,
        first,
    )
    return response


def _body_text() -> str:
    try:
        raw = request.get_data(cache=True)
    except HTTPException:  # refused as too large: keep the journal small too
        return ""
    return raw[:4096].decode("utf-8", "replace")


def _json(status: int, payload: object, headers: dict[str, str] | None = None) -> Response:
    response = jsonify(payload)
    response.status_code = status
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def _api_error(error: ApiError) -> Response:
    if isinstance(error, WrongState):
        g.violations = [
            Violation(
                "state",
                "status",
                "state",
                " or ".join(error.allowed),
                error.current,
                error.detail,
            )
        ]
    return _json(error.status, error.payload(), error.headers)


def _http_error(error: HTTPException) -> Response:
    status = error.code or 500
    if request.path.startswith(ADMIN_PREFIX):
        return _json(status, {"detail": error.description})
    headers = dict(error.get_headers())
    headers.pop("Content-Type", None)
    if status == 404:
        detail = _unknown_path_detail(request.path)
        g.violations = [
            Violation("path", "path", "path", "a documented path", request.path, detail)
        ]
    elif status == 405:
        detail = f'Method "{request.method}" not allowed.'
        headers["Allow"] = ", ".join(_allowed_methods(state_of()))
        g.violations = [
            Violation(
                "method", "method", "method", headers.get("Allow", ""), request.method, detail
            )
        ]
    elif status == 413:
        limit = state_of().config.max_body_bytes
        detail = (
            f"Request body too large: expected at most {limit} bytes; "
            f"got {request.content_length} bytes."
        )
        g.violations = [
            Violation(
                "body", "body", "maxBytes", f"<= {limit}", str(request.content_length), detail
            )
        ]
    else:
        detail = error.description or error.name
    return _json(status, {"detail": detail}, headers)


def _unknown_path_detail(path: str) -> str:
    contract = state_of().contract
    if not path.endswith("/") and contract.methods_for(path + "/"):
        return (
            f"Not found: {path} is not a path of this API; did you mean {path}/? "
            "Every Creatify path ends with a slash."
        )
    templates = [t for _, t in contract.operations.values()]
    close = difflib.get_close_matches(path, templates, n=1, cutoff=0.5)
    hint = f" The closest documented path is {close[0]}." if close else ""
    return f"Not found: {path} is not a path of this API.{hint}"


def _internal_error(error: Exception) -> Response:
    log.exception("creatify-mock failed on %s %s", request.method, request.path)
    state_of().errors.append(error)
    return _json(
        500,
        {
            "detail": f"creatify-mock hit an internal error ({type(error).__name__}: {error}); "
            "this is a bug in the mock, please report it."
        },
    )
