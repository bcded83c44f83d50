"""Clocks: the system's, or a manual one that moves only when told, so tests never sleep."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Protocol, runtime_checkable

__all__ = ["Clock", "ManualClock", "SystemClock"]


@runtime_checkable
class Clock(Protocol):
    manual: bool

    def now(self) -> float:
        """Seconds since the epoch."""
        ...


class SystemClock:
    manual = False

    def now(self) -> float:
        return time.time()


class ManualClock:
    """Time that stands still until `advance` or `set` moves it.

    Listeners run after each move, outside the clock's lock, so the mock can finish every
    phase that fell due.
    """

    manual = True

    def __init__(self, start: float | None = None) -> None:
        self._now = time.time() if start is None else float(start)
        self._lock = threading.Lock()
        self._listeners: list[Callable[[float], None]] = []

    def now(self) -> float:
        with self._lock:
            return self._now

    def advance(self, seconds: float) -> float:
        if seconds < 0:
            raise ValueError(f"seconds: expected >= 0 (time does not run backwards); got {seconds}")
        with self._lock:
            self._now += seconds
            now = self._now
        self._notify(now)
        return now

    def set(self, when: float) -> float:
        with self._lock:
            if when < self._now:
                raise ValueError(
                    f"when: expected a time at or after the clock's {self._now}; got {when}"
                )
            self._now = when
        self._notify(when)
        return when

    def restore(self, when: float) -> float:
        """Take up a time saved earlier (a --state file's), back or forth: a mock restarted
        on a new clock, which starts at the wall time, resumes where it stopped. A clock
        that others already listen to only moves on, as with `set`: they have seen time
        run forward only."""
        with self._lock:
            if not self._listeners:
                self._now = float(when)
                return when
        return self.set(when)

    def subscribe(self, listener: Callable[[float], None]) -> None:
        self._listeners.append(listener)

    def _notify(self, now: float) -> None:
        for listener in list(self._listeners):
            listener(now)
