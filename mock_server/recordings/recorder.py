"""A recording reverse proxy: clients call it as the API; it forwards, scrubs and keeps each
exchange in a HAR file, and warns at once about any drift from the spec.

What it keeps is true to what happened: an exchange the API did not answer (down, too slow,
or answering something that is not HTTP) is answered 502 or 504, logged in one line, and
kept as a failure (`_upstream_failure`, see `har`). Secrets are scrubbed (see `scrub`) in
the file and in every log line the proxy writes.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Self
from urllib.parse import urlsplit
from wsgiref.types import StartResponse, WSGIApplication, WSGIEnvironment

import httpx
from flask import Flask, Response, request

from ..contract.spec import Contract
from ..contract.validator import Validator
from .drift import Drift, check_entry
from .har import Entry, HarWriter, entry_from_exchange, entry_from_failure
from .scrub import SCRUBBED, Scrubber

__all__ = [
    "DEFAULT_TIMEOUT",
    "FORWARDED_HEADER",
    "Recorder",
    "ScrubbingFormatter",
    "check_upstream",
    "create_recorder",
]

log = logging.getLogger("creatify_mock.record")
FORWARDED_HEADER = "X-Creatify-Mock-Forwarded"
SECRET_HEADERS = ("X-API-ID", "X-API-KEY")
RECORDED_ORIGIN = "https://api.creatify.ai"  # what recorded URLs start with, whatever upstream
DEFAULT_TIMEOUT = 60.0  # seconds to connect, to send, and for each read of the answer
_HOP = {
    "host",
    "content-length",
    "connection",
    "keep-alive",
    "transfer-encoding",
    "upgrade",
    "proxy-authorization",
    "te",
    "trailer",
    "accept-encoding",
}
METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]


@dataclass(frozen=True)
class UpstreamFailure:
    kind: str  # timeout, unreachable, broken
    status: int  # what the proxy answers its client: 504 or 502
    detail: str

    @classmethod
    def of(cls, exc: httpx.RequestError, upstream: str, shown: str, timeout: float) -> Self:
        name = type(exc).__name__
        said = f"{name}: {exc}" if str(exc) else name
        if isinstance(exc, httpx.TimeoutException):
            return cls(
                "timeout",
                504,
                f"the upstream {upstream} did not answer {shown} within {timeout:g} s ({name}); "
                "raise --upstream-timeout if the API is this slow, or check that it is up",
            )
        if isinstance(exc, httpx.ConnectError):
            return cls(
                "unreachable",
                502,
                f"cannot connect to the upstream {upstream} to send {shown} ({said}); "
                "check --upstream, and that the API is up",
            )
        return cls(
            "broken",
            502,
            f"the upstream {upstream} gave {shown} no valid HTTP answer ({said}); "
            "check that --upstream points at the API",
        )


def check_upstream(upstream: str) -> str:
    """`upstream` if it is an http(s) URL with a host; else ValueError saying so."""
    parts = urlsplit(upstream)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(
            f"expected an http:// or https:// URL such as https://api.creatify.ai; got {upstream!r}"
        )
    return upstream


@dataclass
class Recorder:
    upstream: str
    writer: HarWriter
    validator: Validator
    scrub_values: frozenset[str] = frozenset()
    transport: httpx.BaseTransport | None = None
    timeout: float = DEFAULT_TIMEOUT
    drifts: list[Drift] = field(default_factory=list)
    _secrets: frozenset[str] = field(init=False)
    _scrubber: Scrubber = field(init=False)
    _under_way: int = field(init=False, default=0)
    _changed: threading.Condition = field(init=False, default_factory=threading.Condition)

    def __post_init__(self) -> None:
        self._secrets = frozenset(self.scrub_values) - {""}
        self._scrubber = Scrubber(self._secrets)

    @property
    def path(self) -> Path:
        return self.writer.path

    @property
    def kept(self) -> int:
        """Exchanges in the file."""
        return self.writer.count

    @property
    def under_way(self) -> int:
        """Exchanges taken and not yet answered."""
        return self._under_way

    @property
    def scrubber(self) -> Scrubber:
        """Scrubs every --scrub value and every credential a client has sent so far."""
        return self._scrubber

    def _learn(self, credentials: Iterable[str]) -> None:
        new = {c for c in credentials if c} - self._secrets
        if new:
            with self._changed:
                self._secrets |= new
                self._scrubber = Scrubber(self._secrets)

    def forward(self) -> Response:
        body = request.get_data()
        self._learn(request.headers.get(name, "") for name in SECRET_HEADERS)
        headers = {k: v for k, v in request.headers.items() if k.lower() not in _HOP}
        headers[FORWARDED_HEADER] = "1"  # lets a respx router pass the forwarded call through
        target = request.full_path.rstrip("?")
        started, clock = datetime.now(UTC), time.perf_counter()
        try:
            with httpx.Client(transport=self.transport, timeout=self.timeout) as client:
                upstream = client.request(
                    request.method,
                    self.upstream.rstrip("/") + target,
                    headers=headers,
                    content=body,
                )
        except httpx.RequestError as exc:
            return self._failed(exc, body, target, started, clock)
        millis = (time.perf_counter() - clock) * 1000
        self._keep(self._entry(body, target, upstream, started, millis))
        kept = {
            k: v
            for k, v in upstream.headers.items()
            if k.lower() not in _HOP | {"content-encoding"}
        }
        return Response(upstream.content, status=upstream.status_code, headers=kept)

    def _request_fields(self, body: bytes, target: str) -> dict[str, Any]:
        """The request as recorded, scrubbed before anything touches the disk."""
        scrubber, mime = self._scrubber, request.mimetype or ""
        return {
            "method": request.method,
            "url": RECORDED_ORIGIN + scrubber.target(target),
            "request_headers": {
                k: SCRUBBED if k.upper() in SECRET_HEADERS else scrubber.text(v)
                for k, v in request.headers.items()
                if k.lower() not in _HOP
            },
            "request_body": scrubber.body(body.decode("utf-8", "replace"), mime),
            "request_mime": mime,
        }

    def _entry(
        self, body: bytes, target: str, upstream: httpx.Response, started: datetime, millis: float
    ) -> dict[str, Any]:
        scrubber = self._scrubber
        mime = upstream.headers.get("content-type", "").split(";")[0]
        return entry_from_exchange(
            **self._request_fields(body, target),
            status=upstream.status_code,
            reason=scrubber.text(upstream.reason_phrase),
            response_headers={
                k: scrubber.text(v) for k, v in upstream.headers.items() if k.lower() not in _HOP
            },
            response_body=scrubber.body(upstream.text, mime),
            response_mime=mime,
            started=started,
            millis=millis,
        )

    def _failed(
        self,
        exc: httpx.RequestError,
        body: bytes,
        target: str,
        started: datetime,
        clock: float,
    ) -> Response:
        """No usable answer from the API: one line in the log, the failure kept, and 502 or
        504 for the client."""
        millis = (time.perf_counter() - clock) * 1000
        shown = f"{request.method} {self._scrubber.target(target)}"
        failure = UpstreamFailure.of(exc, self.upstream, shown, self.timeout)
        detail = self._scrubber.line(failure.detail)
        log.error("upstream failed, answered %d: %s", failure.status, detail)
        entry = entry_from_failure(
            **self._request_fields(body, target),
            kind=failure.kind,
            detail=detail,
            answered=failure.status,
            started=started,
            millis=millis,
        )
        self._keep(entry)
        return Response(
            json.dumps({"detail": f"creatify-mock record: {detail}"}),
            status=failure.status,
            mimetype="application/json",
        )

    def _keep(self, entry: dict[str, Any]) -> None:
        index = self.writer.append(entry)
        if index is None:  # stopped meanwhile: the client is answered, the file is closed
            return
        drifts = check_entry(Entry(entry, self.path, index), self.validator)
        with self._changed:
            self.drifts.extend(drifts)
        for drift in drifts:
            log.warning("drift: %s", drift)

    def counting(self, app: WSGIApplication) -> WSGIApplication:
        """`app`, with each exchange counted under way until its answer is sent (when the
        server closes the answer), so that `stop` can wait for it."""

        def wsgi(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
            with self._changed:
                self._under_way += 1
            try:
                return _Answer(app(environ, start_response), self._one_done)
            except BaseException:
                self._one_done()
                raise

        return wsgi

    def _one_done(self) -> None:
        with self._changed:
            self._under_way -= 1
            self._changed.notify_all()

    def stop(self, grace: float) -> int:
        """Wait up to `grace` seconds for the exchanges under way, then close the file:
        what ends later is answered but not kept. How many were still under way."""
        with self._changed:
            self._changed.wait_for(lambda: self._under_way == 0, timeout=grace)
            left = self._under_way
        self.writer.close()
        return left


class _Answer:
    """A WSGI answer that calls `done` once, when the server closes it (after sending it)."""

    def __init__(self, body: Iterable[bytes], done: Callable[[], None]) -> None:
        self.body, self._done = body, done
        self._closed = False

    def __iter__(self) -> Iterator[bytes]:
        return iter(self.body)

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        try:
            close = getattr(self.body, "close", None)
            if close is not None:
                close()
        finally:
            self._done()


class ScrubbingFormatter(logging.Formatter):
    """Formats log lines with `recorder`'s secrets scrubbed out, whoever logs them (httpx
    prints each upstream URL), tracebacks included."""

    def __init__(self, recorder: Recorder, fmt: str | None = None) -> None:
        super().__init__(fmt)
        self.recorder = recorder

    def format(self, record: logging.LogRecord) -> str:
        return self.recorder.scrubber.line(super().format(record))


def create_recorder(
    upstream: str,
    out: Path,
    *,
    scrub_values: tuple[str, ...] = (),
    contract: Contract | None = None,
    transport: httpx.BaseTransport | None = None,
    timeout: float = DEFAULT_TIMEOUT,
) -> Flask:
    """A proxy app; `out` is a .har file, or a folder that gets a new timestamped one."""
    check_upstream(upstream)
    path = (
        out if out.suffix == ".har" else out / f"recording-{datetime.now(UTC):%Y%m%dT%H%M%S%fZ}.har"
    )
    writer = HarWriter(
        path, kind="recorded", comment=f"recorded through creatify-mock from {upstream}"
    )
    recorder = Recorder(
        upstream,
        writer,
        Validator(contract or Contract.load()),
        frozenset(scrub_values),
        transport,
        timeout,
    )
    app = Flask("creatify_mock_recorder")
    app.extensions["creatify_recorder"] = recorder
    app.wsgi_app = recorder.counting(app.wsgi_app)  # type: ignore[assignment]

    def forward(path: str = "") -> Response:
        return recorder.forward()

    app.add_url_rule("/", "forward", forward, methods=METHODS)
    app.add_url_rule("/<path:path>", "forward", forward, methods=METHODS)
    return app
