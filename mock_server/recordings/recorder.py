"""A recording reverse proxy: clients call it as the API; it forwards, scrubs and keeps each
exchange in a HAR file, and warns at once about any drift from the spec."""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import httpx
from flask import Flask, Response, request

from ..contract.spec import Contract
from ..contract.validator import Validator
from .drift import Drift, check_entry
from .har import SCRUBBED, Entry, HarFile, entry_from_exchange, scrub

__all__ = ["FORWARDED_HEADER", "Recorder", "create_recorder"]

log = logging.getLogger("creatify_mock.record")
FORWARDED_HEADER = "X-Creatify-Mock-Forwarded"
SECRET_HEADERS = ("X-API-ID", "X-API-KEY")
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


@dataclass
class Recorder:
    upstream: str
    har: HarFile
    validator: Validator
    scrub_values: set[str] = field(default_factory=set)
    transport: httpx.BaseTransport | None = None
    drifts: list[Drift] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def forward(self) -> Response:
        body = request.get_data()
        headers = {k: v for k, v in request.headers.items() if k.lower() not in _HOP}
        headers[FORWARDED_HEADER] = "1"  # lets a respx router pass the forwarded call through
        url = self.upstream.rstrip("/") + request.full_path.rstrip("?")
        started, clock = datetime.now(UTC), time.perf_counter()
        with httpx.Client(transport=self.transport, timeout=60) as client:
            upstream = client.request(request.method, url, headers=headers, content=body)
        millis = (time.perf_counter() - clock) * 1000
        self._record_exchange(body, upstream, started, millis)
        kept = {
            k: v
            for k, v in upstream.headers.items()
            if k.lower() not in _HOP | {"content-encoding"}
        }
        return Response(upstream.content, status=upstream.status_code, headers=kept)

    def _record_exchange(
        self, body: bytes, upstream: httpx.Response, started: datetime, millis: float
    ) -> None:
        secrets = set(self.scrub_values)
        secrets |= {request.headers.get(n, "") for n in SECRET_HEADERS} - {""}
        request_headers = {
            k: (SCRUBBED if k.upper() in SECRET_HEADERS else v)
            for k, v in request.headers.items()
            if k.lower() not in _HOP
        }
        entry = entry_from_exchange(
            method=request.method,
            url="https://api.creatify.ai" + request.full_path.rstrip("?"),
            request_headers=request_headers,
            request_body=body.decode("utf-8", "replace"),
            request_mime=request.mimetype or "",
            status=upstream.status_code,
            reason=upstream.reason_phrase,
            response_headers={k: v for k, v in upstream.headers.items() if k.lower() not in _HOP},
            response_body=upstream.text,
            response_mime=upstream.headers.get("content-type", "").split(";")[0],
            started=started,
            millis=millis,
        )
        entry = scrub(entry, secrets)  # before anything touches the disk
        with self._lock:
            self.har.entries.append(entry)
            drifts = check_entry(
                Entry(entry, self.har.path, len(self.har.entries) - 1), self.validator
            )
            self.drifts.extend(drifts)
            self.har.save()
        for drift in drifts:
            log.warning("drift: %s", drift)


def create_recorder(
    upstream: str,
    out: Path,
    *,
    scrub_values: tuple[str, ...] = (),
    contract: Contract | None = None,
    transport: httpx.BaseTransport | None = None,
) -> Flask:
    """A proxy app; `out` is a .har file, or a folder that gets a new timestamped one."""
    path = (
        out if out.suffix == ".har" else out / f"recording-{datetime.now(UTC):%Y%m%dT%H%M%S%fZ}.har"
    )
    har = HarFile(path, kind="recorded", comment=f"recorded through creatify-mock from {upstream}")
    recorder = Recorder(
        upstream, har, Validator(contract or Contract.load()), set(scrub_values) - {""}, transport
    )
    app = Flask("creatify_mock_recorder")
    app.extensions["creatify_recorder"] = recorder

    def forward(path: str = "") -> Response:
        return recorder.forward()

    app.add_url_rule("/", "forward", forward, methods=METHODS)
    app.add_url_rule("/<path:path>", "forward", forward, methods=METHODS)
    return app
