"""The end of every API exchange, whichever path answered it (Flask's request cycle or the
hot path in `dispatch`): check the mock's own response against the contract, journal the
exchange, log its line."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import orjson
from flask import Request, Response
from werkzeug.exceptions import HTTPException
from werkzeug.http import HTTP_STATUS_CODES

from ..contract.validator import Violation
from .headers import environ_key

if TYPE_CHECKING:
    from ..state import MockState

__all__ = ["JOURNALED_HEADERS", "JsonReply", "finish", "internal_error", "json_response"]

log = logging.getLogger("creatify_mock")
JOURNALED_HEADERS = ("X-API-ID", "X-API-KEY", "Content-Type", "Prefer")


# Read straight from the environ: through werkzeug's view each lookup costs a microsecond.
_JOURNALED_KEYS = tuple((name, environ_key(name)) for name in JOURNALED_HEADERS)


def _encode(payload: Any) -> bytes:
    # What flask.jsonify sends: compact, with a final newline, at a tenth of json.dumps'
    # cost. orjson writes the same JSON, not always the same bytes: non-ASCII text as UTF-8
    # rather than escaped, 1e-07 as 1e-7.
    try:
        return orjson.dumps(payload, option=orjson.OPT_APPEND_NEWLINE)
    except orjson.JSONEncodeError:  # an integer past 64 bits, which json.dumps can write
        return (json.dumps(payload, separators=(",", ":")) + "\n").encode()


def json_response(status: int, payload: Any, headers: dict[str, str] | None = None) -> Response:
    # jsonify's bytes without needing an app context; the payloads hold only JSON types.
    response = Response(_encode(payload), status, mimetype="application/json")
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


class JsonReply:
    """A JSON answer as the hot path sends it: the bytes, status line and two headers that
    `json_response` sends, without building a werkzeug Response (about 25 µs). The response
    check takes `payload` as the decoded body: what the mock renders is dicts, lists, str,
    int, bool and None, which decode to themselves."""

    content_type = mimetype = "application/json"

    def __init__(self, status: int, payload: Any) -> None:
        self.status_code = status
        self.payload = payload
        self._body = _encode(payload)
        self.headers = {"Content-Type": "application/json", "Content-Length": str(len(self._body))}

    def get_data(self) -> bytes:
        return self._body

    def as_response(self) -> Response:
        """The same answer as a werkzeug Response, for openapi-core."""
        return Response(self._body, self.status_code, mimetype="application/json")

    def __call__(self, environ: dict[str, Any], start_response: Any) -> list[bytes]:
        status = f"{self.status_code} {HTTP_STATUS_CODES.get(self.status_code, 'UNKNOWN')}"
        start_response(status, list(self.headers.items()))
        return [self._body]


def finish(
    state: MockState,
    req: Request,
    response: Response | JsonReply,
    operation: str | None,
    *,
    violations: Iterable[Violation] = (),
    account: str | None = None,
    record_id: str | None = None,
    record_status: str | None = None,
    body: bytes | None = None,
) -> Response | JsonReply:
    """Validate the response of an API operation (`operation` None: not one), journal the
    exchange and log it; return the response to send (a 500 in --strict mode when the
    mock broke its own contract). `body` is the request's, when the caller has read it."""
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
    environ = req.environ
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
            (name, value) for name, key in _JOURNALED_KEYS if (value := environ.get(key))
        ),
        request_body=_body_text(req) if body is None else _shown(body),
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
    return _shown(raw)


def _shown(raw: bytes) -> str:
    return raw[:4096].decode("utf-8", "replace")
