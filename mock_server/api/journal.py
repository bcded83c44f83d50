"""Every request the mock answered, with its verdict against the contract; bounded in size."""

from __future__ import annotations

import functools
import hashlib
import itertools
import threading
from collections import deque
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from ..contract.violations import Violation
from .headers import environ_key

__all__ = ["JOURNALED_HEADERS", "Journal", "JournalEntry", "fingerprint", "journaled_headers"]

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
    # What the client was answered besides the status: Retry-After and Content-Type, and
    # an error's body (cut at 1 KiB; a record's is left out).
    response_headers: tuple[tuple[str, str], ...] = ()
    response_body: str = ""
    # A fault that sent no answer: "stall" (the mock closed the connection after `held`
    # seconds), "stall abandoned" (the client hung up after `held` s) or "reset".
    dropped: str | None = None
    held: float = 0.0

    @property
    def verdict(self) -> str:
        return "invalid" if self.violations else "valid"

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["verdict"] = self.verdict
        data["violations"] = [v.as_dict() for v in self.violations]
        data["response_violations"] = [v.as_dict() for v in self.response_violations]
        data["request_headers"] = dict(self.request_headers)
        data["response_headers"] = dict(self.response_headers)
        return data


@functools.lru_cache(maxsize=256)  # a client sends the same key again and again
def fingerprint(secret: str) -> str:
    """What the journal keeps of an X-API-KEY: enough to tell two keys apart, nothing to
    reuse."""
    digest = hashlib.sha256(secret.encode("utf-8", "surrogateescape")).hexdigest()
    return f"[sha256 {digest[:12]}]"


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else f"{text[:limit]}... [{len(text) - limit} more]"


JOURNALED_HEADERS = ("X-API-ID", "X-API-KEY", "Content-Type", "Prefer")
_KEYS = tuple((name, environ_key(name)) for name in JOURNALED_HEADERS)


def journaled_headers(environ: Mapping[str, Any]) -> tuple[tuple[str, str], ...]:
    """The headers that matter to the contract, as the journal keeps them: the key as a
    fingerprint, a long value cut."""
    found = []
    for name, key in _KEYS:
        value = environ.get(key)
        if value:
            if name == "X-API-KEY":
                value = fingerprint(value)
            elif len(value) > HEADER_CHARS:
                value = _cut(value, HEADER_CHARS)
            found.append((name, value))
    return tuple(found)


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
    weight = 400 + len(entry.path) + len(entry.query) + len(entry.request_body)
    weight += len(entry.response_body)
    for name, value in (*entry.request_headers, *entry.response_headers):
        weight += len(name) + len(value)
    for v in (*entry.violations, *entry.response_violations):
        weight += len(v.field) + len(v.expected) + len(v.actual) + len(v.message)
    return weight


@dataclass
class Journal:
    """A ring buffer: the newest `size` entries, and no more than about `max_bytes`, are kept,
    with ever-growing sequence numbers. Whatever a client sends, an entry stays small: paths,
    queries and violation texts are cut here; headers come through `journaled_headers` (the
    key as a fingerprint, long values cut) and bodies cut by the caller."""

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
        for key in ("path", "query"):
            if len(fields[key]) > URL_CHARS:
                fields[key] = _cut(fields[key], URL_CHARS)
        for key in ("violations", "response_violations"):
            if fields.get(key):
                fields[key] = tuple(_kept_violation(v) for v in fields[key])
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

    def first(self) -> int | None:
        """The sequence number of the oldest entry kept, or None when there is none."""
        with self._lock:
            return self._entries[0][0].seq if self._entries else None

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._bytes = 0
