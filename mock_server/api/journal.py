"""Every request the mock answered, with its verdict against the contract; bounded in size."""

from __future__ import annotations

import itertools
import threading
from collections import deque
from dataclasses import asdict, dataclass, field
from typing import Any

from ..contract.violations import Violation

__all__ = ["Journal", "JournalEntry"]


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


@dataclass
class Journal:
    """A ring buffer: the newest `size` entries are kept, with ever-growing sequence numbers."""

    size: int = 10_000
    _entries: deque[JournalEntry] = field(init=False)
    _seq: itertools.count[int] = field(init=False)
    _lock: threading.Lock = field(init=False, default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self._entries = deque(maxlen=self.size)
        self._seq = itertools.count(1)

    def add(self, **fields: Any) -> JournalEntry:
        with self._lock:
            entry = JournalEntry(seq=next(self._seq), **fields)
            self._entries.append(entry)
        return entry

    def entries(self, since: int = 0) -> list[JournalEntry]:
        with self._lock:
            return [e for e in self._entries if e.seq > since]

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
