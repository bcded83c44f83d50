"""Record through the proxy against a local upstream, check, replay, and catch drift."""

from __future__ import annotations

import json
import logging
import signal
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from flask import Flask
from live import COMMAND, LiveMock

from mock_server import ManualClock, MockConfig, MockServer, create_app
from mock_server.api.state import state_of
from mock_server.recordings.drift import check_path
from mock_server.recordings.recorder import create_recorder
from mock_server.recordings.replay import create_replay_app
from mock_server.recordings.scrub import Scrubber

API_ID, API_KEY = "acct_7fQ2xK9mP4wL", "sk_live_51Hq8ZyX2c9vT0pQrStUvWx"
PROJECT = "acme-internal-project"
SECRETS = (API_ID, API_KEY, PROJECT)
BASE = "/api/product_to_videos/"
ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.slow  # each test serves on a loopback port or runs the command


@pytest.fixture
def upstream() -> Iterator[tuple[Flask, str]]:
    app = create_app(MockConfig(), clock=ManualClock(start=1_748_603_465.0))
    with MockServer(app) as server:
        yield app, server.url


def _flow(client: httpx.Client, advance: Callable[[float], None]) -> list[tuple[int, Any]]:
    """The whole flow a client runs: what each call answered, in order."""
    answers: list[tuple[int, Any]] = []

    def keep(response: httpx.Response) -> Any:
        answers.append((response.status_code, response.json()))
        return response.json()

    body = {"product_url": "https://example.com/shoe.jpg", "image_prompt": f"for {PROJECT}"}
    record = keep(client.post(BASE + "gen_image/", json=body))
    record_id = record.get("id", "00000000-0000-4000-8000-000000000000")
    for _ in range(3):
        keep(client.get(f"{BASE}{record_id}/"))
        advance(1.0)
    keep(client.post(f"{BASE}{record_id}/gen_video/", json={"motion_style": "display"}))
    advance(5)
    keep(client.get(f"{BASE}{record_id}/"))
    keep(client.get(BASE, params={"ids": record_id}))
    return answers


def _client(base_url: str, transport: httpx.BaseTransport | None = None) -> httpx.Client:
    headers = {"X-API-ID": API_ID, "X-API-KEY": API_KEY}
    return httpx.Client(base_url=base_url, headers=headers, transport=transport)


def _record(upstream_url: str, out: Path, advance: Callable[[float], None]) -> tuple[Any, list]:
    recorder = create_recorder(upstream_url, out, scrub_values=(PROJECT,))
    with MockServer(recorder) as proxy, _client(proxy.url) as client:
        answers = _flow(client, advance)
    return recorder.extensions["creatify_recorder"], answers


def test_a_recorded_flow_is_scrubbed_valid_and_replays(
    upstream: tuple[Flask, str], tmp_path: Path
) -> None:
    app, url = upstream
    out = tmp_path / "recordings"
    recorder, live = _record(url, out, state_of(app).clock.advance)  # type: ignore[attr-defined]
    statuses = [body["status"] for _, body in live if isinstance(body, dict)]
    assert statuses[0] == "initializing"
    assert "image_generated" in statuses
    assert statuses[-1] == "video_generated"
    assert recorder.drifts == []

    (har,) = out.glob("*.har")
    text = har.read_text(encoding="utf-8")
    for secret in SECRETS:
        assert secret not in text, secret
    assert "[scrubbed]" in text

    checked, drifts = check_path(out)
    assert (checked, drifts) == (len(live), [])

    replay = create_replay_app(out)
    with _client("http://replay", httpx.WSGITransport(app=replay)) as client:
        replayed = _flow(client, lambda seconds: None)
    assert replayed == Scrubber(SECRETS).value(live)  # what the recording keeps of each answer


def test_replay_names_the_nearest_recordings(upstream: tuple[Flask, str], tmp_path: Path) -> None:
    app, url = upstream
    _record(url, tmp_path, state_of(app).clock.advance)  # type: ignore[attr-defined]
    replay = create_replay_app(tmp_path).test_client()
    missing = replay.get(f"{BASE}3c90c3cc-0d44-4b50-8888-8dd25736052a/gen_video/")
    assert missing.status_code == 404
    detail = missing.get_json()["detail"]
    assert "no recording matches GET" in detail
    assert "Nearest recordings" in detail
    other_body = replay.post(BASE + "gen_image/", json={"product_url": "https://x.io/y.png"})
    assert "with another body" in other_body.get_json()["detail"]


def _drifting(app: Flask) -> Callable[..., Any]:
    """An upstream that drifted: a field renamed, and a status the spec does not know."""

    def wsgi(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        seen: dict[str, Any] = {}

        def capture(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            seen.update(status=status, headers=headers)
            return lambda data: None

        body = b"".join(app(environ, capture))
        if body.startswith(b"{") and b'"status"' in body:
            data = json.loads(body)
            data["photo_url"] = data.pop("generated_photo_url")
            data["status"] = "queued"
            body = json.dumps(data).encode()
        headers = [(k, v) for k, v in seen["headers"] if k.lower() != "content-length"]
        start_response(seen["status"], [*headers, ("Content-Length", str(len(body)))])
        return [body]

    return wsgi


def test_drift_is_reported_live_and_by_the_check(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    app = create_app(MockConfig(), clock=ManualClock(start=1_748_603_465.0))
    with MockServer(_drifting(app)) as server, caplog.at_level(logging.WARNING):  # type: ignore[arg-type]
        recorder = create_recorder(server.url, tmp_path)
        with MockServer(recorder) as proxy, _client(proxy.url) as client:
            response = client.post(BASE + "gen_image/", json={"product_url": "https://a.io/b.png"})
    assert response.json()["status"] == "queued"
    live = [r.getMessage() for r in caplog.records if r.getMessage().startswith("drift:")]
    assert any("response generated_photo_url [required]" in line for line in live)
    assert any("response status [enum]" in line and '"queued"' in line for line in live)
    checked, drifts = check_path(tmp_path)
    assert checked == 1
    assert {(d.field, d.rule) for d in drifts} >= {
        ("generated_photo_url", "required"),
        ("status", "enum"),
    }


def test_the_record_command_proxies_and_writes_har(tmp_path: Path) -> None:
    with LiveMock("--quiet") as upstream:
        command = [
            str(COMMAND),
            "record",
            "--port",
            "0",
            "--upstream",
            upstream.url,
            "--out",
            str(tmp_path),
            "--scrub",
            PROJECT,
        ]
        proxy = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            assert proxy.stdout is not None
            url = proxy.stdout.readline().split()[2]
            with _client(url) as client:
                created = client.post(
                    BASE + "gen_image/", json={"product_url": "https://a.io/b.png"}
                )
        finally:
            proxy.send_signal(signal.SIGINT)
            printed, errors = proxy.communicate(timeout=10)
    assert created.status_code == 200
    # The upstream's Server and Date come through, once each: not the proxy's own as well.
    assert created.headers.get_list("server") == ["creatify-mock"]
    assert len(created.headers.get_list("date")) == 1
    assert proxy.returncode == 0, errors
    assert "stopped; 1 exchanges kept" in printed
    (har,) = tmp_path.glob("recording-*.har")
    data = json.loads(har.read_text())
    assert data["log"]["version"] == "1.2"
    assert data["log"]["entries"][0]["response"]["status"] == 200
    assert API_KEY not in har.read_text()


def test_fixtures_check_passes_on_the_shipped_fixtures_and_fails_on_drift(tmp_path: Path) -> None:
    shipped = subprocess.run(
        [str(COMMAND), "fixtures", "check", str(ROOT / "fixtures")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert shipped.returncode == 0, shipped.stdout
    assert "0 drifting" in shipped.stdout
    app = create_app(MockConfig(), clock=ManualClock())
    with MockServer(_drifting(app)) as server:  # type: ignore[arg-type]
        recorder = create_recorder(server.url, tmp_path)
        with MockServer(recorder) as proxy, _client(proxy.url) as client:
            client.post(BASE + "gen_image/", json={"product_url": "https://a.io/b.png"})
    drifted = subprocess.run(
        [str(COMMAND), "fixtures", "check", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert drifted.returncode == 1
    assert "response generated_photo_url [required]" in drifted.stdout
    assert "expected one of" in drifted.stdout
