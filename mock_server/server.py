"""Serving a mock over a socket with waitress: in the foreground, or in a background thread."""

from __future__ import annotations

import threading
from collections.abc import Callable
from types import TracebackType
from typing import Any

from flask import Flask
from waitress.server import BaseWSGIServer as WaitressServer
from waitress.server import create_server
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from .app import close_app, create_app

__all__ = ["MockServer", "bind", "serve_forever"]


def bind(app: Flask, host: str, port: int, threads: int) -> WaitressServer:
    """Listen on host:port (0 picks a free port); refusals name the port and the fix."""
    try:
        server = create_server(app, host=host, port=port, threads=threads, ident="creatify-mock")
    except OSError as exc:
        raise OSError(
            exc.errno,
            f"cannot listen on {host}:{port} ({exc.strerror}); pick another --port, "
            "or --port 0 for any free one",
        ) from exc
    if not isinstance(server, WaitressServer):  # several sockets only with a list of hosts
        raise TypeError(f"expected one listening socket for {host!r}; got {type(server).__name__}")
    return server


def base_url(server: WaitressServer) -> str:
    host = str(server.effective_host)
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{server.effective_port}"


def serve_forever(
    app: Flask, host: str, port: int, threads: int, on_ready: Callable[[str], None]
) -> None:
    server = bind(app, host, port, threads)
    on_ready(base_url(server))
    try:
        server.run()
    finally:
        close_app(app)


class _QuietHandler(WSGIRequestHandler):
    """The mock journals every request itself; no second log line per request."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass


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
            self._server = make_server(
                self.host, self.port, self.app, threaded=True, request_handler=_QuietHandler
            )
        except OSError as exc:
            raise OSError(
                exc.errno,
                f"cannot listen on {self.host}:{self.port} ({exc.strerror}); pick another "
                "port, or 0 for any free one",
            ) from exc
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
