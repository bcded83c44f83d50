"""Every error the pipeline meets, turned into its HTTP answer in one table; the journal gets
the violation it stands for, where it is the client's mistake."""

from __future__ import annotations

from collections.abc import Callable

from werkzeug.exceptions import BadRequest, RequestEntityTooLarge

from ..contract.violations import Violation
from ..lifecycle.errors import RecordNotFound, StoreFull, WrongState
from .errors import (
    ApiError,
    BodyTooLarge,
    InvalidRequest,
    MalformedJson,
    MethodNotAllowed,
    Unauthenticated,
    UnknownPath,
)
from .exchange import Exchange
from .faults import GatewayAnswer
from .reply import Reply

__all__ = ["refusal"]

Answer = Callable[[BaseException, Exchange], Reply]


def refusal(error: BaseException, exchange: Exchange, *, body_limit: int) -> Reply | None:
    """The answer to `error`, or None when it is no refusal but a bug in the mock."""
    if isinstance(error, RequestEntityTooLarge):  # werkzeug's stream reader, past the limit
        error = BodyTooLarge(body_limit, exchange.request().content_length)
    for kind in type(error).__mro__:
        answer = _TABLE.get(kind)
        if answer is not None:
            return answer(error, exchange)
    return None


def _api_error(error: BaseException, exchange: Exchange) -> Reply:
    assert isinstance(error, ApiError)
    return Reply.json(error.status, error.payload(), error.headers)


def _unauthenticated(error: BaseException, exchange: Exchange) -> Reply:
    assert isinstance(error, Unauthenticated)
    if error.header is None:  # a wrong pair: the client's to fix, but no broken contract
        return _api_error(error, exchange)
    if error.problem.startswith("swapped"):
        exchange.violations = [
            Violation(
                "header",
                error.header,
                "credentials",
                "the account's id",
                "its key (X-API-ID and X-API-KEY swapped)",
                error.detail,
            )
        ]
    else:  # a client that leaves a header out breaks the contract
        exchange.violations = [
            Violation(
                "header",
                error.header,
                "security",
                "a non-empty header",
                error.problem,
                f"Both X-API-ID and X-API-KEY are required; {error.header} is {error.problem}.",
            )
        ]
    return _api_error(error, exchange)


def _gateway_answer(error: BaseException, exchange: Exchange) -> Reply:
    assert isinstance(error, GatewayAnswer)
    exchange.gateway = True
    return Reply(error.status, error.body, error.headers())


def _unknown_path(error: BaseException, exchange: Exchange) -> Reply:
    assert isinstance(error, UnknownPath)
    exchange.violations = [
        Violation("path", "path", "path", "a documented path", error.path, error.hint)
    ]
    return Reply.json(404, {"detail": error.hint})


def _method_not_allowed(error: BaseException, exchange: Exchange) -> Reply:
    assert isinstance(error, MethodNotAllowed)
    allowed = ", ".join(error.allowed)
    detail = f'Method "{error.method}" not allowed.'
    exchange.violations = [Violation("method", "method", "method", allowed, error.method, detail)]
    return Reply.json(405, {"detail": detail}, {"Allow": allowed})


def _body_too_large(error: BaseException, exchange: Exchange) -> Reply:
    assert isinstance(error, BodyTooLarge)
    got = f"{error.declared} bytes" if error.declared is not None else "a longer chunked body"
    detail = f"Request body too large: expected at most {error.limit} bytes; got {got}."
    exchange.violations = [
        Violation("body", "body", "maxBytes", f"<= {error.limit}", str(error.declared), detail)
    ]
    return Reply.json(413, {"detail": detail})


def _bad_request(error: BaseException, exchange: Exchange) -> Reply:
    # A body shorter than its Content-Length (the client stopped sending), as werkzeug says.
    assert isinstance(error, BadRequest)
    return Reply.json(400, {"detail": error.description})


def _malformed_json(error: BaseException, exchange: Exchange) -> Reply:
    assert isinstance(error, MalformedJson)
    exchange.violations = [
        Violation("body", "body", "json", "a JSON document", "malformed JSON", error.reason)
    ]
    return Reply.json(400, {"detail": f"JSON parse error - {error.reason}"})


def _invalid_request(error: BaseException, exchange: Exchange) -> Reply:
    assert isinstance(error, InvalidRequest)
    found = exchange.violations = error.violations
    for v in found:
        if v.location == "path" and v.field.split(".")[0] == "id":
            detail = f"Not found: {v.actual} is not a record id; expected {v.expected}."
            return Reply.json(404, {"detail": detail})
    for v in found:
        if v.rule == "media-type":
            return Reply.json(415, {"detail": v.message})
    errors: dict[str, list[str]] = {}
    for v in found:
        errors.setdefault(v.field.split(".")[0], []).append(v.message)
    return Reply.json(400, errors)


def _record_not_found(error: BaseException, exchange: Exchange) -> Reply:
    return Reply.json(404, {"detail": "Not found."})


def _wrong_state(error: BaseException, exchange: Exchange) -> Reply:
    assert isinstance(error, WrongState)
    exchange.violations = [
        Violation(
            "state", "status", "state", " or ".join(error.allowed), error.current, error.detail
        )
    ]
    return Reply.json(400, {"detail": error.detail})


def _store_full(error: BaseException, exchange: Exchange) -> Reply:
    # 503, as the API answers when it cannot take work: documented for every operation.
    return Reply.json(503, {"detail": str(error)}, {"Retry-After": "60"})


_TABLE: dict[type[BaseException], Answer] = {
    Unauthenticated: _unauthenticated,
    ApiError: _api_error,  # FieldErrors, a fault, a bad Prefer header
    GatewayAnswer: _gateway_answer,  # a queued 502/503/504 in HTML or empty
    UnknownPath: _unknown_path,
    MethodNotAllowed: _method_not_allowed,
    BodyTooLarge: _body_too_large,
    BadRequest: _bad_request,
    MalformedJson: _malformed_json,
    InvalidRequest: _invalid_request,
    RecordNotFound: _record_not_found,
    WrongState: _wrong_state,
    StoreFull: _store_full,
}
