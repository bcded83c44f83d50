"""Webhooks reach a local receiver when a task ends; a bad receiver never stalls the mock."""

from __future__ import annotations

import socket
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import Api, image_ready, new_record
from flask import Flask
from receiver import Receiver

from mock_server import (
    ManualClock,
    MockConfig,
    MockServer,
    Phases,
    SystemClock,
    close_app,
    create_app,
)
from mock_server.api.state import state_of

FAST = MockConfig(webhook_backoff=0.01, webhook_timeout=0.5)


def _api(make_app: Callable[..., Flask], config: MockConfig = FAST, **options: object) -> Api:
    return Api(make_app(config, **options).test_client())


def _deliveries(api: Api) -> list[dict[str, Any]]:
    state_of(api.client.application).webhooks.wait_idle(10)
    return list(api.client.get("/__mock__/webhooks").get_json()["deliveries"])


@pytest.mark.slow
def test_image_generated_is_posted_once(make_app: Callable[..., Flask], clock: ManualClock) -> None:
    api = _api(make_app)
    with Receiver() as receiver:
        record_id = new_record(api, webhook_url=receiver.url)
        clock.advance(1)  # image_generating: not an end, no webhook
        clock.advance(10)
        hit = receiver.next()
        assert hit["path"] == "/hooks/creatify"
        assert hit["content_type"] == "application/json"
        assert hit["json"] == api.get(record_id).get_json()
        assert hit["json"]["status"] == "image_generated"
        assert receiver.received.empty()
        (delivery,) = _deliveries(api)
        assert delivery["state"] == "delivered"
        assert delivery["event"] == "image_generated"
        assert [a["status_code"] for a in delivery["attempts"]] == [200]


@pytest.mark.slow
def test_the_video_and_failures_are_posted(
    make_app: Callable[..., Flask], clock: ManualClock
) -> None:
    api = _api(make_app)
    with Receiver() as receiver:
        record_id = image_ready(api, clock)
        api.follow_up("gen_video", record_id, {"webhook_url": receiver.url})
        clock.advance(10)
        assert receiver.next()["json"]["status"] == "video_generated"
        failing = new_record(
            api, webhook_url=receiver.url, headers={"Prefer": "outcome=image-failed"}
        )
        clock.advance(10)
        hit = receiver.next()["json"]
        assert (hit["id"], hit["status"]) == (failing, "failed")
        assert hit["failed_reason"]


@pytest.mark.slow
def test_gen_video_notifies_the_url_given_at_creation(
    make_app: Callable[..., Flask], clock: ManualClock
) -> None:
    api = _api(make_app)
    with Receiver() as receiver:
        record_id = new_record(api, webhook_url=receiver.url)
        clock.advance(10)
        assert receiver.next()["json"]["status"] == "image_generated"
        api.follow_up("gen_video", record_id)
        clock.advance(10)
        assert receiver.next()["json"]["status"] == "video_generated"


@pytest.mark.slow
def test_failed_deliveries_are_retried_a_bounded_number_of_times(
    make_app: Callable[..., Flask], clock: ManualClock
) -> None:
    api = _api(make_app)
    with Receiver(statuses=(500, 503, 200)) as receiver:
        new_record(api, webhook_url=receiver.url)
        clock.advance(10)
        (delivery,) = _deliveries(api)
        assert delivery["state"] == "delivered"
        assert [a["status_code"] for a in delivery["attempts"]] == [500, 503, 200]
    with Receiver(statuses=(500,)) as always_failing:
        api.client.post("/__mock__/reset")
        new_record(api, webhook_url=always_failing.url)
        clock.advance(10)
        (delivery,) = _deliveries(api)
        assert delivery["state"] == "failed"
        assert len(delivery["attempts"]) == 3


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.slow
def test_a_dead_receiver_is_recorded_as_failed(
    make_app: Callable[..., Flask], clock: ManualClock
) -> None:
    api = _api(make_app)
    new_record(api, webhook_url=f"http://127.0.0.1:{_closed_port()}/gone")
    clock.advance(10)
    (delivery,) = _deliveries(api)
    assert delivery["state"] == "failed"
    assert all("ConnectError" in str(a["error"]) for a in delivery["attempts"])


@pytest.mark.slow
def test_a_hanging_receiver_does_not_stall_requests(
    make_app: Callable[..., Flask], clock: ManualClock
) -> None:
    api = _api(make_app, MockConfig(webhook_timeout=0.5, webhook_attempts=2, webhook_backoff=0.01))
    with Receiver(delay=1.5) as receiver:
        new_record(api, webhook_url=receiver.url)
        clock.advance(10)
        created = api.gen_image()
        listed = api.list_records()
        assert (created.status_code, listed.status_code) == (200, 200)
        (delivery, *_) = api.client.get("/__mock__/webhooks").get_json()["deliveries"]
        assert delivery["state"] == "pending"  # still waiting on the receiver
        (delivery,) = _deliveries(api)
        assert delivery["state"] == "failed"
        assert all("Timeout" in str(a["error"]) for a in delivery["attempts"])


@pytest.mark.slow
def test_with_the_system_clock_webhooks_fire_without_polling(
    make_app: Callable[..., Flask],
) -> None:
    config = MockConfig(phases=Phases(0.01, 0.02, 0.02), webhook_backoff=0.01)
    api = _api(make_app, config, clock=SystemClock())
    with Receiver() as receiver:
        record_id = new_record(api, webhook_url=receiver.url)
        hit = receiver.next(timeout=5)  # no GET in between: the ticker finished the phase
        assert (hit["json"]["id"], hit["json"]["status"]) == (record_id, "image_generated")


@pytest.mark.slow
def test_records_without_a_webhook_cost_no_background_work(
    make_app: Callable[..., Flask],
) -> None:
    # A load test leaves thousands of records behind; moving each on a timer would take
    # the server's time. They are brought up to date when read instead.
    config = MockConfig(phases=Phases(0.01, 0.02, 0.02), webhook_backoff=0.01)
    api = _api(make_app, config, clock=SystemClock())
    simulator = state_of(api.client.application).simulator
    record_ids = [new_record(api) for _ in range(20)]
    assert simulator._ticker is None
    deadline = time.monotonic() + 5
    while api.status(record_ids[0]) != "image_generated":  # polling alone moves it on
        assert time.monotonic() < deadline, "the record never moved on"
        time.sleep(0.01)
    time.sleep(0.05)  # the last record was made a few ms after the first: let it finish too
    assert [r["status"] for r in api.list_records().get_json()] == ["image_generated"] * 20
    assert simulator._ticker is None
    with Receiver() as receiver:
        new_record(api, webhook_url=receiver.url)
        assert simulator._ticker is not None
        assert receiver.next(timeout=5)["json"]["status"] == "image_generated"


@pytest.mark.slow
def test_a_restart_sends_the_webhooks_its_state_file_left_due(tmp_path: Path) -> None:
    # Found in review: only a new webhook record started the ticker, so a webhook left due
    # by a --state file waited for some client to call.
    config = MockConfig(
        phases=Phases(0.3, 0.3, 0.3), webhook_backoff=0.01, state_path=str(tmp_path / "s.db")
    )
    with Receiver() as receiver:
        first = create_app(config, clock=SystemClock())
        record_id = new_record(Api(first.test_client()), webhook_url=receiver.url)
        close_app(first)  # stopped before the image was made
        with MockServer(create_app(config, clock=SystemClock())):  # and no client calls
            hit = receiver.next(timeout=5)
        assert (hit["json"]["id"], hit["json"]["status"]) == (record_id, "image_generated")


@pytest.mark.parametrize("seconds", [float("inf"), float("nan"), -1])
def test_a_phase_must_end(seconds: float) -> None:
    with pytest.raises(ValueError, match="finite number of seconds"):
        Phases(image_generating=seconds)
