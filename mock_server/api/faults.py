"""Transient faults on demand: the next requests answered 429 or 503 before anything is
processed, so a client may (and should) retry them."""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass

from .errors import AdminError, ApiError

__all__ = ["Fault", "FaultQueue"]


@dataclass(frozen=True)
class Fault:
    status: int  # 429 or 503
    operation: str | None  # an operationId, or None for any operation
    retry_after: int = 1

    def error(self) -> ApiError:
        if self.status == 429:
            detail = f"Request was throttled. Expected available in {self.retry_after} seconds."
        else:
            detail = "Service temporarily unavailable, try again later."
        return ApiError(self.status, detail, {"Retry-After": str(self.retry_after)})


class FaultQueue:
    def __init__(self) -> None:
        self._faults: deque[Fault] = deque()
        self._lock = threading.Lock()

    def add(self, fault: Fault, count: int = 1) -> None:
        if fault.status not in (429, 503):
            raise AdminError(400, f"status: expected 429 or 503; got {fault.status!r}.")
        if fault.retry_after < 0:
            raise AdminError(400, f"retry_after: expected seconds >= 0; got {fault.retry_after!r}.")
        with self._lock:
            self._faults.extend([fault] * count)

    def take(self, operation: str) -> Fault | None:
        """The first queued fault that applies to this operation, removed from the queue."""
        with self._lock:
            for fault in self._faults:
                if fault.operation in (None, operation):
                    self._faults.remove(fault)
                    return fault
        return None

    def __len__(self) -> int:
        return len(self._faults)  # a len() of a deque needs no lock under the GIL

    def pending(self) -> list[dict[str, object]]:
        with self._lock:
            return [dict(vars(f)) for f in self._faults]

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()
