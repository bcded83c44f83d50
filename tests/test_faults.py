"""Faults a client meets on the way to the API: gateway pages, stalls and resets, faults that
wait for a paid POST; none of them freezes the mock for other clients."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator

import httpx
import pytest
from conftest import Api, image_ready
from flask import Flask
from live import LiveMock

from mock_server import (
    Controls,
    MockConfig,
    MockServer,
    Phases,
    SystemClock,
    close_app,
    create_app,
)

HEADERS = {"X-API-ID": "a", "X-API-KEY": "b"}
LIST = "/api/product_to_videos/"
IMAGE = "product_to_videos_gen_image"


def test_a_gateway_answers_in_html_or_with_nothing(api: Api) -> None:
    api.client.post("/__mock__/faults", json={"status": 502})
    api.client.post("/__mock__/faults", json={"status": 504, "body": "empty"})
    page = api.list_records()
    assert page.status_code == 502
    assert page.headers["Content-Type"] == "text/html"
    assert page.get_data(as_text=True).startswith("<html>")
    empty = api.list_records()
    assert (empty.status_code, empty.get_data()) == (504, b"")
    entries = api.journal()
    assert [e["status"] for e in entries] == [502, 504]
    assert entries[0]["response_headers"] == {"Content-Type": "text/html"}
    # Not the API's answer: nothing to hold against the contract, no problem of the mock's.
    assert all(e["response_violations"] == [] for e in entries)


@pytest.mark.parametrize(
    ("fault", "field"),
    [
        ({"status": 502, "body": "json"}, "body"),
        ({"status": 429, "body": "html"}, "body"),
        ({"drop": "hang"}, "drop"),
        ({"drop": "stall", "seconds": 500}, "seconds"),
        ({"status": 429, "processed": True}, "processed"),
        ({"after": "gen_image"}, "after"),
    ],
)
def test_a_fault_that_cannot_be_served_is_refused(
    api: Api, fault: dict[str, object], field: str
) -> None:
    answer = api.client.post("/__mock__/faults", json=fault)
    assert answer.status_code == 400
    assert answer.get_json()["detail"].startswith(f"{field}: expected")


def test_a_fault_after_a_paid_post_waits_for_it(api: Api, app: Flask) -> None:
    Controls.of(app).queue_fault(503, "product_to_videos_retrieve", after=IMAGE)
    assert api.list_records().status_code == 200
    assert api.get("00000000-0000-4000-8000-000000000000").status_code == 404  # not yet
    record_id = api.gen_image().get_json()["id"]
    unavailable = api.get(record_id)
    assert (unavailable.status_code, unavailable.headers["Retry-After"]) == (503, "1")
    assert api.get(record_id).status_code == 200


def test_in_process_a_stall_is_a_504_at_once(api: Api) -> None:
    # No socket to hold (a test client, or waitress): a gateway's answer, never a held thread.
    api.client.post("/__mock__/faults", json={"drop": "stall", "seconds": 60})
    started = time.monotonic()
    assert api.list_records().status_code == 504
    assert time.monotonic() - started < 30
    assert api.journal()[0]["dropped"] == "stall"


@pytest.fixture
def served() -> Iterator[Callable[[], tuple[MockServer, Controls]]]:
    servers: list[MockServer] = []

    def start() -> tuple[MockServer, Controls]:
        app = create_app(MockConfig(phases=Phases(0.1, 0.1, 0.1)), clock=SystemClock())
        servers.append(MockServer(app).start())
        return servers[-1], Controls.of(app)

    yield start
    for server in servers:
        server.stop()
        close_app(server.app)


@pytest.mark.slow
def test_a_stall_holds_only_its_own_request(
    served: Callable[[], tuple[MockServer, Controls]],
) -> None:
    server, controls = served()
    controls.queue_fault(operation="product_to_videos_list", drop="stall", seconds=1.5)
    outcome: list[BaseException] = []

    def stalled() -> None:
        try:
            httpx.get(server.url + LIST, headers=HEADERS, timeout=10)
        except httpx.HTTPError as exc:
            outcome.append(exc)

    waiting = threading.Thread(target=stalled)
    waiting.start()
    time.sleep(0.3)
    other = httpx.post(
        server.url + LIST + "gen_image/", headers=HEADERS, json={"product_url": "https://x.io/a"}
    )
    assert other.status_code == 200  # served while the stall is held
    waiting.join(10)
    assert isinstance(outcome[0], httpx.RemoteProtocolError)  # closed, no answer
    stall = next(e for e in controls.journal() if e.dropped)
    assert (stall.dropped, stall.status) == ("stall", 0)
    assert 1.4 <= stall.held < 5


@pytest.mark.slow
def test_a_client_that_gives_up_is_seen_to(
    served: Callable[[], tuple[MockServer, Controls]],
) -> None:
    server, controls = served()
    controls.queue_fault(drop="stall", seconds=30)
    with pytest.raises(httpx.ReadTimeout):
        httpx.get(server.url + LIST, headers=HEADERS, timeout=0.5)
    deadline = time.monotonic() + 5
    while not controls.journal() and time.monotonic() < deadline:
        time.sleep(0.05)
    entry = controls.journal()[0]
    assert entry.dropped == "stall abandoned"
    assert 0.4 <= entry.held < 5


@pytest.mark.slow
def test_a_reset_after_processing_loses_only_the_answer(
    served: Callable[[], tuple[MockServer, Controls]],
) -> None:
    server, controls = served()
    controls.queue_fault(operation=IMAGE, drop="reset", processed=True)
    with pytest.raises(httpx.ReadError, match="reset"):
        httpx.post(
            server.url + LIST + "gen_image/",
            headers=HEADERS,
            json={"product_url": "https://x.io/a"},
        )
    made = httpx.get(server.url + LIST, headers=HEADERS).json()
    assert len(made) == 1  # the record was made, and paid for
    lost = controls.journal()[0]
    assert (lost.status, lost.dropped, lost.record_id) == (200, "reset", made[0]["id"])


def test_lenient_state_gates_allow_an_earlier_regen(api: Api, clock: object) -> None:
    record_id = image_ready(api, clock)  # type: ignore[arg-type]
    assert api.follow_up("gen_video", record_id).status_code == 200
    refused = api.follow_up("regen_video", record_id)
    assert refused.status_code == 400
    assert "'video_generating'" in refused.get_json()["detail"]
    changed = api.client.patch("/__mock__/variants", json={"state_gates": "lenient"})
    assert changed.get_json()["state_gates"] == "lenient"
    allowed = api.follow_up("regen_video", record_id)
    assert allowed.status_code == 200
    assert allowed.get_json()["regen_source_id"] == record_id
    wrong = api.client.patch("/__mock__/variants", json={"state_gates": "loose"})
    assert wrong.status_code == 400
    assert "state_gates: expected one of 'strict', 'lenient'" in wrong.get_json()["detail"]


@pytest.mark.slow
def test_under_serve_a_stall_holds_no_thread() -> None:
    # serve runs the app on one thread by default: a held stall would freeze every client.
    with LiveMock("--quiet") as mock, mock.client() as client:
        client.post("/__mock__/faults", json={"drop": "stall", "seconds": 60})
        started = time.monotonic()
        assert client.get(LIST).status_code == 504
        assert time.monotonic() - started < 30
        client.post("/__mock__/faults", json={"drop": "reset"})
        empty = client.get(LIST)
        assert (empty.status_code, empty.content) == (502, b"")
        assert client.get(LIST).status_code == 200
