"""`creatify-mock serve` against clients that stall, idle or send what no client should:
nobody else waits on them, and the server lets go of them on its own (issue 12).
benchmarks/stalls.py is the long version, with 100 stalled bodies and 1,000 idle sockets."""

from __future__ import annotations

import json
import re
import resource
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from conftest import BASE, PRODUCT
from live import LiveMock

from mock_server.channel import MAX_PIPELINED, SEND_STALL_SECONDS, mock_channel
from mock_server.serving import MAX_CONNECTIONS, connection_limit

pytestmark = pytest.mark.slow


def _port(mock: LiveMock) -> int:
    return int(urlsplit(mock.url).port or 0)


def _stalled_body(port: int, chunked: bool) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port))
    head = (
        f"POST {BASE}gen_image/ HTTP/1.1\r\nHost: 127.0.0.1\r\nX-API-ID: a\r\nX-API-KEY: b\r\n"
        "Content-Type: application/json\r\n"
    )
    if chunked:  # a chunk that announces 4 GiB, then silence
        sock.sendall((head + "Transfer-Encoding: chunked\r\n\r\nFFFFFFFF\r\n{").encode())
    else:
        sock.sendall((head + 'Content-Length: 1000\r\n\r\n{"product_url": "ht').encode())
    return sock


@contextmanager
def _held(sockets: list[socket.socket]) -> Iterator[list[socket.socket]]:
    with ExitStack() as stack:
        for sock in sockets:
            stack.callback(sock.close)
        yield sockets


def _closed_by_server(sock: socket.socket, within: float, drain: bool = False) -> bool:
    """Whether the server closes `sock` within `within` seconds (reading, and with `drain`
    discarding, whatever it had sent before)."""
    sock.settimeout(within)
    deadline = time.monotonic() + within
    try:
        while sock.recv(1 << 20):
            if not drain or time.monotonic() > deadline:
                return False
        return True
    except TimeoutError:
        return False
    except ConnectionResetError:
        return True


def test_stalled_bodies_and_idle_sockets_hold_nobody_up_and_are_closed() -> None:
    with LiveMock("--quiet", "--idle-timeout", "1") as mock, mock.client() as client:
        port = _port(mock)
        stalled = [_stalled_body(port, chunked=n % 2 == 1) for n in range(20)]
        idle = [socket.create_connection(("127.0.0.1", port)) for _ in range(200)]
        with _held(stalled + idle):
            time.sleep(0.3)  # the server has what the stalled ones sent
            # A freeze would leave these waiting until the stalled connections went away.
            made = client.post(BASE + "gen_image/", json={"product_url": PRODUCT})
            assert made.status_code == 200
            assert client.get(f"{BASE}{made.json()['id']}/").status_code == 200
            # Past --idle-timeout (and the 1 s the server takes to look), each is let go.
            assert all(_closed_by_server(sock, within=10) for sock in stalled)
            assert all(_closed_by_server(sock, within=5) for sock in idle)
        # The client's own idle keep-alive connection was closed too: a new one asks.
        with mock.client() as later:
            assert later.get(BASE).status_code == 200


def test_a_body_past_the_servers_limit_is_refused_and_the_next_client_served() -> None:
    with LiveMock("--quiet") as mock, mock.client() as client:
        huge = client.post(
            BASE + "gen_image/",
            content=b'{"product_url": "' + b"x" * (2 << 20) + b'"}',
            headers={"Content-Type": "application/json"},
        )
        assert huge.status_code == 413  # from the server, before the app: the same words
        assert huge.headers["content-type"] == "application/json"
        assert huge.json()["detail"] == (
            f"Request body too large: expected at most 65536 bytes; got {len(huge.request.content)}"
            " bytes (Content-Length)."
        )
        big = client.post(  # past the app's 64 KiB, within the server's: the app's own 413
            BASE + "gen_image/", json={"product_url": PRODUCT, "image_prompt": "x" * 70_000}
        )
        assert big.status_code == 413
        assert big.json()["detail"].startswith("Request body too large")
        assert client.get(BASE).status_code == 200


def test_broken_or_oversized_chunked_bodies_are_refused_in_json() -> None:
    with LiveMock("--quiet") as mock:
        port = _port(mock)
        head = (
            f"POST {BASE}gen_image/ HTTP/1.1\r\nHost: 127.0.0.1\r\nX-API-ID: a\r\n"
            "X-API-KEY: b\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
        )
        cases = {
            r"Bad Request: Invalid chunk size\. The request is not well-formed HTTP/1\.1; "
            r"send it with an HTTP client\.": head + "zz\r\n{}\r\n0\r\n\r\n",
            r"Request body too large: expected at most 65536 bytes; got \d+ bytes of a chunked "
            r"body and more\.": (
                head + "".join("10000\r\n" + "x" * 0x10000 + "\r\n" for _ in range(17))
            ),
        }
        for detail, sent in cases.items():
            with socket.create_connection(("127.0.0.1", port)) as sock:
                sock.settimeout(10)
                sock.sendall(sent.encode())
                answer = _read_until_closed(sock)
            head_part, _, body = answer.partition(b"\r\n\r\n")
            assert b"application/json" in head_part
            assert re.fullmatch(detail, json.loads(body)["detail"])


def test_a_refusal_to_head_has_no_body_and_to_http_1_0_one_connection_header() -> None:
    with LiveMock("--quiet") as mock:
        for request in (
            f"HEAD {BASE} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: abc\r\n\r\n",
            f"POST {BASE} HTTP/1.0\r\nConnection: keep-alive\r\nContent-Length: abc\r\n\r\n",
        ):
            with socket.create_connection(("127.0.0.1", _port(mock))) as sock:
                sock.settimeout(10)
                sock.sendall(request.encode())
                head, _, body = _read_until_closed(sock).partition(b"\r\n\r\n")
            lines = head.decode().split("\r\n")
            assert lines[0].endswith("400 Bad Request")
            assert [ln for ln in lines if ln.lower().startswith("connection:")] == [
                "Connection: close"
            ]
            length = int(next(ln.split(":")[1] for ln in lines if ln.startswith("Content-Length")))
            if request.startswith("HEAD"):
                assert body == b"" and length > 0  # the length the body would have had
            else:
                assert len(body) == length and json.loads(body)["detail"]


def _read_until_closed(sock: socket.socket) -> bytes:
    received = bytearray()
    try:
        while chunk := sock.recv(65536):
            received.extend(chunk)
    except ConnectionResetError:  # closed with the rest of the body unread
        pass
    return bytes(received)


def test_headers_past_the_servers_limit_are_refused_and_the_next_client_served() -> None:
    with LiveMock("--quiet") as mock, mock.client() as client:
        refused = client.get(BASE, headers={"X-Trace": "x" * (300 << 10)})
        assert refused.status_code == 431
        assert re.fullmatch(
            r"Request headers too large: expected under 262144 bytes of headers in all; got "
            r"\d+ and more\. Send long values in the body, not in headers\.",
            refused.json()["detail"],
        )
        assert client.get(BASE).status_code == 200
        assert not any(
            "X-Trace" in entry for entry in map(str, client.get("/__mock__/journal").json())
        )


def test_a_header_spelt_with_underscores_does_not_stand_in_for_the_real_one() -> None:
    # In WSGI, X-API-ID and X_API_ID would both become HTTP_X_API_ID; the server drops the
    # underscored one, so a client with the wrong spelling learns it from a 401.
    with LiveMock("--quiet", "--api-id", "acct", "--api-key", "key") as mock:
        with mock.client(api_id="acct", api_key="key") as client:
            assert client.get(BASE).status_code == 200
        spelt_wrong = httpx.get(
            mock.url + BASE, headers={"X_API_ID": "acct", "X_API_KEY": "key"}, timeout=10
        )
        assert spelt_wrong.status_code == 401


def test_the_connection_limit_follows_the_open_file_limit() -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (300, hard))
        limit = connection_limit(reserve=256)
        raised, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
        if hard == resource.RLIM_INFINITY or hard >= MAX_CONNECTIONS + 256:
            assert (raised, limit) == (MAX_CONNECTIONS + 256, MAX_CONNECTIONS)
        else:  # a hard limit below what is wanted: as far as it goes
            assert (raised, limit) == (hard, max(16, hard - 256))
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


@contextmanager
def _channels(*classes: type) -> Iterator[list[Any]]:
    """waitress connections, each on one end of a socket pair, as the I/O thread sees them."""
    from waitress.server import create_server

    server = create_server(lambda environ, start_response: [], host="127.0.0.1", port=0)
    with ExitStack() as stack:
        stack.callback(server.close)
        made = []
        for channel_class in classes:
            ours, theirs = socket.socketpair()
            stack.callback(theirs.close)
            channel = channel_class(server, ours, ("127.0.0.1", 1), server.adj, map={})
            stack.callback(channel.close)
            made.append(channel)
        yield made


def test_the_io_thread_leaves_an_answer_being_written_to_its_worker() -> None:
    # waitress's own connection asks to be polled for writing as soon as a worker has
    # buffered a byte, though only the worker may send it then: poll() returns at once,
    # again and again, and the I/O thread spins on the GIL the worker needs (issue 12:
    # 64–135 POSTs/s at 16 connections). Ours waits for the worker's wake-up instead.
    from waitress.channel import HTTPChannel

    with _channels(HTTPChannel, mock_channel(65536)) as (stock, ours):
        for channel in (stock, ours):
            channel.requests = [object()]  # a worker is answering
            channel.total_outbufs_len = 200  # and has buffered part of its answer
        assert stock.writable() and not ours.writable()
        # From the high watermark on, the worker waits for the I/O thread to drain the
        # buffer (and is woken only below it, so at the watermark itself it must send).
        for past in (0, 1):
            ours.total_outbufs_len = ours.adj.outbuf_high_watermark + past
            assert ours.writable()
        # Done answering (or closing), what is left is the I/O thread's to send, as before.
        ours.total_outbufs_len, ours.requests = 200, []
        assert ours.writable()
        ours.requests, ours.close_when_flushed = [object()], True
        assert ours.writable()


# An app whose answer outgrows the sockets' buffers and waitress's 16 MiB high watermark,
# served as `serve` serves the mock on as many worker threads as its argument says; it
# prints its URL, then serves until SIGTERM.
BIG_ANSWER_SERVER = """
import sys
from flask import Flask
from mock_server.serving import serve_safely

app = Flask("big")
chunk = bytes(range(256)) * 4096  # 1 MiB


@app.get("/big")
def big():
    return app.response_class((chunk for _ in range(24)), content_type="application/octet-stream")


@app.get("/small")
def small():
    return "ok"


serve_safely(app, "127.0.0.1", 0, int(sys.argv[1]), lambda url: print(url, flush=True))
"""


@contextmanager
def _big_answer_server(threads: int) -> Iterator[str]:
    """BIG_ANSWER_SERVER in a subprocess; yields its URL."""
    server = subprocess.Popen(
        [sys.executable, "-c", BIG_ANSWER_SERVER, str(threads)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert server.stdout is not None
        yield server.stdout.readline().strip()
    finally:
        server.terminate()
        server.wait(timeout=10)
        if server.stdout is not None:
            server.stdout.close()


def test_an_answer_past_the_buffers_reaches_a_slow_reader_whole_while_others_are_served() -> None:
    # The worker sends what the socket takes and buffers the rest; past the watermark it
    # waits for the I/O thread to drain; when it is done the I/O thread sends what is left.
    # A channel that left output to a worker that had finished would strand the tail.
    with _big_answer_server(threads=4) as url:
        slow = socket.create_connection(("127.0.0.1", int(urlsplit(url).port or 0)))
        with _held([slow]), httpx.Client(base_url=url, timeout=10) as others:
            slow.sendall(b"GET /big HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            time.sleep(0.5)  # the buffers fill, and the worker waits at the watermark
            assert others.get("/small").text == "ok"
            received = _read_answer(slow, pause_every=1 << 20)
    head, _, body = received.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200")
    assert len(body) == 24 << 20
    assert body == (bytes(range(256)) * 4096) * 24


def _read_answer(sock: socket.socket, pause_every: int) -> bytes:
    """A chunked answer, read slowly (a pause every `pause_every` bytes), de-chunked."""
    sock.settimeout(10)
    raw, paused = bytearray(), 0
    while not raw.endswith(b"\r\n0\r\n\r\n"):
        chunk = sock.recv(65536)
        assert chunk, f"the server closed the connection after {len(raw)} bytes"
        raw.extend(chunk)
        if len(raw) - paused >= pause_every:
            paused = len(raw)
            time.sleep(0.05)
    head, _, rest = bytes(raw).partition(b"\r\n\r\n")
    body = bytearray()
    while True:
        size_line, _, rest = rest.partition(b"\r\n")
        size = int(size_line, 16)
        if size == 0:
            return head + b"\r\n\r\n" + bytes(body)
        body.extend(rest[:size])
        rest = rest[size + 2 :]


def test_a_client_that_reads_nothing_past_the_watermark_holds_a_worker_only_briefly() -> None:
    # One worker thread; a client asks for 24 MiB and reads none of it: once 16 MiB wait
    # unsent, the worker waits for bytes to move, gives up after SEND_STALL_SECONDS and
    # closes that connection; the next client is served by the same worker.
    with _big_answer_server(threads=1) as url:
        hog = socket.socket()
        hog.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        hog.connect(("127.0.0.1", int(urlsplit(url).port or 0)))
        with _held([hog]), httpx.Client(base_url=url, timeout=SEND_STALL_SECONDS + 10) as other:
            hog.sendall(b"GET /big HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            time.sleep(0.5)
            started = time.monotonic()
            assert other.get("/small").text == "ok"
            assert time.monotonic() - started < SEND_STALL_SECONDS + 5
            assert _closed_by_server(hog, within=10, drain=True)


def test_requests_sent_far_ahead_get_the_first_answers_then_a_close() -> None:
    with LiveMock("--quiet") as mock:
        request = f"GET {BASE} HTTP/1.1\r\nHost: 127.0.0.1\r\nX-API-ID: a\r\nX-API-KEY: b\r\n\r\n"
        with socket.create_connection(("127.0.0.1", _port(mock))) as sock:
            sock.settimeout(10)
            sock.sendall((request * (MAX_PIPELINED + 4)).encode())
            answers = _read_until_closed(sock)
        assert answers.count(b"HTTP/1.1 200 OK") == MAX_PIPELINED
        last_head = answers.rsplit(b"HTTP/1.1 200 OK", 1)[1].partition(b"\r\n\r\n")[0]
        assert b"Connection: close" in last_head
        with mock.client() as client:  # and the mock serves on
            assert client.get(BASE).status_code == 200


def test_pipelining_clients_that_read_nothing_hold_no_worker() -> None:
    # Each asks for Swagger UI's bundle (1.7 MB) as often as it may, then reads nothing;
    # with two worker threads and four such clients, another client is still answered.
    with LiveMock("--quiet", "--threads", "2") as mock, mock.client() as client:
        request = b"GET /docs/swagger-ui-bundle.js HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
        hogs = []
        for _ in range(4):
            hog = socket.socket()
            hog.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            hog.connect(("127.0.0.1", _port(mock)))
            hog.sendall(request * 20)
            hogs.append(hog)
        with _held(hogs):
            time.sleep(1)
            started = time.monotonic()
            assert client.get(BASE).status_code == 200
            # Not after a worker gave up on a hog (SEND_STALL_SECONDS): none was held.
            assert time.monotonic() - started < SEND_STALL_SECONDS


def test_a_refused_request_that_expects_100_continue_gets_its_refusal_at_once() -> None:
    with LiveMock("--quiet") as mock:
        head = (
            f"POST {BASE}gen_image/ HTTP/1.1\r\nHost: 127.0.0.1\r\nX-API-ID: a\r\n"
            "X-API-KEY: b\r\nContent-Type: application/json\r\nExpect: 100-continue\r\n"
        )
        for length, status, detail in (
            (2 << 20, b"413", "Request body too large: expected at most 65536 bytes; got "),
            ("abc", b"400", "Bad Request: "),
        ):
            with socket.create_connection(("127.0.0.1", _port(mock))) as sock:
                sock.settimeout(5)  # no body is sent: the answer must come without one
                sock.sendall(f"{head}Content-Length: {length}\r\n\r\n".encode())
                answer = _read_until_closed(sock)
            assert answer.startswith(b"HTTP/1.1 " + status), answer[:80]
            assert json.loads(answer.partition(b"\r\n\r\n")[2])["detail"].startswith(detail)
