"""HAR 1.2 files: the format recordings and documented examples are kept in.

HAR is plain JSON that browsers, proxies and many tools read; creatify-mock adds only
underscore-prefixed fields, which HAR reserves for custom data:

- `log._creatify`: `{"kind": "recorded" | "documented", ...}` for the whole file;
- `entry._kind`: `"api"` (a client's call) or `"webhook"` (Creatify's POST to the client);
- `entry._source`: where a documented example comes from (URL, date);
- `entry._exceptions`: known, explained departures from the spec, `[{"field", "rule", "why"}]`;
- `entry._upstream_failure`: `{"kind", "detail", "answered"}` when the recording proxy got no
  usable answer from the API; the response then has status 0, as browsers record a request
  that got no answer, and `answered` is the status the proxy gave its client (502 or 504).
"""

from __future__ import annotations

import json
import os
import tempfile
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from .scrub import SCRUBBED

__all__ = [
    "SCRUBBED",
    "Entry",
    "HarError",
    "HarFile",
    "HarWriter",
    "entry_from_exchange",
    "entry_from_failure",
    "load_dir",
]

VERSION = "1.2"


@dataclass
class Entry:
    """One exchange as a HAR entry, with accessors for what checks and replay need."""

    data: dict[str, Any]
    file: Path | None = None
    index: int = 0

    @property
    def kind(self) -> str:
        return str(self.data.get("_kind", "api"))

    @property
    def method(self) -> str:
        return str(self.data["request"]["method"]).upper()

    @property
    def url(self) -> str:
        return str(self.data["request"]["url"])

    @property
    def path(self) -> str:
        return urlsplit(self.url).path

    @property
    def query(self) -> str:
        return urlsplit(self.url).query

    @property
    def request_headers(self) -> dict[str, str]:
        return {h["name"]: h["value"] for h in self.data["request"].get("headers", [])}

    @property
    def request_body(self) -> str:
        return str(self.data["request"].get("postData", {}).get("text", ""))

    @property
    def request_mime(self) -> str:
        return str(self.data["request"].get("postData", {}).get("mimeType", ""))

    @property
    def status(self) -> int:
        return int(self.data["response"]["status"])

    @property
    def response_body(self) -> str:
        return str(self.data["response"].get("content", {}).get("text", ""))

    @property
    def response_mime(self) -> str:
        return str(self.data["response"].get("content", {}).get("mimeType", "application/json"))

    @property
    def failure(self) -> dict[str, Any] | None:
        """What went wrong when the API gave the recording proxy no usable answer."""
        found = self.data.get("_upstream_failure")
        return dict(found) if isinstance(found, dict) else None

    @property
    def exceptions(self) -> list[dict[str, str]]:
        return list(self.data.get("_exceptions", []))

    @property
    def where(self) -> str:
        name = self.file.name if self.file else "<memory>"
        return f"{name}#{self.index + 1}"


@dataclass
class HarFile:
    path: Path
    kind: str = "recorded"
    entries: list[dict[str, Any]] = field(default_factory=list)
    comment: str = ""

    @classmethod
    def load(cls, path: Path) -> HarFile:
        """The file's entries; a file that is no HAR (not UTF-8, not JSON, no log.entries,
        an entry without its request or response) raises HarError naming it."""
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except UnicodeDecodeError as exc:
            raise HarError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
        except ValueError as exc:
            raise HarError(f"{path}: not JSON ({exc})") from None
        log = data.get("log") if isinstance(data, dict) else None
        if not isinstance(log, dict) or not isinstance(log.get("entries"), list):
            got = f"keys {list(data)[:5]}" if isinstance(data, dict) else type(data).__name__
            raise HarError(f"{path}: expected a HAR file with log.entries; got {got}")
        for index, entry in enumerate(log["entries"]):
            _check_entry(path, index, entry)
        meta = log.get("_creatify", {})
        kind = meta.get("kind", "recorded") if isinstance(meta, dict) else "recorded"
        return cls(path, kind, log["entries"], str(log.get("comment", "")))

    def document(self) -> dict[str, Any]:
        from importlib import metadata

        try:
            version = metadata.version("creatify-mock")
        except metadata.PackageNotFoundError:
            version = "0+checkout"
        log: dict[str, Any] = {
            "version": VERSION,
            "creator": {"name": "creatify-mock", "version": version},
            "_creatify": {"kind": self.kind},
        }
        if self.comment:
            log["comment"] = self.comment
        log["entries"] = self.entries  # last, so that HarWriter can append to the file
        return {"log": log}

    def save(self) -> None:
        """Write atomically, so a reader never sees half a file."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        text = json.dumps(self.document(), indent=2, ensure_ascii=False) + "\n"
        handle, temp = tempfile.mkstemp(dir=self.path.parent, prefix=".har-", suffix=".tmp")
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
        os.replace(temp, self.path)

    def iter_entries(self) -> list[Entry]:
        return [Entry(e, self.path, i) for i, e in enumerate(self.entries)]


class HarError(ValueError):
    """A file that is not HAR, or an entry that is not one: the message names the file."""


def _check_entry(path: Path, index: int, entry: Any) -> None:
    request = entry.get("request") if isinstance(entry, dict) else None
    response = entry.get("response") if isinstance(entry, dict) else None
    if not (
        isinstance(request, dict)
        and isinstance(request.get("method"), str)
        and isinstance(request.get("url"), str)
        and isinstance(response, dict)
        and isinstance(response.get("status"), int)
    ):
        raise HarError(
            f"{path}#{index + 1}: expected a HAR entry with request.method, request.url and "
            "response.status"
        )


class HarWriter:
    """A HAR file written as a recording grows: each entry is appended once, and the file
    is valid HAR after every append, holding every entry appended so far.

    Why append, rather than rewrite the whole file on every exchange (as before) or write it
    only at stop on a dirty flag: rewriting costs the whole file per exchange, quadratic over
    a long recording; a file written at stop is lost with a process that dies, and is never
    written where nothing calls stop (a cassette recorded inside a test). An append writes
    the entry and the brackets that close the document after it, from where the previous
    entry ended, so whenever the process stops between two appends the file is complete.
    The cost: a reader, or a crash, in the middle of one append sees that append half done.

    The file (and its folder) is created on the first append, so a run that records nothing
    leaves nothing; its text is exactly what `HarFile.save` writes for the same entries.
    """

    _TAIL = "\n    ]\n  }\n}\n"  # what closes the entries array, the log and the document

    def __init__(self, path: Path, *, kind: str = "recorded", comment: str = "") -> None:
        self.path, self.kind, self.comment = path, kind, comment
        self.count = 0  # entries in the file
        self.closed = False
        self._end = 0  # where the last entry ends: the tail is written from here
        self._lock = threading.Lock()

    def append(self, entry: dict[str, Any]) -> int | None:
        """Write `entry`; its index in the file, or None once the writer is closed."""
        text = json.dumps(entry, indent=2, ensure_ascii=False).replace("\n", "\n      ")
        with self._lock:
            if self.closed:
                return None
            if not self.count:
                self._start()
            data = (("," if self.count else "") + "\n      " + text).encode()
            # Opened for each append: no handle is left open for whoever never calls close.
            with self.path.open("r+b") as out:
                out.seek(self._end)
                out.write(data + self._TAIL.encode())
            self._end += len(data)
            self.count += 1
            return self.count - 1

    def _start(self) -> None:
        document = HarFile(self.path, self.kind, [], self.comment).document()
        head = json.dumps(document, indent=2, ensure_ascii=False)
        empty = "[]\n  }\n}"  # entries last: the document ends with its empty array
        assert head.endswith(empty), head
        data = (head[: -len(empty)] + "[").encode()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.path.write_bytes(data + self._TAIL.encode())
        self._end = len(data)

    def close(self) -> None:
        """Stop writing (an append under way ends first); later appends return None."""
        with self._lock:
            self.closed = True


def load_dir(path: Path) -> list[Entry]:
    """Every entry of every .har file under `path` (or in the file `path`), in order."""
    files = [path] if path.is_file() else sorted(path.rglob("*.har"))
    return [entry for f in files for entry in HarFile.load(f).iter_entries()]


def _pairs(items: dict[str, str]) -> list[dict[str, str]]:
    return [{"name": k, "value": v} for k, v in items.items()]


def _request_part(
    method: str, url: str, headers: dict[str, str], body: str, mime: str
) -> dict[str, Any]:
    request: dict[str, Any] = {
        "method": method,
        "url": url,
        "httpVersion": "HTTP/1.1",
        "cookies": [],
        "headers": _pairs(headers),
        "queryString": _pairs(dict(parse_qsl(urlsplit(url).query, keep_blank_values=True))),
        "headersSize": -1,
        "bodySize": len(body.encode()),
    }
    if body:
        request["postData"] = {"mimeType": mime, "text": body}
    return request


def entry_from_exchange(
    *,
    method: str,
    url: str,
    request_headers: dict[str, str],
    request_body: str,
    request_mime: str,
    status: int,
    reason: str,
    response_headers: dict[str, str],
    response_body: str,
    response_mime: str,
    started: datetime | None = None,
    millis: float = 0.0,
) -> dict[str, Any]:
    return {
        "startedDateTime": (started or datetime.now(UTC)).isoformat(),
        "time": round(millis, 3),
        "request": _request_part(method, url, request_headers, request_body, request_mime),
        "response": {
            "status": status,
            "statusText": reason,
            "httpVersion": "HTTP/1.1",
            "cookies": [],
            "headers": _pairs(response_headers),
            "content": {
                "size": len(response_body.encode()),
                "mimeType": response_mime,
                "text": response_body,
            },
            "redirectURL": "",
            "headersSize": -1,
            "bodySize": len(response_body.encode()),
        },
        "cache": {},
        "timings": {"send": 0, "wait": round(millis, 3), "receive": 0},
        "_kind": "api",
    }


def entry_from_failure(
    *,
    method: str,
    url: str,
    request_headers: dict[str, str],
    request_body: str,
    request_mime: str,
    kind: str,
    detail: str,
    answered: int,
    started: datetime | None = None,
    millis: float = 0.0,
) -> dict[str, Any]:
    """An exchange the API gave no usable answer to: `kind` is timeout, unreachable or
    broken; `answered` the status the proxy gave its client instead."""
    return {
        "startedDateTime": (started or datetime.now(UTC)).isoformat(),
        "time": round(millis, 3),
        "request": _request_part(method, url, request_headers, request_body, request_mime),
        "response": {
            "status": 0,
            "statusText": "",
            "httpVersion": "",
            "cookies": [],
            "headers": [],
            "content": {"size": 0, "mimeType": "", "text": ""},
            "redirectURL": "",
            "headersSize": -1,
            "bodySize": -1,
        },
        "cache": {},
        "timings": {"send": 0, "wait": round(millis, 3), "receive": 0},
        "_kind": "api",
        "_upstream_failure": {"kind": kind, "detail": detail, "answered": answered},
    }
