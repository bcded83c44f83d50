"""One answer of the API: the bytes, status and headers WSGI sends, read by the contract's
judges through openapi-core's Response protocol (`status_code`, `content_type`, `headers`,
`data`) without building a werkzeug Response."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import orjson
from werkzeug.http import HTTP_STATUS_CODES

from ..contract.compiled import UNPARSED

__all__ = ["Reply", "encode"]


def encode(payload: Any) -> bytes:
    """What flask.jsonify sends (compact, a final newline), at a tenth of json.dumps' cost.
    orjson writes the same JSON, not always the same bytes: non-ASCII text as UTF-8 rather
    than escaped, 1e-07 as 1e-7."""
    try:
        return orjson.dumps(payload, option=orjson.OPT_APPEND_NEWLINE)
    except orjson.JSONEncodeError:  # a lone surrogate, an integer past 64 bits
        return (json.dumps(payload, separators=(",", ":")) + "\n").encode()


class Reply:
    """An HTTP answer. `payload` is the data a JSON body was encoded from (JSON types only,
    so it decodes to itself): the response check takes it as is."""

    __slots__ = ("data", "headers", "payload", "status_code")

    def __init__(
        self,
        status_code: int,
        data: bytes = b"",
        headers: dict[str, str] | None = None,
        *,
        payload: Any = UNPARSED,
    ) -> None:
        self.status_code = status_code
        self.data = data
        self.headers = {"Content-Length": str(len(data)), **(headers or {})}
        self.payload = payload

    @classmethod
    def json(cls, status: int, payload: Any, headers: dict[str, str] | None = None) -> Reply:
        data = encode(payload)
        return cls(
            status, data, {"Content-Type": "application/json", **(headers or {})}, payload=payload
        )

    @property
    def content_type(self) -> str:
        """The media type alone, lowercased, as openapi-core's werkzeug adapter gives it."""
        return self.headers.get("Content-Type", "").partition(";")[0].strip().lower()

    mimetype = content_type

    def get_data(self) -> bytes:
        return self.data

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        status = f"{self.status_code} {HTTP_STATUS_CODES.get(self.status_code, 'UNKNOWN')}"
        start_response(status, list(self.headers.items()))
        # HEAD is GET without the body: the same headers, Content-Length included.
        return [] if environ.get("REQUEST_METHOD") == "HEAD" else [self.data]
