"""The hot path: a plain call to one of the six operations answered straight from WSGI,
without Flask's request cycle (contexts, hooks, URL adapter), which costs as much as the
rest of the mock's work together.

It takes only what it is sure of, before it changes anything: a GET or POST to a documented
path and method, with no query string, no Prefer header, valid credentials, no fault queued,
a body under the limit that parses, and a request the fast path passes. Then it runs the
same `routes.perform`, render, response check and journal as the Flask views. Everything
else, and any operation that refuses (404, a wrong state) before it changes anything, goes
to the Flask app, which answers it in full. tests/test_dispatch.py holds both paths to the
same answers and journal.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Iterable
from typing import Any

from flask import Flask, Response

from ..contract.compiled import UNPARSED, Outcome
from ..contract.validator import RequestVerdict
from ..errors import ApiError
from ..lifecycle.outcomes import Preference
from ..state import MockState
from .exchange import JsonReply, finish, internal_error
from .headers import EnvironHeaders
from .operations import perform

__all__ = ["HotPath"]

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
_NO_PREFERENCE = Preference()


class HotPath:
    """WSGI middleware in front of a mock's Flask app (`app.wsgi_app`)."""

    def __init__(self, app: Flask, state: MockState, fallback: WsgiApp) -> None:
        self.app, self.state, self.fallback = app, state, fallback
        self.answered = 0  # how many requests it answered itself, for tests and benchmarks

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        seen: dict[str, Any] = {}
        try:
            response = self._answer(environ, seen)
        except Exception as error:  # a bug on the hot path: answered as Flask would
            req = seen.get("req") or self.app.request_class(environ)
            response = finish(
                self.state,
                req,
                internal_error(self.state, req, error),
                seen.get("operation"),
                account=seen.get("account"),
            )
        if response is None:
            return self.fallback(environ, start_response)
        self.answered += 1
        return response(environ, start_response)

    def _route(self, method: str, path: str) -> tuple[str, dict[str, str]] | None:
        found = self.state.contract.route(path)
        if found is None:
            return None
        operation = found[0].get(method)  # an undocumented method: Flask's 405
        return (operation, found[1]) if operation else None

    def _answer(self, environ: dict[str, Any], seen: dict[str, Any]) -> Response | JsonReply | None:
        """The answer, or None for Flask to give it; `seen` keeps what is known so far, for
        the answer to a bug."""
        state = self.state
        method = environ.get("REQUEST_METHOD", "")
        path = environ.get("PATH_INFO", "")
        if (
            method not in ("GET", "POST")
            or environ.get("QUERY_STRING")
            or environ.get("SCRIPT_NAME")
            or "HTTP_PREFER" in environ
            or "HTTP_TRANSFER_ENCODING" in environ
            or not path.isascii()
            or state.validator.fast is None
            or len(state.faults)
        ):
            return None
        route = self._route(method, path)
        if route is None:
            return None
        operation, path_args = route
        # werkzeug's Request is kept for Flask and for a bug's answer; the hot path itself
        # reads the environ, as each of the Request's properties costs microseconds.
        req = self.app.request_class(environ)
        req.view_args = path_args
        seen.update(req=req, operation=operation)
        headers = EnvironHeaders(environ)
        try:
            account = state.authenticator.account(headers, state.variants.auth_failure_status)
        except ApiError:
            return None
        seen["account"] = account
        raw, parsed = b"", UNPARSED
        if method == "GET" and environ.get("CONTENT_LENGTH", "0") not in ("", "0"):
            return None  # a GET with a body: Flask parses it, and may refuse it
        if method == "POST":
            declared = environ.get("CONTENT_LENGTH", "")
            # Digits only, and few enough for int() (past 4,300 digits it raises).
            if not (declared.isascii() and declared.isdigit() and len(declared) <= 18):
                return None
            length, limit = int(declared), state.config.max_body_bytes
            if length > limit:
                return None
            if environ.get("wsgi.input_terminated"):
                # The server framed the body (granian, waitress): werkzeug reads it to its
                # end whatever Content-Length says, and so does the hot path.
                raw = environ["wsgi.input"].read(limit + 1)
                environ["wsgi.input"] = io.BytesIO(raw)  # for Flask, if it answers after all
                if len(raw) > limit:
                    return None
            else:
                raw = environ["wsgi.input"].read(length) if length else b""
                environ["wsgi.input"] = io.BytesIO(raw)
                if len(raw) != length:  # shorter than its Content-Length: Flask answers 400
                    return None
            media = environ.get("CONTENT_TYPE", "").partition(";")[0].strip().lower()
            if raw and media.endswith("json"):
                try:
                    parsed = json.loads(raw)
                except (ValueError, RecursionError):
                    return None
        fast = state.validator.fast_verdict(req, operation, parsed, body=raw)
        if fast.outcome is not Outcome.VALID:
            return None
        verdict = RequestVerdict(
            body=fast.body if isinstance(fast.body, dict) else None,
            path=fast.path,
            query=fast.query,
        )
        try:
            done = perform(state, operation, account, verdict, _NO_PREFERENCE)
        except ApiError:
            return None  # refused before any change: Flask answers it, and journals it
        record = done.record
        return finish(
            state,
            req,
            JsonReply(done.status, done.payload),
            operation,
            account=account,
            record_id=record.id if record is not None else None,
            record_status=record.status if record is not None else None,
            body=raw,
        )
