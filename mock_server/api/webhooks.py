"""Webhook deliveries: POSTed from background threads, one lane per account, with a deadline,
bounded retries, a bounded queue and a target policy.

Each account's deliveries go out in order from a thread of its own, so a receiver that
stalls delays only its own account's webhooks. An attempt has a total deadline (not only
httpx's per-read timeout, which a receiver trickling one byte at a time never trips): past
it the connection is closed. Only the status line and headers of a receiver's answer are
read; its body is never read into memory. A target the policy refuses (the mock's own admin
API, and private addresses when the mock is exposed) is recorded as failed, not sent.
"""

from __future__ import annotations

import copy
import functools
import ipaddress
import itertools
import socket
import ssl
import threading
import time
from collections import deque
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit

from .guard import ADMIN_PREFIX

if TYPE_CHECKING:  # httpx costs 0.1 s to import; a mock that sends no webhook skips it
    import httpx

__all__ = ["Attempt", "Delivery", "TargetPolicy", "WebhookDispatcher"]


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
    account: str = ""

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class TargetPolicy:
    """Where a webhook may go. Never to the mock's own admin API (any account could reset
    everyone's records through it); with `private` off, never to a loopback, link-local,
    private or reserved address, which a mock exposed beyond loopback must not reach for a
    client (SSRF)."""

    private: bool = True

    def refusal(self, url: str) -> str | None:
        """Why `url` is refused, or None."""
        parts = urlsplit(url)
        if _names_admin(parts.path):
            return (
                f"webhook_url: {url} is the mock's admin API; a webhook never goes there "
                "(it would let any account act on every account's records)"
            )
        if self.private:
            return None
        try:
            infos = socket.getaddrinfo(parts.hostname or "", parts.port or 80)
        except (OSError, UnicodeError) as exc:
            return f"webhook_url: {url} does not resolve ({exc})"
        for info in infos:
            address = ipaddress.ip_address(str(info[4][0]).split("%")[0])
            if not address.is_global:
                return (
                    f"webhook_url: {url} reaches {address}, a loopback, link-local or private "
                    "address, which this mock (listening beyond loopback) does not call; "
                    "start it with --allow-private-webhooks to allow them"
                )
        return None


def _names_admin(path: str) -> bool:
    """Whether a path could reach the admin API however the mock's server reads it: every
    percent-encoding undone (%5F__mock__), and `..` or `//` no way around (anything with
    __mock__ in it is refused; no webhook receiver needs that name)."""
    for _ in range(5):  # %255F is %5F once decoded, then _
        decoded = unquote(path)
        if decoded == path:
            break
        path = decoded
    return ADMIN_PREFIX.strip("/") in path.lower()


class WebhookDispatcher:
    """Never blocks the caller: `send` queues, one thread per account delivers.

    A delivery succeeds on any 2xx; a connection error, a timeout or another status is
    tried again after `backoff * 2**n` seconds, up to `attempts` tries in all. At most
    `queue_limit` deliveries wait at once; one past it is recorded as failed.
    """

    def __init__(
        self,
        *,
        timeout: float = 5.0,
        attempts: int = 3,
        backoff: float = 0.5,
        keep: int = 1_000,
        queue_limit: int = 10_000,
        policy: TargetPolicy | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.timeout, self.attempts, self.backoff = timeout, attempts, backoff
        self.queue_limit = queue_limit
        self.policy = policy or TargetPolicy()
        self._transport = transport
        self._log: deque[Delivery] = deque(maxlen=keep)
        self._ids = itertools.count(1)
        self._lanes: dict[str, deque[Delivery]] = {}
        self._pending = 0
        self._changed = threading.Condition()
        self._closed = False

    def send(
        self, record_id: str, url: str, event: str, payload: dict[str, Any], account: str = ""
    ) -> Delivery:
        delivery = Delivery(next(self._ids), record_id, url, event, payload, account=account)
        with self._changed:
            self._log.append(delivery)
            refused = self._refusal(delivery)
            if refused is not None:
                delivery.state = "failed"
                delivery.attempts.append(Attempt(time.time(), error=refused))
                return delivery
            self._pending += 1
            lane = self._lanes.get(account)
            if lane is not None:
                lane.append(delivery)  # its thread is running and will take it
                return delivery
            self._lanes[account] = deque([delivery])
        threading.Thread(
            target=self._run_lane, args=(account,), name=f"webhook:{account}", daemon=True
        ).start()
        return delivery

    def _refusal(self, delivery: Delivery) -> str | None:
        if self._closed:
            return "mock is shutting down"
        if self._pending >= self.queue_limit:
            return f"{self.queue_limit} deliveries already wait; this one was dropped"
        return self.policy.refusal(delivery.url)

    def _run_lane(self, account: str) -> None:
        while True:
            with self._changed:
                lane = self._lanes[account]
                if not lane or self._closed:
                    del self._lanes[account]
                    self._pending -= len(lane)
                    self._changed.notify_all()
                    return
                delivery = lane[0]
            self._deliver(delivery)
            with self._changed:
                lane.popleft()
                self._pending -= 1
                self._changed.notify_all()

    def _deliver(self, delivery: Delivery) -> None:
        for n in range(self.attempts):
            if n:
                time.sleep(self.backoff * 2 ** (n - 1))
            attempt = self._attempt(delivery)
            delivered = attempt.status_code is not None and 200 <= attempt.status_code < 300
            with self._changed:
                delivery.attempts.append(attempt)
                if delivered:
                    delivery.state = "delivered"
                    return
        with self._changed:
            delivery.state = "failed"

    def _attempt(self, delivery: Delivery) -> Attempt:
        import httpx

        started = time.monotonic()
        attempt = Attempt(at=time.time())
        # A client per attempt (cheap, with the SSL context made once): the deadline closes
        # it from another thread, and a receiver that trickles its answer then fails at once.
        client = httpx.Client(timeout=self.timeout, transport=self._transport, verify=_tls())
        deadline = threading.Timer(self.timeout, client.close)
        deadline.start()
        try:
            with client.stream("POST", delivery.url, json=delivery.payload) as response:
                attempt.status_code = response.status_code  # the body is never read
        except Exception as exc:  # httpx's errors, or a read cut by the deadline
            late = time.monotonic() - started >= self.timeout
            attempt.error = (
                f"Timeout: no answer within {self.timeout:g} s, the deadline of one attempt"
                if late
                else f"{type(exc).__name__}: {exc}"
            )
        finally:
            deadline.cancel()
            client.close()
        attempt.seconds = round(time.monotonic() - started, 4)
        return attempt

    def deliveries(self, newest: int | None = None, offset: int = 0) -> list[Delivery]:
        """Snapshots: safe to read while workers go on updating the originals. Every one,
        oldest first; or, with `newest`, that many, newest first, after skipping `offset`
        (copying a thousand takes ~60 ms: the dashboard asks for a page every second)."""
        with self._changed:
            if newest is None:
                return [copy.deepcopy(d) for d in self._log]
            end = max(len(self._log) - offset, 0)
            chosen = itertools.islice(self._log, max(end - newest, 0), end)
            return [copy.deepcopy(d) for d in reversed(list(chosen))]

    def count(self) -> int:
        with self._changed:
            return len(self._log)

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
            self._changed.notify_all()


@functools.cache
def _tls() -> ssl.SSLContext:
    import httpx

    return httpx.create_ssl_context()
