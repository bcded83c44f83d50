"""The end of every API exchange, whichever path answered it (Flask's request cycle or the
hot path in `dispatch`): check the mock's own response against the contract, journal the
exchange, log its line."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from flask import Request, Response
from werkzeug.exceptions import HTTPException

from .validation import Violation

if TYPE_CHECKING:
    from .state import MockState

__all__ = ["JOURNALED_HEADERS", "finish", "internal_error", "json_response"]

log = logging.getLogger("creatify_mock")
JOURNALED_HEADERS = ("X-API-ID", "X-API-KEY", "Content-Type", "Prefer")


def json_response(status: int, payload: Any, headers: dict[str, str] | None = None) -> Response:
    # What flask.jsonify sends (compact, a final newline), without needing an app context;
    # the mock's payloads hold only JSON types.
    response = Response(
        json.dumps(payload, separators=(",", ":")) + "\n", status, mimetype="application/json"
    )
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def finish(
    state: MockState,
    req: Request,
    response: Response,
    operation: str | None,
    *,
    violations: Iterable[Violation] = (),
    account: str | None = None,
    record_id: str | None = None,
    record_status: str | None = None,
) -> Response:
    """Validate the response of an API operation (`operation` None: not one), journal the
    exchange and log it; return the response to send (a 500 in --strict mode when the
    mock broke its own contract)."""
    method = req.method
    response_violations: list[Violation] = []
    if operation is not None and method != "HEAD":
        response_violations = state.validator.check_response(req, response, operation)
        if response_violations:
            log.error(
                "creatify-mock broke its own contract on %s %s: %s",
                method,
                req.path,
                "; ".join(str(v) for v in response_violations),
            )
            if state.config.strict:
                response = json_response(
                    500,
                    {
                        "detail": "creatify-mock produced a response that breaks the contract "
                        "(a bug in the mock): " + "; ".join(str(v) for v in response_violations)
                    },
                )
    headers = req.headers
    found = tuple(violations)
    state.journal.add(
        at=state.clock.now(),
        method=method,
        path=req.path,
        query=req.query_string.decode("latin-1"),
        operation=operation,
        account=account,
        status=response.status_code,
        violations=found,
        response_violations=tuple(response_violations),
        record_id=record_id,
        record_status=record_status,
        request_headers=tuple(
            (name, value) for name in JOURNALED_HEADERS if (value := headers.get(name))
        ),
        request_body=_body_text(req),
    )
    if log.isEnabledFor(logging.INFO):
        log.info(
            "%s %s %s %s%s",
            method,
            req.full_path.rstrip("?"),
            response.status_code,
            "invalid" if found else "valid",
            f": {found[0]}" if found else "",
        )
    return response


def internal_error(state: MockState, req: Request, error: Exception) -> Response:
    """A bug in the mock: logged, kept for `errors`, answered 500 naming it."""
    log.exception("creatify-mock failed on %s %s", req.method, req.path, exc_info=error)
    state.errors.append(error)
    return json_response(
        500,
        {
            "detail": f"creatify-mock hit an internal error ({type(error).__name__}: {error}); "
            "this is a bug in the mock, please report it."
        },
    )


def _body_text(req: Request) -> str:
    try:
        raw = req.get_data(cache=True)
    except HTTPException:  # refused as too large: keep the journal small too
        return ""
    return raw[:4096].decode("utf-8", "replace")
