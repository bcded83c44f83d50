"""The record command against a local upstream (a server on 127.0.0.1): its log shows no
secret."""

from __future__ import annotations

import signal
import subprocess
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from live import COMMAND

pytestmark = pytest.mark.slow  # each test serves on a loopback port or runs the command

BASE = "/api/product_to_videos/"
HEADERS = {"X-API-ID": "acct_7fQ2xK9mP4wL", "X-API-KEY": "sk_live_51Hq8ZyX2c9vT0pQrStUvWx"}


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


def _record(upstream: str, out: Path, *options: str) -> subprocess.Popen[str]:
    command = [str(COMMAND), "record", "--port", "0", "--upstream", upstream, "--out", str(out)]
    return subprocess.Popen(
        [*command, *options], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


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
