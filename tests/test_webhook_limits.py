"""A webhook receiver, or a client's webhook_url, cannot turn the mock against its user: a
receiver that trickles or floods its answer costs one deadline and no memory, one account's
slow receiver does not hold up another's, the queue is bounded, and a webhook never reaches
the mock's own admin API (or, when the mock is exposed, a private address)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from conftest import Api, new_record
from flask import Flask
from receiver import Receiver

from mock_server import ManualClock, MockConfig
from mock_server.api.state import state_of


def _deliveries(api: Api, wait: float = 10) -> list[dict[str, Any]]:
    state_of(api.client.application).webhooks.wait_idle(wait)
    return list(api.client.get("/__mock__/webhooks").get_json()["deliveries"])


@contextmanager
def _raw_receiver(
    answer: Callable[[socket.socket, list[int]], None],
) -> Iterator[tuple[str, list[int]]]:
    """A loopback server that reads one request and answers through `answer`; yields its URL
    and the list `answer` may add what it managed to send to."""
    server = socket.create_server(("127.0.0.1", 0))
    sent: list[int] = []

    def serve() -> None:
        conn, _ = server.accept()
        with conn:
            conn.recv(65536)
            try:
                answer(conn, sent)
            except OSError:
                pass

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.getsockname()[1]}/hook", sent
    finally:
        server.close()
        thread.join(10)


@pytest.mark.slow
def test_a_trickling_receiver_costs_one_deadline(
    make_app: Callable[..., Flask], clock: ManualClock
) -> None:
    def trickle(conn: socket.socket, _: list[int]) -> None:
        for byte in b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n":
            conn.sendall(bytes([byte]))
            time.sleep(0.2)  # a byte at a time: a per-read timeout never trips

    api = Api(make_app(MockConfig(webhook_timeout=1.0, webhook_attempts=1)).test_client())
    with _raw_receiver(trickle) as (url, _):
        new_record(api, webhook_url=url)
        clock.advance(10)
        (delivery,) = _deliveries(api)
    (attempt,) = delivery["attempts"]
    assert delivery["state"] == "failed"
    assert "within 1 s" in attempt["error"]
    assert attempt["seconds"] < 3  # the trickle alone would take 8 s


@pytest.mark.slow
def test_a_huge_answer_is_not_read(make_app: Callable[..., Flask], clock: ManualClock) -> None:
    size = 200 * 1024 * 1024

    def flood(conn: socket.socket, sent: list[int]) -> None:
        conn.sendall(f"HTTP/1.1 200 OK\r\nContent-Length: {size}\r\n\r\n".encode())
        chunk, total = b"x" * (1024 * 1024), 0
        conn.settimeout(5)
        try:
            while total < size:
                conn.sendall(chunk)
                total += len(chunk)
        finally:
            sent.append(total)

    api = Api(make_app(MockConfig(webhook_timeout=5.0, webhook_attempts=1)).test_client())
    with _raw_receiver(flood) as (url, sent):
        new_record(api, webhook_url=url)
        clock.advance(10)
        (delivery,) = _deliveries(api)
    assert delivery["state"] == "delivered"
    assert sent and sent[0] < 32 * 1024 * 1024  # the mock hung up long before 200 MB


@pytest.mark.slow
def test_one_accounts_slow_receiver_does_not_delay_anothers(
    make_app: Callable[..., Flask], clock: ManualClock
) -> None:
    config = MockConfig(webhook_timeout=3.0, webhook_attempts=1)
    alice = Api(make_app(config).test_client(), "alice", "k")
    bob = alice.as_account("bob")
    with Receiver(delay=2.5) as slow, Receiver() as fast:
        for _ in range(4):  # more than any fixed pool of workers would take
            new_record(alice, webhook_url=slow.url)
        new_record(bob, webhook_url=fast.url)
        clock.advance(10)
        hit = fast.next(timeout=1.5)  # well before alice's first delivery ends
    assert hit["json"]["status"] == "image_generated"


@pytest.mark.slow
def test_the_queue_is_bounded(make_app: Callable[..., Flask], clock: ManualClock) -> None:
    config = MockConfig(webhook_timeout=1.0, webhook_attempts=1, webhook_queue=2)
    api = Api(make_app(config).test_client())
    with Receiver(delay=0.5) as receiver:
        for _ in range(4):
            new_record(api, webhook_url=receiver.url)
        clock.advance(10)
        deliveries = _deliveries(api)
    states = sorted(d["state"] for d in deliveries)
    assert states == ["delivered", "delivered", "failed", "failed"]
    dropped = [d for d in deliveries if d["state"] == "failed"]
    assert all("2 deliveries already wait" in d["attempts"][0]["error"] for d in dropped)


def test_a_webhook_never_reaches_the_admin_api(
    make_app: Callable[..., Flask], clock: ManualClock
) -> None:
    api = Api(make_app().test_client())
    kept = new_record(api)
    # Every spelling the mock's server would route to /__mock__/reset (found by
    # benchmarks/attacks.py): percent-encoded, with dot segments, with a doubled slash.
    urls = [
        "http://127.0.0.1:8000/__mock__/reset",
        "http://localhost/__mock__/faults",
        "http://127.0.0.1:8000/%5F%5Fmock%5F%5F/reset",
        "http://127.0.0.1:8000/%5f_mock__/reset",
        "http://127.0.0.1:8000/%255F%255Fmock%255F%255F/reset",
        "http://127.0.0.1:8000/api/../__mock__/reset",
        "http://127.0.0.1:8000//__mock__/reset",
        "http://127.0.0.1:8000/./__MOCK__/reset",
    ]
    for url in urls:
        new_record(api.as_account("mallory"), webhook_url=url)
    clock.advance(10)
    deliveries = _deliveries(api)
    assert [d["state"] for d in deliveries] == ["failed"] * len(urls)
    assert all("admin API" in d["attempts"][0]["error"] for d in deliveries)
    assert api.get(kept).status_code == 200


@pytest.mark.slow
def test_an_exposed_mock_calls_no_private_address_unless_allowed(
    make_app: Callable[..., Flask], clock: ManualClock
) -> None:
    with Receiver() as receiver:
        exposed = Api(make_app(MockConfig(private_webhooks=False)).test_client())
        new_record(exposed, webhook_url=receiver.url)
        allowed = Api(make_app(MockConfig(private_webhooks=True)).test_client())
        new_record(allowed, webhook_url=receiver.url)
        clock.advance(10)
        (refused,) = _deliveries(exposed)
        (sent,) = _deliveries(allowed)
    assert refused["state"] == "failed"
    assert "--allow-private-webhooks" in refused["attempts"][0]["error"]
    assert "127.0.0.1" in refused["attempts"][0]["error"]
    assert sent["state"] == "delivered"
