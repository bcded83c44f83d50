"""One API exchange as it moves through the pipeline (`Exchange`), and its end (`Concluder`):
the mock's own response checked against the contract, the exchange journaled, its line
logged."""

from __future__ import annotations

import logging
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from werkzeug.wrappers import Request

from ..contract.validator import Validator
from ..contract.violations import Violation
from ..lifecycle.clock import Clock
from .journal import Journal, journaled_headers
from .reply import Reply

__all__ = ["Concluder", "Exchange"]

log = logging.getLogger("creatify_mock")
_SHOWN_BODY_BYTES = 4096
_SHOWN_ERROR_BYTES = 1024
_KEPT_RESPONSE_HEADERS = ("Retry-After", "Content-Type")


@dataclass(slots=True)
class Exchange:
    """What is known of one request so far, carried from step to step of the pipeline."""

    environ: dict[str, Any]
    method: str
    path: str
    operation: str | None = None  # the operationId once routed (None: no operation)
    path_args: dict[str, str] = field(default_factory=dict)
    account: str | None = None
    body: bytes | None = None  # None until the body step: the bytes read, or b""
    record_id: str | None = None
    record_status: str | None = None  # the status the record was served with
    violations: list[Violation] = field(default_factory=list)
    failed: bool = False  # answered with a bug of the mock's own: no contract to check
    replayed: str | None = None  # replaying: "answer" (from a recording) or "miss" (none)
    gateway: bool = False  # answered as a gateway in front of the API: no contract to check
    dropped: str | None = None  # no answer sent: "stall", "stall abandoned" or "reset"
    held: float = 0.0  # seconds a stalled request was held
    _request: Request | None = None

    def request(self) -> Request:
        """werkzeug's view of the request, built on first use: openapi-core reads it, and
        the compiled validator passes most requests without it."""
        if self._request is None:
            self._request = Request(self.environ)
        return self._request

    @property
    def full_path(self) -> str:
        query = self.environ.get("QUERY_STRING", "")
        return f"{self.path}?{query}" if query else self.path


@dataclass
class Concluder:
    """The end of every exchange, whatever its answer."""

    validator: Validator
    journal: Journal
    clock: Clock
    strict: bool = False
    errors: deque[BaseException] = field(default_factory=lambda: deque(maxlen=100))

    def conclude(self, exchange: Exchange, reply: Reply) -> Reply:
        """Check the mock's own answer, journal the exchange, log it; return what to send
        (a 500 in --strict mode when the mock broke its own contract)."""
        own = self._own_violations(exchange, reply)
        if own and self.strict and exchange.replayed is None:  # a recording is what it is
            reply = Reply.json(
                500,
                {
                    "detail": "creatify-mock produced a response that breaks the contract "
                    "(a bug in the mock): " + "; ".join(str(v) for v in own)
                },
            )
        environ = exchange.environ
        found = tuple(exchange.violations)
        self.journal.add(
            at=self.clock.now(),
            method=exchange.method,
            path=exchange.path,
            query=environ.get("QUERY_STRING", ""),
            operation=exchange.operation,
            account=exchange.account,
            status=reply.status_code,
            violations=found,
            response_violations=tuple(own),
            record_id=exchange.record_id,
            record_status=exchange.record_status,
            request_headers=journaled_headers(environ),
            request_body=(exchange.body or b"")[:_SHOWN_BODY_BYTES].decode("utf-8", "replace"),
            response_headers=tuple(
                (name, reply.headers[name])
                for name in _KEPT_RESPONSE_HEADERS
                if name in reply.headers
            ),
            response_body=reply.data[:_SHOWN_ERROR_BYTES].decode("utf-8", "replace")
            if reply.status_code >= 400
            else "",
            dropped=exchange.dropped,
            held=round(exchange.held, 3),
        )
        if log.isEnabledFor(logging.INFO):
            log.info(
                "%s %s %s %s%s%s",
                exchange.method,
                exchange.full_path,
                reply.status_code or "-",
                "invalid" if found else "valid",
                f": {found[0]}" if found else "",
                f" (answer dropped: {exchange.dropped})" if exchange.dropped else "",
            )
        return reply

    def internal_error(self, exchange: Exchange, error: BaseException) -> Reply:
        """A bug in the mock: logged, kept for `errors`, answered 500 naming it."""
        log.exception(
            "creatify-mock failed on %s %s", exchange.method, exchange.path, exc_info=error
        )
        self.errors.append(error)
        exchange.failed = True
        return Reply.json(
            500,
            {
                "detail": f"creatify-mock hit an internal error ({type(error).__name__}: "
                f"{error}); this is a bug in the mock, please report it."
            },
        )

    def _own_violations(self, exchange: Exchange, reply: Reply) -> list[Violation]:
        if (
            exchange.operation is None
            or exchange.method == "HEAD"
            or exchange.failed
            or exchange.gateway
            or reply.status_code == 0  # dropped before any answer was made
        ):
            return []
        if exchange.replayed == "miss":  # the replay's own 404: no answer of the API's
            return []
        found = self.validator.check_response(exchange.request, reply, exchange.operation)
        if found:
            log.error(
                "the recorded answer to %s %s departs from the spec: %s"
                if exchange.replayed
                else "creatify-mock broke its own contract on %s %s: %s",
                exchange.method,
                exchange.path,
                "; ".join(str(v) for v in found),
            )
        return found
