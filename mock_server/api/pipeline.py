"""The one door of the API: every request outside the admin prefix goes through these steps,
refusals included, and leaves through the same end.

    route → queued fault → auth → body → validation → operation → conclusion

A queued fault that drops the answer (a stall, a reset) ends the exchange without one, after
the operation when the fault says the operation ran.

Each step either adds to the `Exchange` or raises; `refusals` turns what it raises into the
answer, and the `Concluder` checks that answer against the contract, journals and logs it.
A plain WSGI callable, installed as `app.wsgi_app`: Flask answers only what it is handed
(the admin API and its dashboard, the index, the spec and its docs), so an API request
costs no Flask request cycle."""

from __future__ import annotations

import difflib
import io
import json
from collections.abc import Callable, Iterable
from typing import Any

from werkzeug.exceptions import HTTPException
from werkzeug.wsgi import get_input_stream

from ..contract.compiled import UNPARSED
from ..contract.spec import Contract
from ..errors import MockError
from ..lifecycle.outcomes import Preference
from .errors import BodyTooLarge, InvalidRequest, MalformedJson, MethodNotAllowed, UnknownPath
from .exchange import Exchange
from .faults import ConnectionDropped, Fault, hold
from .headers import EnvironHeaders
from .operations import perform
from .prefer import parse_prefer
from .refusals import refusal
from .replaying import replay
from .reply import Reply
from .state import MockState

__all__ = ["ApiPipeline"]

_NO_PREFERENCE = Preference()
WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class ApiPipeline:
    """WSGI middleware: the API's requests answered here, the rest handed to `fallback`
    (Flask): the paths under one of `flask_prefixes`, and those in `flask_paths`. Any other
    path is the API's, an unknown one journaled as the client's 404."""

    def __init__(
        self,
        state: MockState,
        fallback: WsgiApp,
        *,
        flask_prefixes: tuple[str, ...],
        flask_paths: frozenset[str] = frozenset(),
    ) -> None:
        self.state, self.fallback = state, fallback
        self.flask_prefixes, self.flask_paths = flask_prefixes, flask_paths
        contract = state.contract
        # A body sent to an operation that takes none is ignored, as DRF ignores it.
        self._takes_body = {o for o in contract.operations if contract.request_schema(o)}

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        path = _path(environ)
        # Two look-ups, a C call each: what an API request pays for the pages beside it.
        if path.startswith(self.flask_prefixes) or path in self.flask_paths:
            return self.fallback(environ, start_response)
        # werkzeug and Django read the method in capitals, whatever the client wrote.
        method = str(environ.get("REQUEST_METHOD", "GET")).upper()
        exchange = Exchange(environ, method, path)
        concluder, limit = self.state.concluder, self.state.config.max_body_bytes
        fault: list[Fault] = []  # a fault that drops the answer, once taken
        try:
            reply = self._answer(exchange, fault)
        except Exception as error:  # each step raises what refuses the request
            if exchange.body is None:  # refused before its body: read it for the journal
                exchange.body = _body_or_nothing(environ, limit)
            # A later reader (openapi-core, on the answer) sees only the bytes read here.
            environ["wsgi.input"] = io.BytesIO(exchange.body)
            reply = refusal(error, exchange, body_limit=limit) or concluder.internal_error(
                exchange, error
            )
        if fault:
            return self._drop(exchange, reply, fault[0], start_response)
        try:
            reply = concluder.conclude(exchange, reply)
        except Exception as error:  # a bug in the end itself: still a 500 that names it
            reply = concluder.internal_error(exchange, error)
        return reply(environ, start_response)

    def _drop(
        self, exchange: Exchange, reply: Reply, fault: Fault, start_response: Callable[..., Any]
    ) -> Any:
        """Send no answer: hold a stall (its thread only), then close or reset the connection;
        without Werkzeug's socket, answer at once as a gateway would (504, or an empty 502)."""
        environ, faults = exchange.environ, self.state.faults
        has_socket = "werkzeug.socket" in environ
        if fault.drop == "stall":
            exchange.held, gave_up = hold(environ, fault.seconds, faults.closing)
            exchange.dropped = "stall abandoned" if gave_up else "stall"
        else:
            exchange.dropped = "reset"
        if not has_socket:
            exchange.gateway = True
            reply = Reply(504 if fault.drop == "stall" else 502)
        self.state.concluder.conclude(exchange, reply)
        if has_socket:
            raise ConnectionDropped(reset=fault.drop == "reset")
        return reply(environ, start_response)

    def _answer(self, exchange: Exchange, dropping: list[Fault]) -> Reply:
        state, environ = self.state, exchange.environ
        allowed = self._route(exchange)
        if exchange.method == "OPTIONS":
            return Reply(200, headers={"Allow": ", ".join(allowed)})
        operation = exchange.operation
        assert operation is not None
        fault = state.faults.take(operation)
        if fault is not None:
            if fault.drop is None:
                raise fault.error()  # before auth and validation: nothing is processed
            dropping.append(fault)
            if not fault.processed:
                return Reply(0)  # never sent
        headers = EnvironHeaders(environ)
        exchange.account = state.authenticator.account(headers, state.variants.auth_failure_status)
        exchange.body = b""  # from here on, a refusal does not read the body again
        exchange.body = raw = _read_body(environ, self.state.config.max_body_bytes)
        environ["wsgi.input"] = io.BytesIO(raw)  # for openapi-core, should it be asked
        parsed = _parse_json(environ, raw) if operation in self._takes_body else UNPARSED
        verdict = state.validator.check_request(
            exchange.request,
            operation,
            parsed,
            body=raw,
            path_args=exchange.path_args,
            headers=headers,
            environ=environ,
        )
        if verdict.violations:
            raise InvalidRequest(verdict.violations)
        if state.recordings is not None:  # replaying: the answer comes from a recording
            reply = replay(state.recordings, exchange)  # NotRecorded when none answers
            state.faults.accepted(operation)
            return reply
        prefer = environ.get("HTTP_PREFER")
        preference = parse_prefer(prefer) if prefer else _NO_PREFERENCE
        done = perform(state, operation, exchange.account, verdict, preference)
        if done.record is not None:
            exchange.record_id, exchange.record_status = done.record.id, done.record.status
        state.faults.accepted(operation)
        return Reply.json(done.status, done.payload)

    def _route(self, exchange: Exchange) -> tuple[str, ...]:
        """The methods the request's path allows; the exchange gets its operation and path
        arguments. A path the spec does not document is a 404 naming the nearest one; a
        method it does not document there, a 405 with Allow."""
        contract = self.state.contract
        found = contract.route(exchange.path)
        if found is None:
            raise UnknownPath(exchange.path, _unknown_path_hint(contract, exchange.path))
        methods, exchange.path_args = found
        allowed = _allowed_methods(methods)
        if exchange.method != "OPTIONS":
            operation = methods.get("GET" if exchange.method == "HEAD" else exchange.method)
            if operation is None:
                raise MethodNotAllowed(exchange.method, allowed)
            exchange.operation = operation
        return allowed


def _allowed_methods(methods: dict[str, str]) -> tuple[str, ...]:
    extra = ("HEAD",) if "GET" in methods else ()
    return (*methods, *extra, "OPTIONS")


def _path(environ: dict[str, Any]) -> str:
    """The path as werkzeug reads it: PATH_INFO's bytes (latin-1 in WSGI) decoded as UTF-8."""
    raw: str = environ.get("PATH_INFO", "")
    path = raw if raw.isascii() else raw.encode("latin-1").decode("utf-8", "replace")
    return "/" + path.lstrip("/")


def _read_body(environ: dict[str, Any], limit: int) -> bytes:
    """The body, read as werkzeug reads it: a Content-Length past `limit` is a 413 and a body
    shorter than its Content-Length a 400 (werkzeug's guarded stream); a body framed
    otherwise (chunked, or ended by the server) is read to its end, past `limit` a 413."""
    if environ.get("CONTENT_LENGTH", "") in ("", "0") and not (
        "wsgi.input_terminated" in environ or "HTTP_TRANSFER_ENCODING" in environ
    ):
        return b""  # no body declared, none framed: nothing to read (most GETs)
    stream = get_input_stream(environ, max_content_length=limit)
    if "wsgi.input_terminated" not in environ:
        # A LimitedStream at the Content-Length, or an empty stream where there is none.
        raw = _read_exactly(stream, getattr(stream, "limit", 0))
    else:
        raw = _read_to_end(environ["wsgi.input"], limit)
    return raw


def _body_or_nothing(environ: dict[str, Any], limit: int) -> bytes:
    try:
        return _read_body(environ, limit)
    except (HTTPException, MockError):
        return b""


def _read_exactly(stream: Any, length: int) -> bytes:
    """`length` bytes; werkzeug's stream raises ClientDisconnected (a 400) if they never come."""
    chunks, left = [], length
    while left > 0:
        chunk = stream.read(left)
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def _read_to_end(stream: Any, limit: int) -> bytes:
    chunks, size = [], 0
    while chunk := stream.read(limit + 1 - size):
        chunks.append(chunk)
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge(limit, None)
    return b"".join(chunks)


def _parse_json(environ: dict[str, Any], raw: bytes) -> Any:
    """The body parsed as JSON when it claims to be JSON (UNPARSED otherwise)."""
    media = environ.get("CONTENT_TYPE", "").partition(";")[0].strip().lower()
    if not raw or not media.endswith("json"):
        return UNPARSED
    try:
        return json.loads(raw)
    except (ValueError, RecursionError) as exc:  # about 1,000 levels deep is too deep
        raise MalformedJson(str(exc)) from None


def _unknown_path_hint(contract: Contract, path: str) -> str:
    if not path.endswith("/") and contract.methods_for(path + "/"):
        return (
            f"Not found: {path} is not a path of this API; did you mean {path}/? "
            "Every Creatify path ends with a slash."
        )
    templates = [t for _, t in contract.operations.values()]
    close = difflib.get_close_matches(path, templates, n=1, cutoff=0.5)
    hint = f" The closest documented path is {close[0]}." if close else ""
    return f"Not found: {path} is not a path of this API.{hint}"
