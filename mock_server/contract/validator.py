"""The judge of the mock's messages: the compiled validator first, openapi-core (the
validator of record) for every message it does not pass.

A message the compiled validator passes is not shown to openapi-core: that is what keeps a
request in microseconds. Where it refuses what openapi-core passes, openapi-core wins and
the disagreement is logged."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any, Literal

from werkzeug.wrappers import Request

from .compiled import UNPARSED, CompiledValidator, HeaderView
from .openapi import OpenApiChecker, _raw_body
from .spec import Contract
from .violations import RequestVerdict, Verdict, Violation

__all__ = ["Validator"]

log = logging.getLogger("creatify_mock")
Judge = Literal["compiled", "openapi"]


class Validator:
    """Checks requests and responses against the contract. `compiled=False` leaves every
    message to openapi-core (a comparison, and the drift check's second opinion)."""

    def __init__(self, contract: Contract, *, compiled: bool = True) -> None:
        self.contract = contract
        self.compiled = CompiledValidator(contract.document) if compiled else None
        self.openapi = OpenApiChecker(contract)

    def schema_violations(self, schema_name: str, instance: Any) -> list[Violation]:
        """Check a value against one of the spec's component schemas (a record, a body)."""
        return self.openapi.schema_violations(schema_name, instance)

    def check_request(
        self,
        request: Request | Callable[[], Request],
        operation_id: str,
        parsed: Any = UNPARSED,
        *,
        body: bytes | None = None,
        path_args: Mapping[str, str] | None = None,
        headers: HeaderView | None = None,
        environ: Mapping[str, Any] | None = None,
        only: Judge | None = None,
    ) -> RequestVerdict:
        """Judge a request: a werkzeug Request, or a function that builds one, called only
        when a judge needs more than what the caller gave. `parsed` is its JSON body, `body`
        its bytes, `path_args` its path parameters, `headers` a view of its headers and
        `environ` its WSGI environ, when the caller has them already. `only` asks one judge
        alone: "compiled" may answer UNDECIDED, and words no violation."""
        given = _Given(request, environ)
        if only != "openapi" and self.compiled is not None:
            fast = self._compiled_request(given, operation_id, parsed, body, path_args, headers)
            if fast.verdict is Verdict.VALID or only == "compiled":
                return fast
        elif only == "compiled":
            return RequestVerdict(verdict=Verdict.UNDECIDED, reason="no compiled validator")
        werkzeug_request = given.request()
        verdict = self.openapi.check_request(werkzeug_request, operation_id)
        if verdict.violations:
            verdict.verdict = Verdict.INVALID
        elif only is None and self.compiled is not None and fast.verdict is Verdict.INVALID:
            log.warning(
                "compiled validator refused %s %s (%s) but openapi-core passed it; "
                "openapi-core wins",
                werkzeug_request.method,
                werkzeug_request.path,
                fast.reason,
            )
        return verdict

    def check_response(
        self,
        request: Request | Callable[[], Request],
        response: Any,
        operation_id: str,
        *,
        only: Judge | None = None,
    ) -> list[Violation]:
        """Judge the mock's own response to `operation_id`: the compiled validator first,
        openapi-core for what it does not pass."""
        if only != "openapi" and self.compiled is not None:
            verdict = self.compiled.check_response(
                operation_id,
                status=response.status_code,
                content_type=response.content_type,
                headers=response.headers,
                body=response.data if hasattr(response, "data") else response.get_data(),
                # A Reply keeps the data it encoded: checked as is, not decoded again.
                parsed=getattr(response, "payload", UNPARSED),
            )
            if verdict is Verdict.VALID:
                return []
        return self.openapi.check_response(_Given(request, None).request(), response)

    def _compiled_request(
        self,
        given: _Given,
        operation_id: str,
        parsed: Any,
        body: bytes | None,
        path_args: Mapping[str, str] | None,
        headers: HeaderView | None,
    ) -> RequestVerdict:
        assert self.compiled is not None
        environ = given.environ()
        if body is None:
            takes_body = self.compiled.takes_body(operation_id)
            body = _raw_body(given.request()) if takes_body else b""
        if path_args is None:
            found = self.contract.route(given.request().path)
            path_args = found[1] if found else {}
        return self.compiled.check_request(
            operation_id,
            path_args=path_args,
            query=given.request().args if environ.get("QUERY_STRING") else {},
            headers=given.request().headers if headers is None else headers,
            content_type=environ.get("CONTENT_TYPE"),
            body=body,
            parsed=parsed,
        )


class _Given:
    """The request as the caller gave it: the Request itself is built once, on first need."""

    __slots__ = ("_environ", "_made", "_source")

    def __init__(
        self, source: Request | Callable[[], Request], environ: Mapping[str, Any] | None
    ) -> None:
        self._source, self._environ = source, environ
        self._made: Request | None = source if isinstance(source, Request) else None

    def request(self) -> Request:
        if self._made is None:
            assert not isinstance(self._source, Request)
            self._made = self._source()
        return self._made

    def environ(self) -> Mapping[str, Any]:
        return self._environ if self._environ is not None else self.request().environ
