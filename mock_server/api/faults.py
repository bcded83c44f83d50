"""Faults on demand, for the next calls of an operation: the answers a client meets on the
way to the API and must survive.

- 429 and 503 in the API's own JSON, with Retry-After, before anything is processed: a
  client may (and should) wait and send the same request again;
- 502 and 504 the way a load balancer or CDN answers when the app behind it is down: an HTML
  page (`text/html`) or an empty body, no JSON to parse;
- no answer at all: a *stall* (headers never sent for `seconds`, then the connection is
  closed) or a *reset* (the connection reset at once). With `processed`, the operation runs
  first and only its answer is lost, as when a network drops a reply.

A fault with `after` waits until a call of that operation has been accepted (2xx): a 503 on
the polls that follow a paid POST, say. A stall needs the socket, which only Werkzeug's
server hands the app (`MockServer`, the harness); where there is none (waitress under
`serve`, an in-process client) the mock answers at once as a gateway would: 504 for a stall,
an empty 502 for a reset. It never holds a thread there, where one thread (`--threads 1`)
may serve every client.
"""

from __future__ import annotations

import select
import socket
import threading
import time
from collections import deque
from dataclasses import dataclass
from typing import Any

from ..errors import MockError
from .errors import AdminError, ApiError

__all__ = [
    "MAX_STALL_SECONDS",
    "ConnectionDropped",
    "Fault",
    "FaultQueue",
    "GatewayAnswer",
    "hold",
]

MAX_STALL_SECONDS = 120.0
_BODIES = {429: ("json",), 503: ("json", "html", "empty"), 502: ("html", "empty")}
_BODIES[504] = _BODIES[502]
_PAGE = (
    "<html>\r\n<head><title>{status} {reason}</title></head>\r\n<body>\r\n"
    "<center><h1>{status} {reason}</h1></center>\r\n<hr><center>nginx</center>\r\n"
    "</body>\r\n</html>\r\n"
)
_REASONS = {502: "Bad Gateway", 503: "Service Temporarily Unavailable", 504: "Gateway Time-out"}


@dataclass
class GatewayAnswer(MockError):
    """An answer from in front of the API (HTML or nothing), not from the API itself: the
    contract does not describe it, so it is not checked against it."""

    status: int
    body: bytes
    content_type: str | None

    def headers(self) -> dict[str, str]:
        return {"Content-Type": self.content_type} if self.content_type else {}


class ConnectionDropped(ConnectionAbortedError):
    """Raised out of the app to end a connection without an answer; Werkzeug's server
    (mock_server.server) closes it, or resets it when `reset`."""

    def __init__(self, reset: bool) -> None:
        super().__init__("reset by creatify-mock" if reset else "closed by creatify-mock")
        self.reset = reset


@dataclass(frozen=True)
class Fault:
    status: int = 429  # 429, 502, 503 or 504; not used by a drop
    operation: str | None = None  # an operationId, or None for any operation
    retry_after: int = 1  # sent with 429 and 503
    body: str | None = None  # json, html or empty; None: json for 429/503, html for 502/504
    drop: str | None = None  # "stall" or "reset": no answer at all
    seconds: float = 0.0  # how long a stall holds the request before closing it
    processed: bool = False  # a drop after the operation ran: only its answer is lost
    after: str | None = None  # applies once a call of this operationId was accepted

    @property
    def form(self) -> str:
        return self.body or ("json" if self.status in (429, 503) else "html")

    def error(self) -> Exception:
        """What the pipeline raises for an answering fault."""
        form = self.form
        if form == "json":
            if self.status == 429:
                detail = f"Request was throttled. Expected available in {self.retry_after} seconds."
            else:
                detail = "Service temporarily unavailable, try again later."
            return ApiError(self.status, detail, {"Retry-After": str(self.retry_after)})
        if form == "empty":
            return GatewayAnswer(self.status, b"", None)
        page = _PAGE.format(status=self.status, reason=_REASONS[self.status])
        return GatewayAnswer(self.status, page.encode(), "text/html")

    def check(self) -> None:
        """Refuse a fault that cannot be served, naming the field."""
        if self.drop is not None:
            if self.drop not in ("stall", "reset"):
                raise AdminError(
                    400, f"drop: expected 'stall', 'reset' or null; got {self.drop!r}."
                )
            if not 0 <= self.seconds <= MAX_STALL_SECONDS:
                raise AdminError(
                    400,
                    f"seconds: expected 0 to {MAX_STALL_SECONDS:g} (how long a stall holds "
                    f"the request); got {self.seconds!r}.",
                )
            return
        if self.processed:
            raise AdminError(
                400,
                "processed: expected false without a drop; got true. Only a dropped answer "
                "(drop 'stall' or 'reset') can be lost after processing.",
            )
        forms = _BODIES.get(self.status)
        if forms is None:
            raise AdminError(400, f"status: expected 429, 502, 503 or 504; got {self.status!r}.")
        if self.form not in forms:
            raise AdminError(
                400,
                f"body: expected {' or '.join(forms)} for a {self.status}; got {self.body!r}.",
            )
        if self.retry_after < 0:
            raise AdminError(400, f"retry_after: expected seconds >= 0; got {self.retry_after!r}.")

    def as_dict(self) -> dict[str, Any]:
        return dict(vars(self))


class FaultQueue:
    def __init__(self) -> None:
        self._faults: deque[Fault] = deque()
        self._accepted: set[str] = set()
        self._lock = threading.Lock()
        self.closing = threading.Event()  # set when the app closes: a stall ends at once

    def add(self, fault: Fault, count: int = 1) -> None:
        fault.check()
        with self._lock:
            self._faults.extend([fault] * count)

    def take(self, operation: str) -> Fault | None:
        """The first queued fault that applies to this operation, removed from the queue."""
        with self._lock:
            for fault in self._faults:
                if fault.operation in (None, operation) and (
                    fault.after is None or fault.after in self._accepted
                ):
                    self._faults.remove(fault)
                    return fault
        return None

    def accepted(self, operation: str) -> None:
        """A call of `operation` was accepted: faults waiting for it apply from now on."""
        self._accepted.add(operation)  # one set.add: atomic under the GIL

    def __len__(self) -> int:
        return len(self._faults)  # a len() of a deque needs no lock under the GIL

    def pending(self) -> list[dict[str, object]]:
        with self._lock:
            return [f.as_dict() for f in self._faults]

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()
            self._accepted.clear()

    def close(self) -> None:
        self.closing.set()


def hold(environ: dict[str, Any], seconds: float, closing: threading.Event) -> tuple[float, bool]:
    """Hold a stalled request up to `seconds`, sending nothing; returns how long it was held
    and whether the client hung up first. Without the socket (not Werkzeug's server) it
    does not hold at all: (0.0, False)."""
    sock = environ.get("werkzeug.socket")
    if not isinstance(sock, socket.socket):
        return 0.0, False
    start = time.monotonic()
    deadline = start + seconds
    watch = select.poll()  # not select.select: a busy mock's descriptors pass 1,024
    watch.register(sock, select.POLLIN | select.POLLHUP | select.POLLERR)
    while (left := deadline - time.monotonic()) > 0 and not closing.is_set():
        readable = watch.poll(min(left, 0.1) * 1000)
        if readable and _hung_up(sock):
            return time.monotonic() - start, True
        if readable:  # bytes of a next request: no hang-up, and nothing to wait on here
            closing.wait(min(left, 0.1))
    return time.monotonic() - start, False


def _hung_up(sock: socket.socket) -> bool:
    try:
        return sock.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT) == b""
    except BlockingIOError:
        return False
    except OSError:  # reset by the client
        return True
