"""The app factory: one Flask app per mock, its state in `app.extensions`."""

from __future__ import annotations

import difflib
import json
import logging
from typing import Any

from flask import Flask, Request, Response, current_app, g, request
from werkzeug.exceptions import (
    HTTPException,
    MethodNotAllowed,
    NotFound,
    RequestEntityTooLarge,
)
from werkzeug.routing import RequestRedirect

from .api import admin, operations
from .api.auth import HEADERS, Authenticator
from .api.dispatch import HotPath
from .api.exchange import finish, internal_error, json_response
from .api.journal import Journal
from .api.webhooks import WebhookDispatcher
from .config import MockConfig
from .contract.compiled import UNPARSED
from .contract.spec import Contract
from .contract.validator import Validator, Violation
from .errors import ApiError, FieldErrors, WrongState
from .lifecycle.clock import Clock, ManualClock, SystemClock
from .lifecycle.outcomes import OutcomePolicy
from .lifecycle.store import Store
from .state import EXTENSION, MockState, state_of

__all__ = ["close_app", "create_app"]

log = logging.getLogger("creatify_mock")
ADMIN_PREFIX = "/__mock__"


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
    operations.register(app, state)
    app.register_blueprint(admin.blueprint, url_prefix=ADMIN_PREFIX)
    app.before_request(_before)
    app.after_request(_after)
    app.register_error_handler(ApiError, _api_error)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _internal_error)
    if config.hot_path:
        app.wsgi_app = HotPath(app, state, app.wsgi_app)  # type: ignore[method-assign]
    return app


def close_app(app: Flask) -> None:
    """Stop the app's background threads and close its store."""
    state_of(app).close()


def _clock_moved(state: MockState, now: float) -> None:
    state.simulator.settle(now)
    state.store.set_meta("clock", repr(now))


def _before() -> Response | None:
    # One lookup each of the request and g proxies: this runs on every request, and each
    # proxied attribute access costs about a microsecond.
    req = request._get_current_object()  # type: ignore[attr-defined]
    ctx = g._get_current_object()  # type: ignore[attr-defined]
    ctx.violations = []
    ctx.account = None
    ctx.record_id = None
    ctx.record_status = None
    routing_exception = req.routing_exception
    if isinstance(routing_exception, RequestRedirect):
        # Werkzeug would redirect to the slashed path; the contract has no such path, and
        # a 404 that names the fix teaches more than a redirect that hides the mistake.
        raise NotFound()
    if routing_exception is not None or req.path.startswith(ADMIN_PREFIX):
        return None
    state: MockState = current_app.extensions[EXTENSION]
    allowed = _allowed_methods(state, req.path)
    if req.method == "OPTIONS":
        return Response(status=200, headers={"Allow": ", ".join(allowed)})
    if req.method not in allowed:
        # GET /api/product_to_videos/gen_image/ would otherwise reach the {id}/ route;
        # DRF's router tries the literal action path first and answers 405.
        raise MethodNotAllowed(valid_methods=allowed)
    operation = str(req.endpoint)
    fault = state.faults.take(operation)
    if fault is not None:
        raise fault.error()  # before auth and validation: nothing is processed
    _authenticate(state, req, ctx)
    parsed = _parse_json(req, ctx)
    verdict = state.validator.check_request(req, operation, parsed)
    ctx.violations = verdict.violations
    if verdict.violations:
        raise _refusal(verdict.violations)
    ctx.verdict = verdict
    return None


def _allowed_methods(state: MockState, path: str) -> list[str]:
    documented = state.contract.methods_for(path)
    extra = ["HEAD"] if "GET" in documented else []
    return [*documented, *extra, "OPTIONS"]


def _authenticate(state: MockState, req: Request, ctx: Any) -> None:
    headers = req.headers
    for name in HEADERS:
        value = headers.get(name)
        if value is None or not value.strip():
            ctx.violations = [
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
    ctx.account = state.authenticator.account(headers, state.variants.auth_failure_status)


def _parse_json(req: Request, ctx: Any) -> Any:
    """The body parsed as JSON when it claims to be JSON (UNPARSED otherwise); 400 if it
    does not parse."""
    raw = req.get_data(cache=True)
    _refuse_a_cut_stream(req, raw)
    if not raw or not (req.mimetype or "").endswith("json"):
        return UNPARSED
    try:
        return json.loads(raw)
    except (ValueError, RecursionError) as exc:  # about 1,000 levels deep is too deep
        ctx.violations = [
            Violation("body", "body", "json", "a JSON document", "malformed JSON", str(exc))
        ]
        raise ApiError(400, f"JSON parse error - {exc}") from None


def _refuse_a_cut_stream(req: Request, raw: bytes) -> None:
    """A chunked body (no Content-Length) is cut at the limit by werkzeug, not refused; a
    byte left in the stream after it means the body was larger."""
    limit = req.max_content_length
    if (
        req.content_length is None
        and limit is not None
        and len(raw) >= limit
        and req.environ["wsgi.input"].read(1)
    ):
        raise RequestEntityTooLarge()


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
    req = request._get_current_object()  # type: ignore[attr-defined]
    if req.path.startswith(ADMIN_PREFIX):
        return response
    ctx = g._get_current_object()  # type: ignore[attr-defined]
    state: MockState = current_app.extensions[EXTENSION]
    operation = req.endpoint if req.endpoint in state.contract.operations else None
    return finish(
        state,
        req,
        response,
        None if req.method == "OPTIONS" else operation,
        violations=getattr(ctx, "violations", ()),
        account=getattr(ctx, "account", None),
        record_id=getattr(ctx, "record_id", None),
        record_status=getattr(ctx, "record_status", None),
    )


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
    return json_response(error.status, error.payload(), error.headers)


def _http_error(error: HTTPException) -> Response:
    status = error.code or 500
    if request.path.startswith(ADMIN_PREFIX):
        return json_response(status, {"detail": error.description})
    headers = dict(error.get_headers())
    headers.pop("Content-Type", None)
    if status == 404:
        detail = _unknown_path_detail(request.path)
        g.violations = [
            Violation("path", "path", "path", "a documented path", request.path, detail)
        ]
    elif status == 405:
        detail = f'Method "{request.method}" not allowed.'
        headers["Allow"] = ", ".join(_allowed_methods(state_of(), request.path))
        g.violations = [
            Violation(
                "method", "method", "method", headers.get("Allow", ""), request.method, detail
            )
        ]
    elif status == 413:
        limit = state_of().config.max_body_bytes
        got = request.content_length
        detail = f"Request body too large: expected at most {limit} bytes; " + (
            f"got {got} bytes." if got is not None else "got a longer chunked body."
        )
        g.violations = [
            Violation(
                "body", "body", "maxBytes", f"<= {limit}", str(request.content_length), detail
            )
        ]
    else:
        detail = error.description or error.name
    return json_response(status, {"detail": detail}, headers)


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
    req = request._get_current_object()  # type: ignore[attr-defined]
    return internal_error(state_of(), req, error)
