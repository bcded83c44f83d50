"""Serving a mock from a thread of this process, on Werkzeug's threaded server: for
`MockServer` (a mock in a background thread of a test process) and for `creatify-mock
record` (the recording proxy). It comes with Flask, so it costs no dependency of its own; it
runs in any thread and stops cleanly from another; and a proxy's time goes to waiting on the
real API, which no server makes shorter. `creatify-mock serve` uses waitress instead, for
safety under slow and hostile clients (`serving`).
"""

from __future__ import annotations

import functools
import os
import socket
import struct
import threading
from collections.abc import Callable
from types import TracebackType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # each server is imported only by the command that runs it
    from werkzeug.serving import BaseWSGIServer

from flask import Flask

from .api.faults import ConnectionDropped
from .api.state import EXTENSION
from .app import close_app, create_app

__all__ = ["MockServer", "bind", "refused", "resume", "serve_forever"]


def bind(app: Flask, host: str, port: int) -> BaseWSGIServer:
    """Listen on host:port (0 picks a free port) with Werkzeug's threaded server; refusals
    name the port and the fix."""
    from werkzeug.serving import make_server

    try:
        return make_server(host, port, app, threaded=True, request_handler=_quiet_handler())
    except OSError as exc:
        raise refused(host, port, exc) from exc


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
    resume(app)
    on_ready(base_url(server))
    try:
        server.serve_forever()  # returns on KeyboardInterrupt, the socket closed
    finally:
        if EXTENSION in getattr(app, "extensions", {}):  # a mock; the recorder has no state
            close_app(app)


def resume(app: Flask) -> None:
    """Start the clock of a mock about to be served: webhooks a --state file left due go
    out on time even if no client calls. Not every app served is a mock (the recorder, a
    bare WSGI function); those are left as they are."""
    state = getattr(app, "extensions", {}).get(EXTENSION)
    if state is not None:
        state.simulator.resume()


def refused(host: str, port: int, exc: OSError) -> OSError:
    """The error a server that cannot listen raises: the address, why, and the fix."""
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

        def connection_dropped(self, error: BaseException, environ: Any = None) -> None:
            """A fault that sends no answer (api.faults): close the connection, or reset it
            (RST at once, not the FIN a close sends first)."""
            self.close_connection = True
            if isinstance(error, ConnectionDropped) and error.reset:
                self.connection.setsockopt(
                    socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)
                )
                os.close(self.connection.detach())

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
        resume(self.app)
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
