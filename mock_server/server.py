"""Serving a mock over a socket, on two servers, each for its reason:

- waitress, for `creatify-mock serve`: safety under slow and hostile clients, then speed.
  It reads each request whole on an asynchronous I/O thread before the app sees it, closes
  idle connections, and bounds how many it holds. granian, which served before it, parses
  HTTP faster (in Rust) but reads a WSGI body on the app's one thread with no deadline and
  never closes a connection that sends nothing: one stalled client froze the mock for all,
  and 1,024 idle sockets locked everyone out (issue 12; granian's issue 728 declines a body
  timeout). The speed this costs is in benchmarks/RESULTS.md.
- Werkzeug's threaded server, for `MockServer` (a mock in a background thread of a test
  process) and for `creatify-mock record` (the recording proxy): it comes with Flask, so it
  costs no dependency of its own; it runs in any thread and stops cleanly from another; and
  a proxy's time goes to waiting on the real API, which no server makes shorter.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import resource
import signal
import threading
from collections.abc import Callable, Iterator
from types import TracebackType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # each server is imported only by the command that runs it
    from werkzeug.serving import BaseWSGIServer

from flask import Flask

from .api.state import EXTENSION
from .app import close_app, create_app

# What `serve` holds to, beside the app's own limits (listed in `creatify-mock serve --help`).
IDLE_TIMEOUT = 30  # seconds a connection may do nothing, mid-body or between requests
MAX_CONNECTIONS = 10_000
SERVER_BODY_LIMIT = 1 << 20  # past it waitress answers 413 itself; the app's limit is lower
BODY_IN_MEMORY = 128 << 10  # a body beyond it waits in a temporary file, not in memory

__all__ = [
    "IDLE_TIMEOUT",
    "MAX_CONNECTIONS",
    "MockServer",
    "bind",
    "connection_limit",
    "serve_forever",
    "serve_safely",
]


def bind(app: Flask, host: str, port: int) -> BaseWSGIServer:
    """Listen on host:port (0 picks a free port) with Werkzeug's threaded server; refusals
    name the port and the fix."""
    from werkzeug.serving import make_server

    try:
        return make_server(host, port, app, threaded=True, request_handler=_quiet_handler())
    except OSError as exc:
        raise _refused(host, port, exc) from exc


def base_url(server: BaseWSGIServer) -> str:
    host = str(server.host)
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{server.port}"


def serve_forever(
    app: Flask, host: str, port: int, threads: int, on_ready: Callable[[str], None]
) -> None:
    """Serve until SIGINT, each connection on a thread of its own (Werkzeug closes every
    connection after one answer), so `threads` bounds nothing here."""
    server = bind(app, host, port)
    _resume(app)
    on_ready(base_url(server))
    try:
        server.serve_forever()  # returns on KeyboardInterrupt, the socket closed
    finally:
        if EXTENSION in getattr(app, "extensions", {}):  # a mock; the recorder has no state
            close_app(app)


def serve_safely(
    app: Flask,
    host: str,
    port: int,
    threads: int,
    on_ready: Callable[[str], None],
    *,
    idle_timeout: int = IDLE_TIMEOUT,
) -> None:
    """Serve with waitress until SIGINT, SIGTERM or SIGHUP (ignored under nohup).

    waitress reads every request whole, body included, on one asynchronous I/O thread before
    a worker thread runs the app, and writes answers from buffers on that thread too: a
    client that stalls mid-body or never reads its answer holds a connection, never a thread.
    Connections with nothing to do for `idle_timeout` seconds are closed, stalled bodies
    included. The app, its store and its threads live in this one process.
    """
    from waitress.server import create_server

    for noisy in ("waitress", "waitress.queue"):  # the mock logs requests and its own errors
        logging.getLogger(noisy).setLevel(logging.ERROR)
    connections = connection_limit()
    try:
        server: Any = create_server(
            app,
            host=host,
            port=port,
            threads=threads,
            ident="creatify-mock",
            channel_timeout=idle_timeout,
            cleanup_interval=max(1, min(5, idle_timeout)),
            connection_limit=connections,
            asyncore_use_poll=True,  # select() cannot watch a descriptor past 1024
            max_request_body_size=SERVER_BODY_LIMIT,
            inbuf_overflow=BODY_IN_MEMORY,
            expose_tracebacks=False,
        )
    except OSError as exc:
        raise _refused(host, port, exc) from exc
    shown = f"[{host}]" if ":" in host else host
    _resume(app)
    on_ready(f"http://{shown}:{server.effective_port}")
    try:
        with _ending_signals():
            server.run()  # returns on KeyboardInterrupt, its worker threads ended
    finally:
        server.close()
        if EXTENSION in getattr(app, "extensions", {}):
            close_app(app)


def connection_limit(reserve: int = 256) -> int:
    """Connections served at once: as many as this process may open files for (its soft
    limit raised to the hard one), less a reserve for the store, temporary files and
    webhooks, and at most MAX_CONNECTIONS. Past it, new connections wait in the listen
    backlog until idle ones are closed."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = MAX_CONNECTIONS + reserve
    if soft != resource.RLIM_INFINITY and soft < wanted:
        ceiling = wanted if hard == resource.RLIM_INFINITY else min(hard, wanted)
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (ceiling, hard))
            soft = ceiling
        except (ValueError, OSError):
            pass
    if soft == resource.RLIM_INFINITY:
        return MAX_CONNECTIONS
    return max(16, min(MAX_CONNECTIONS, soft - reserve))


@contextlib.contextmanager
def _ending_signals() -> Iterator[None]:
    """SIGTERM and SIGHUP end the mock as Ctrl-C does: its answers sent, its store closed.
    HUP ignored when the mock started (nohup) stays ignored."""

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    ending = [signal.SIGTERM]
    if signal.getsignal(signal.SIGHUP) != signal.SIG_IGN:
        ending.append(signal.SIGHUP)
    previous = {signum: signal.signal(signum, interrupt) for signum in ending}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def _resume(app: Flask) -> None:
    # Where the app is served: webhooks a --state file left due go
    # out on time even if no client calls. Not every app served is a mock (the recorder,
    # a bare WSGI function).
    state = getattr(app, "extensions", {}).get(EXTENSION)
    if state is not None:
        state.simulator.resume()


def _refused(host: str, port: int, exc: OSError) -> OSError:
    return OSError(
        exc.errno,
        f"cannot listen on {host}:{port} ({exc.strerror}); pick another --port, "
        "or --port 0 for any free one",
    )


@functools.cache
def _quiet_handler() -> type:
    from werkzeug.serving import WSGIRequestHandler

    class QuietHandler(WSGIRequestHandler):
        """The mock journals every request itself; no second log line per request.

        Server and Date are sent only where the app sent none, so the recording proxy passes
        on the real API's, not a second pair of its own.
        """

        def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
            pass

        def send_response(self, code: int, message: str | None = None) -> None:
            self.log_request(code)
            self.send_response_only(code, message)
            self._defaults = {"server": self.version_string(), "date": self.date_time_string()}

        def send_header(self, keyword: str, value: str) -> None:
            getattr(self, "_defaults", {}).pop(keyword.lower(), None)
            super().send_header(keyword, value)

        def end_headers(self) -> None:
            defaults, self._defaults = getattr(self, "_defaults", {}), {}
            for keyword, value in defaults.items():
                super().send_header(keyword.title(), value)
            super().end_headers()

    return QuietHandler


class MockServer:
    """A mock on a loopback port, served from a background thread.

        with MockServer() as mock:
            httpx.get(mock.url + "/api/product_to_videos/", headers=...)

    Keyword arguments other than host and port go to `create_app`; or pass an app built
    already. Werkzeug's threaded server serves it here (a clean shutdown() from any
    thread); `creatify-mock serve` uses waitress.
    """

    def __init__(
        self,
        app: Flask | None = None,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        **app_options: Any,
    ) -> None:
        self.app = app if app is not None else create_app(**app_options)
        self._owns_app = app is None
        self.host, self.port = host, port
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError("MockServer is not running: call start() or use it in a with block")
        host = self._server.host
        shown = f"[{host}]" if ":" in host else host
        return f"http://{shown}:{self._server.port}"

    def start(self) -> MockServer:
        if self._server is not None:
            raise RuntimeError("MockServer is already running; stop() it first")
        try:
            from werkzeug.serving import make_server

            self._server = make_server(
                self.host, self.port, self.app, threaded=True, request_handler=_quiet_handler()
            )
        except OSError as exc:
            raise OSError(
                exc.errno,
                f"cannot listen on {self.host}:{self.port} ({exc.strerror}); pick another "
                "port, or 0 for any free one",
            ) from exc
        _resume(self.app)
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},  # how soon stop() is heard
            name="creatify-mock-server",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        server, thread = self._server, self._thread
        if server is None:
            return
        self._server = self._thread = None
        server.shutdown()
        server.server_close()
        if thread is not None:
            thread.join(timeout=5)
        if self._owns_app:
            close_app(self.app)

    def __enter__(self) -> MockServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
