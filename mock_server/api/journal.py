"""Every request the mock answered, with its verdict against the contract; bounded in size."""

from __future__ import annotations

import hashlib
import itertools
import threading
from collections import deque
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from ..contract.violations import Violation

__all__ = ["Journal", "JournalEntry", "fingerprint"]

HEADER_CHARS = 256  # a header value kept whole up to this length
URL_CHARS = 2048  # a path or a query string, likewise
TEXT_CHARS = 1024  # a violation's expected, actual and message


@dataclass(frozen=True, slots=True)
class JournalEntry:
    seq: int
    at: float
    method: str
    path: str
    query: str
    operation: str | None
    account: str | None
    status: int
    violations: tuple[Violation, ...] = ()
    response_violations: tuple[Violation, ...] = ()
    record_id: str | None = None
    record_status: str | None = None  # the status a record was served with
    request_headers: tuple[tuple[str, str], ...] = ()  # the ones that matter to the contract
    request_body: str = ""  # as sent, cut at 4 KiB

    @property
    def verdict(self) -> str:
        return "invalid" if self.violations else "valid"

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["verdict"] = self.verdict
        data["violations"] = [v.as_dict() for v in self.violations]
        data["response_violations"] = [v.as_dict() for v in self.response_violations]
        data["request_headers"] = dict(self.request_headers)
        return data


def fingerprint(secret: str) -> str:
    """What the journal keeps of an X-API-KEY: enough to tell two keys apart, nothing to
    reuse."""
    digest = hashlib.sha256(secret.encode("utf-8", "surrogateescape")).hexdigest()
    return f"[sha256 {digest[:12]}]"


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else f"{text[:limit]}... [{len(text) - limit} more]"


def _kept_header(name: str, value: str) -> tuple[str, str]:
    if name.lower() == "x-api-key":
        return name, fingerprint(value)
    return name, _cut(value, HEADER_CHARS)


def _kept_violation(v: Violation) -> Violation:
    if max(len(v.expected), len(v.actual), len(v.message)) <= TEXT_CHARS:
        return v
    return replace(
        v,
        expected=_cut(v.expected, TEXT_CHARS),
        actual=_cut(v.actual, TEXT_CHARS),
        message=_cut(v.message, TEXT_CHARS),
    )


def _weight(entry: JournalEntry) -> int:
    """About the bytes an entry holds: its texts, and a fixed part for the rest."""
    texts = [entry.path, entry.query, entry.request_body]
    texts += [n + v for n, v in entry.request_headers]
    for v in (*entry.violations, *entry.response_violations):
        texts += [v.field, v.expected, v.actual, v.message]
    return 400 + sum(len(t) for t in texts)


@dataclass
class Journal:
    """A ring buffer: the newest `size` entries, and no more than about `max_bytes`, are kept,
    with ever-growing sequence numbers. Whatever a client sends, an entry stays small:
    header values, paths, queries and violation texts are cut, bodies are cut by the caller,
    and an X-API-KEY is kept as a fingerprint."""

    size: int = 10_000
    max_bytes: int = 32 * 1024 * 1024
    _entries: deque[tuple[JournalEntry, int]] = field(init=False)
    _bytes: int = field(init=False, default=0)
    _seq: itertools.count[int] = field(init=False)
    _lock: threading.Lock = field(init=False, default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self._entries = deque()
        self._seq = itertools.count(1)

    def add(self, **fields: Any) -> JournalEntry:
        fields["path"] = _cut(fields["path"], URL_CHARS)
        fields["query"] = _cut(fields["query"], URL_CHARS)
        fields["request_headers"] = tuple(
            _kept_header(n, v) for n, v in fields.get("request_headers", ())
        )
        for key in ("violations", "response_violations"):
            fields[key] = tuple(_kept_violation(v) for v in fields.get(key, ()))
        with self._lock:
            entry = JournalEntry(seq=next(self._seq), **fields)
            weight = _weight(entry)
            self._entries.append((entry, weight))
            self._bytes += weight
            while len(self._entries) > self.size or (
                self._bytes > self.max_bytes and len(self._entries) > 1
            ):
                self._bytes -= self._entries.popleft()[1]
        return entry

    def entries(self, since: int = 0) -> list[JournalEntry]:
        with self._lock:
            return [e for e, _ in self._entries if e.seq > since]

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._bytes = 0
