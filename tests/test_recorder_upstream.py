"""The recording proxy tells the truth when the upstream fails (down, slow, answering
garbage), keeps serving other clients meanwhile, logs no secret, and ends cleanly on
Ctrl-C. Every upstream here is a local server on 127.0.0.1; one that is down is a closed
local port."""

from __future__ import annotations

import json
import logging
import signal
import socket
import socketserver
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from flask import Flask
from live import COMMAND

from mock_server import Contract, MockServer, create_replay_app
from mock_server.recordings.drift import check_path
from mock_server.recordings.har import HarFile
from mock_server.recordings.recorder import create_recorder

pytestmark = pytest.mark.slow  # each test serves on a loopback port or runs the command

BASE = "/api/product_to_videos/"
HEADERS = {"X-API-ID": "acct_7fQ2xK9mP4wL", "X-API-KEY": "sk_live_51Hq8ZyX2c9vT0pQrStUvWx"}
GEN_IMAGE = {"product_url": "https://example.com/shoe.jpg"}


class Upstream:
    """A threaded local API: GETs answer `[]`, at once or, for a path with `slow` in it,
    once `release` is set (or after 10 s); `seen` is set when a slow one arrives."""

    def __init__(self) -> None:
        self.seen, self.release = threading.Event(), threading.Event()
        upstream = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - the name http.server calls
                if "slow" in self.path:
                    upstream.seen.set()
                    upstream.release.wait(10)
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"[]")

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self) -> Upstream:
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


@contextmanager
def garbage_upstream() -> Iterator[str]:
    """A local server that answers every connection with bytes that are not HTTP."""

    class Handler(socketserver.BaseRequestHandler):
        def handle(self) -> None:
            self.request.recv(65536)
            self.request.sendall(b"SSH-2.0-OpenSSH_9.6\r\nnot an HTTP answer\r\n\r\n")

    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@contextmanager
def down_upstream() -> Iterator[str]:
    """A closed local port: nothing listens there."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    yield f"http://127.0.0.1:{port}"


def _proxy(upstream: str, out: Path, contract: Contract, **options: Any) -> Flask:
    return create_recorder(upstream, out, contract=contract, **options)


def _only_failure_line(caplog: pytest.LogCaptureFixture) -> str:
    """The one line the proxy logged about the failure; no traceback anywhere."""
    assert [r for r in caplog.records if r.exc_info] == [], "a traceback was logged"
    (line,) = [r.getMessage() for r in caplog.records if r.name == "creatify_mock.record"]
    assert "\n" not in line
    return line


@pytest.mark.parametrize(
    ("make_upstream", "kind", "said"),
    [
        (down_upstream, "unreachable", "cannot connect to the upstream"),
        (garbage_upstream, "broken", "no valid HTTP answer"),
    ],
)
def test_an_upstream_down_or_answering_garbage_gets_502_recorded_as_a_failure(
    make_upstream: Callable[[], AbstractContextManager[str]],
    kind: str,
    said: str,
    tmp_path: Path,
    contract: Contract,
    caplog: pytest.LogCaptureFixture,
) -> None:
    with make_upstream() as upstream, caplog.at_level(logging.INFO):
        with MockServer(_proxy(upstream, tmp_path, contract)) as proxy:
            answer = httpx.post(proxy.url + BASE + "gen_image/", json=GEN_IMAGE, headers=HEADERS)
    assert answer.status_code == 502
    detail = answer.json()["detail"]
    assert said in detail and upstream in detail and "--upstream" in detail
    line = _only_failure_line(caplog)
    assert said in line and "answered 502" in line

    (har,) = tmp_path.glob("*.har")
    (entry,) = HarFile.load(har).entries
    assert entry["response"]["status"] == 0  # the API sent no answer
    assert entry["_upstream_failure"]["kind"] == kind
    assert entry["_upstream_failure"]["answered"] == 502
    assert check_path(har, contract) == (1, [])  # the request is checked; no response to check
    replay = create_replay_app(har).test_client()
    auth = {"X-API-ID": "a", "X-API-KEY": "k"}
    assert replay.post(BASE + "gen_image/", json=GEN_IMAGE, headers=auth).status_code == 502


def test_a_slow_upstream_gets_504_and_holds_up_no_other_client(
    tmp_path: Path, contract: Contract, caplog: pytest.LogCaptureFixture
) -> None:
    with Upstream() as upstream, caplog.at_level(logging.INFO):
        with MockServer(_proxy(upstream.url, tmp_path, contract, timeout=1.0)) as proxy:
            slow: dict[str, Any] = {}

            def call_slow() -> None:
                started = time.monotonic()
                slow["answer"] = httpx.get(proxy.url + BASE + "?slow=1", headers=HEADERS)
                slow["seconds"] = time.monotonic() - started

            caller = threading.Thread(target=call_slow)
            caller.start()
            assert upstream.seen.wait(5)
            started = time.monotonic()
            quick = httpx.get(proxy.url + BASE, headers=HEADERS)
            quick_seconds = time.monotonic() - started
            still_waiting = caller.is_alive()
            caller.join(10)
    assert quick.status_code == 200
    assert still_waiting and quick_seconds < 0.5, quick_seconds
    assert slow["answer"].status_code == 504
    assert 0.9 < slow["seconds"] < 5
    assert "within 1 s" in slow["answer"].json()["detail"]
    assert "--upstream-timeout" in _only_failure_line(caplog)
    entries = HarFile.load(next(tmp_path.glob("*.har"))).entries
    assert [e["response"]["status"] for e in entries] == [200, 0]  # in the order they ended
    assert entries[1]["_upstream_failure"]["kind"] == "timeout"


def _record(upstream: str, out: Path, *options: str) -> subprocess.Popen[str]:
    command = [str(COMMAND), "record", "--port", "0", "--upstream", upstream, "--out", str(out)]
    return subprocess.Popen(
        [*command, *options], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def test_ctrl_c_ends_cleanly_with_the_exchange_under_way_kept(tmp_path: Path) -> None:
    with Upstream() as upstream:
        proxy = _record(upstream.url, tmp_path)
        errors: list[str] = []
        waiting = threading.Event()

        def read_errors() -> None:
            assert proxy.stderr is not None
            for line in proxy.stderr:
                errors.append(line)
                if "finishing 1 exchanges under way" in line:
                    waiting.set()

        reader = threading.Thread(target=read_errors, daemon=True)
        reader.start()
        try:
            assert proxy.stdout is not None
            url = proxy.stdout.readline().split()[2]
            with httpx.Client(base_url=url, headers=HEADERS, timeout=10) as client:
                assert client.get(BASE).status_code == 200
                slow: dict[str, Any] = {}
                caller = threading.Thread(
                    target=lambda: slow.update(answer=client.get(BASE + "?slow=1"))
                )
                caller.start()
                assert upstream.seen.wait(5)
                proxy.send_signal(signal.SIGINT)  # Ctrl-C, with an exchange under way
                assert waiting.wait(10), "".join(errors)  # the proxy waits for it...
                upstream.release.set()  # ...which the upstream answers now
                caller.join(10)
        finally:
            try:
                proxy.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proxy.kill()
                proxy.wait()
            reader.join(5)
    assert proxy.stdout is not None and proxy.stderr is not None
    printed = proxy.stdout.read()
    proxy.stdout.close()
    proxy.stderr.close()
    assert proxy.returncode == 0, errors
    assert "Traceback" not in "".join(errors), errors
    assert slow["answer"].status_code == 200  # its client was answered, not cut off
    assert "stopped; 2 exchanges kept" in printed
    (har,) = tmp_path.glob("recording-*.har")
    entries = json.loads(har.read_text())["log"]["entries"]
    assert [e["request"]["url"].rsplit("/", 1)[1] for e in entries] == ["", "?slow=1"]


def test_the_record_command_logs_no_secret(tmp_path: Path) -> None:
    project = "acme internal/project"
    with Upstream() as upstream:
        proxy = _record(upstream.url, tmp_path, "--scrub", project)
        try:
            assert proxy.stdout is not None
            url = proxy.stdout.readline().split()[2]
            sent = f"{url}{BASE}?ids={quote(project, safe='')}&key={HEADERS['X-API-KEY']}"
            assert httpx.get(sent, headers=HEADERS).status_code == 200
        finally:
            proxy.send_signal(signal.SIGINT)
            _, errors = proxy.communicate(timeout=20)
    assert "HTTP Request: GET" in errors  # httpx's line for the upstream call is there
    for secret in (project, quote(project, safe=""), quote(project), HEADERS["X-API-KEY"]):
        assert secret not in errors, errors
