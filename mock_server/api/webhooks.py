"""Webhook deliveries: POSTed from worker threads with a timeout and bounded retries."""

from __future__ import annotations

import copy
import itertools
import threading
import time
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # httpx costs 0.1 s to import; a mock that sends no webhook skips it
    import httpx

__all__ = ["Attempt", "Delivery", "WebhookDispatcher"]


@dataclass
class Attempt:
    at: float
    status_code: int | None = None
    error: str | None = None
    seconds: float = 0.0


@dataclass
class Delivery:
    id: int
    record_id: str
    url: str
    event: str  # the status that ended the task
    payload: dict[str, Any]
    state: str = "pending"  # pending, delivered, failed
    attempts: list[Attempt] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class WebhookDispatcher:
    """Never blocks the caller: `send` queues, worker threads deliver.

    A delivery succeeds on any 2xx; a connection error, a timeout or another status is
    tried again after `backoff * 2**n` seconds, up to `attempts` tries in all.
    """

    def __init__(
        self,
        *,
        timeout: float = 5.0,
        attempts: int = 3,
        backoff: float = 0.5,
        workers: int = 4,
        keep: int = 1_000,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.timeout, self.attempts, self.backoff = timeout, attempts, backoff
        self._transport = transport
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="webhook")
        self._log: deque[Delivery] = deque(maxlen=keep)
        self._ids = itertools.count(1)
        self._pending = 0
        self._changed = threading.Condition()
        self._closed = False

    def send(self, record_id: str, url: str, event: str, payload: dict[str, Any]) -> Delivery:
        delivery = Delivery(next(self._ids), record_id, url, event, payload)
        with self._changed:
            if self._closed:
                delivery.state = "failed"
                delivery.attempts.append(Attempt(time.time(), error="mock is shutting down"))
                self._log.append(delivery)
                return delivery
            self._log.append(delivery)
            self._pending += 1
        self._pool.submit(self._deliver, delivery)
        return delivery

    def _deliver(self, delivery: Delivery) -> None:
        try:
            import httpx

            with httpx.Client(timeout=self.timeout, transport=self._transport) as client:
                for n in range(self.attempts):
                    if n:
                        time.sleep(self.backoff * 2 ** (n - 1))
                    attempt = self._attempt(client, delivery)
                    delivered = attempt.status_code is not None and 200 <= attempt.status_code < 300
                    with self._changed:
                        delivery.attempts.append(attempt)
                        if delivered:
                            delivery.state = "delivered"
                    if delivered:
                        return
                with self._changed:
                    delivery.state = "failed"
        finally:
            with self._changed:
                self._pending -= 1
                self._changed.notify_all()

    @staticmethod
    def _attempt(client: httpx.Client, delivery: Delivery) -> Attempt:
        started = time.monotonic()
        attempt = Attempt(at=time.time())
        try:
            response = client.post(delivery.url, json=delivery.payload)
            attempt.status_code = response.status_code
        except _http_error() as exc:
            attempt.error = f"{type(exc).__name__}: {exc}"
        attempt.seconds = round(time.monotonic() - started, 4)
        return attempt

    def deliveries(self) -> list[Delivery]:
        """Snapshots: safe to read while workers go on updating the originals."""
        with self._changed:
            return [copy.deepcopy(d) for d in self._log]

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """Block until no delivery is in flight; False if `timeout` passed first."""
        with self._changed:
            return self._changed.wait_for(lambda: self._pending == 0, timeout)

    def clear(self) -> None:
        with self._changed:
            self._log.clear()

    def close(self) -> None:
        with self._changed:
            self._closed = True
        self._pool.shutdown(wait=False, cancel_futures=True)


def _http_error() -> type[Exception]:
    import httpx

    return httpx.HTTPError
